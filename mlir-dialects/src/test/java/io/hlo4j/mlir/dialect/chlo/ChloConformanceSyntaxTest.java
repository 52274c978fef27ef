package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.ir.Operation;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.assertSameStructure;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.squash;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.verify;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every pretty-form chlo statement in the conformance files (testdata/ and interpret/chlo/, except scan,
 * whose body needs the stablehlo dialect) parses, verifies, and prints back to the same text; printing
 * then parsing again gives the same op.
 */
class ChloConformanceSyntaxTest {
    @Test
    void everyPrettyChloStatementRoundTrips() {
        List<Path> files = new ArrayList<>(ConformanceFiles.files("testdata"));
        files.addAll(ConformanceFiles.files("interpret"));
        int count = 0;
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            for (String st : ConformanceStatements.statements(f, l -> l.matches("(%[\\w#:, %]+= )?chlo\\.\\w+ .*|(%[\\w#:, %]+= )?chlo\\.top_k\\(.*"))) {
                count++;
                try {
                    OpSnippet s = OpSnippet.parse(st);
                    Operation op = s.op();
                    verify(op);
                    String printed = squash(s.print());
                    String body = st.substring(st.indexOf("chlo."));
                    assertThat(printed.substring(printed.indexOf("chlo."))).isEqualTo(body);
                    Operation again = OpSnippet.parse(printed).op();
                    assertSameStructure(op, again);
                } catch (AssertionError | RuntimeException e) {
                    failures.add(f.getFileName() + ": " + st + "\n   -> " + e.getMessage());
                }
            }
        }
        assertThat(failures).as("statements that failed").isEmpty();
        // 60 pretty chlo statements (unary math, next_after, top_k) at the conformance commit.
        assertThat(count).isEqualTo(60);
    }
}
