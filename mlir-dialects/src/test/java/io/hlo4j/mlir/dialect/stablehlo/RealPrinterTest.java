package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same testdata statements printed through the project's real printer ({@link MlirPrinter}), which owns
 * attribute spellings and SSA naming: operands defined outside the single op print as
 * {@code <<UNKNOWN SSA VALUE>>}, so the expectation is the original text with every operand so replaced.
 */
class RealPrinterTest {
    @Test
    void testdataThroughMlirPrinter() {
        List<Conformance.Statement> stmts = Conformance.statements(ConformanceFiles.files("testdata"), ConformanceSyntaxTest.prettyOps());
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Conformance.Statement s : stmts) {
            if (s.text().contains("!quant.")) continue;
            OpSnippet t = OpSnippet.parse(s.text());
            String printed = MlirPrinter.print(t.op(), PrintOptions.DEFAULT).strip();
            String want = s.text().substring(s.text().indexOf(" = ") + 3)
                    .replaceAll("%[A-Za-z0-9_$.-]+(#[0-9]+)?", "<<UNKNOWN SSA VALUE>>");
            String got = printed.substring(printed.indexOf(" = ") + 3);
            checked++;
            if (!got.equals(want)) failures.add(s + "\n   printed: " + printed);
        }
        System.out.printf("real printer: %d statements, %d differ%n", checked, failures.size());
        assertThat(checked).isGreaterThan(3000);
        assertThat(failures).as("statements the real printer spells differently").isEmpty();
    }
}
