package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every pretty-form statement of this part's ops in StableHLO's conformance files: parsed with the op's syntax,
 * verified, printed back. JAX-generated testdata must print byte for byte as upstream printed it; the
 * hand-written interpret files must reach a print/parse fixpoint and match up to whitespace.
 */
class ConformanceSyntaxTest {
    /** Ops of part A with a pretty form; constant is covered by {@link ConstantAndIotaTest} (float literals). */
    static Set<String> prettyOps() {
        Set<String> names = new TreeSet<>();
        for (OpDef d : OpRegistry.global().all()) {
            if (d.hasPrettySyntax() && PartAOps.NAMES.contains(d.name()) && !d.name().equals("stablehlo.constant")) names.add(d.name());
        }
        return names;
    }

    @Test
    void testdataPrintsByteForByte() {
        List<Conformance.Statement> stmts = Conformance.statements(ConformanceFiles.files("testdata"), prettyOps());
        List<String> failures = new ArrayList<>();
        int exact = 0, quant = 0;
        for (Conformance.Statement s : stmts) {
            try {
                OpSnippet t = OpSnippet.parse(s.text());
                t.verify();
                String printed = t.print();
                if (s.text().contains("!quant.")) {
                    // Quantized scale spelling belongs to the core type printer; check a fixpoint here instead.
                    quant++;
                    assertFixpoint(printed);
                } else if (printed.equals(s.text())) {
                    exact++;
                } else {
                    failures.add(s + "\n   printed: " + printed);
                }
            } catch (RuntimeException e) {
                failures.add(s + "\n   error: " + e.getMessage());
            }
        }
        System.out.printf("testdata: %d statements, %d byte-exact, %d quantized fixpoints, %d failures%n",
                stmts.size(), exact, quant, failures.size());
        assertThat(stmts.size()).isGreaterThan(3000);
        assertThat(failures).as("statements that did not round-trip").isEmpty();
    }

    @Test
    void interpretFilesReachFixpoint() {
        List<Conformance.Statement> stmts = Conformance.statements(ConformanceFiles.files("interpret"), prettyOps());
        List<String> failures = new ArrayList<>();
        int sameModuloSpace = 0;
        List<String> differing = new ArrayList<>();
        for (Conformance.Statement s : stmts) {
            try {
                OpSnippet t = OpSnippet.parse(s.text());
                t.verify();
                String printed = t.print();
                assertFixpoint(printed);
                if (printed.replaceAll("\\s+", "").equals(s.text().replaceAll("\\s+", ""))) sameModuloSpace++;
                else differing.add(s + "\n   printed: " + printed);
            } catch (RuntimeException | AssertionError e) {
                failures.add(s + "\n   error: " + e.getMessage());
            }
        }
        System.out.printf("interpret: %d statements, %d equal up to whitespace, %d failures%n",
                stmts.size(), sameModuloSpace, failures.size());
        differing.forEach(d -> System.out.println("  not canonical as written: " + d));
        assertThat(stmts.size()).isGreaterThan(300);
        assertThat(failures).as("statements that did not reach a fixpoint").isEmpty();
    }

    /** Generic-form statements of part-A ops verify, and those with a pretty form print one that parses back. */
    @Test
    void genericStatementsVerify() {
        List<Conformance.Statement> stmts = new ArrayList<>();
        for (String sub : List.of("testdata", "interpret")) {
            stmts.addAll(Conformance.genericStatements(ConformanceFiles.files(sub), PartAOps.NAMES));
        }
        List<String> failures = new ArrayList<>();
        for (Conformance.Statement s : stmts) {
            try {
                OpSnippet t = OpSnippet.parse(s.text());
                t.verify();
                if (t.op().def().syntax().canPrint(t.op())) assertFixpoint(t.print());
            } catch (RuntimeException | AssertionError e) {
                failures.add(s + "\n   error: " + e.getMessage());
            }
        }
        System.out.printf("generic: %d statements, %d failures%n", stmts.size(), failures.size());
        assertThat(stmts.size()).isGreaterThan(80);
        assertThat(failures).isEmpty();
    }

    private static void assertFixpoint(String printed) {
        OpSnippet again = OpSnippet.parse(printed);
        again.verify();
        assertThat(again.print()).isEqualTo(printed);
    }
}
