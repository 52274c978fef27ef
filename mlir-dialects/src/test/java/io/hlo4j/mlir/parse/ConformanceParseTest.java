package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every StableHLO conformance file parses, and what the parser built agrees with the text itself: as many
 * modules as split chunks, as many functions as {@code func.func} headers, as many dense literals as
 * {@code dense<} spellings. Then the printed module parses back to the same text (generic form too).
 */
class ConformanceParseTest {
    private static final Pattern FUNC = Pattern.compile("(?m)^\\s*func\\.func\\b");
    private static final Pattern SPLIT = Pattern.compile("(?m)^// -----\\s*$");
    private static final Pattern CONSTANT = Pattern.compile("(?m)^[^/\\n]*\\bstablehlo\\.constant\\b");

    @Test
    void everyConformanceFileParsesAndMatchesItsText() {
        List<Path> files = ConformanceFiles.all();
        assertThat(files).hasSizeGreaterThan(1500);
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            String text = ConformanceFiles.read(f);
            try {
                List<Module> modules = MlirParser.parseSplit(text, f.toString());
                int chunks = count(SPLIT, text) + 1;
                int funcs = 0;
                int[] constants = {0};
                for (Module m : modules) {
                    funcs += m.functions().size();
                    Walker.walk(m.op(), op -> constants[0] += op.name().equals("stablehlo.constant") ? 1 : 0);
                }
                if (modules.size() != chunks) failures.add(f + ": " + modules.size() + " modules for " + chunks + " chunks");
                if (funcs != count(FUNC, text)) failures.add(f + ": " + funcs + " functions, text has " + count(FUNC, text));
                if (constants[0] != count(CONSTANT, text)) {
                    failures.add(f + ": " + constants[0] + " constants, text has " + count(CONSTANT, text));
                }
            } catch (RuntimeException e) {
                failures.add(f + ": " + e);
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void printedConformanceModulesParseBackToTheSameText() {
        List<String> failures = new ArrayList<>();
        for (Path f : ConformanceFiles.all()) {
            try {
                for (Module m : MlirParser.parseSplit(ConformanceFiles.read(f), f.toString())) {
                    String pretty = MlirPrinter.print(m);
                    String again = MlirPrinter.print(MlirParser.parseModule(pretty, f + " (printed)"));
                    if (!again.equals(pretty)) failures.add(f + ": pretty text is not a fixpoint");
                    String generic = MlirPrinter.print(m, PrintOptions.GENERIC);
                    String fromGeneric = MlirPrinter.print(MlirParser.parseModule(generic, f + " (generic)"));
                    if (!fromGeneric.equals(pretty)) failures.add(f + ": generic form parses to a different module");
                }
            } catch (RuntimeException e) {
                failures.add(f + ": " + e);
            }
        }
        assertThat(failures).isEmpty();
    }

    private static int count(Pattern p, String s) {
        Matcher m = p.matcher(s);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
