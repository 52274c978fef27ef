package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole testdata files through the project's parser and printer: every line that is a part-A op statement in
 * pretty form must appear unchanged in the printed module (upstream's printer wrote these files, SSA names
 * included). Files the parser cannot read for reasons outside this part are counted, not failed here.
 */
class EndToEndConformanceTest {
    @Test
    void partAStatementsSurviveParseAndPrint() throws IOException {
        Set<String> ops = ConformanceSyntaxTest.prettyOps();
        Set<String> withConstant = new HashSet<>(ops);
        withConstant.add("stablehlo.constant");
        List<String> failures = new ArrayList<>();
        List<String> unparsed = new ArrayList<>();
        int files = 0, checked = 0;
        for (Path f : ConformanceFiles.files("testdata")) {
            // dynamic/ files were not written by the canonical printer (SSA names like %0 for constants).
            if (f.getParent().getFileName().toString().equals("dynamic")) continue;
            List<Conformance.Statement> stmts = Conformance.statements(List.of(f), withConstant);
            if (stmts.isEmpty()) continue;
            files++;
            String printed;
            try {
                StringBuilder sb = new StringBuilder();
                for (Module m : MlirParser.parseFile(f)) sb.append(MlirPrinter.print(m));
                printed = sb.toString();
            } catch (RuntimeException e) {
                unparsed.add(f.getFileName() + ": " + e.getMessage());
                continue;
            }
            Set<String> lines = new HashSet<>();
            for (String l : printed.split("\n")) lines.add(l.strip());
            for (Conformance.Statement s : stmts) {
                checked++;
                if (!lines.contains(s.text())) failures.add(s.toString());
            }
        }
        System.out.printf("end to end: %d files, %d unparsed, %d statements, %d missing from the printed text%n",
                files, unparsed.size(), checked, failures.size());
        unparsed.stream().limit(5).forEach(u -> System.out.println("  unparsed: " + u));
        failures.stream().limit(10).forEach(u -> System.out.println("  missing: " + u));
        assertThat(checked).isGreaterThan(10000);
        assertThat(failures).isEmpty();
    }

    /** dynamic/ files use non-canonical SSA names, so compare their statements with every SSA name blanked. */
    @Test
    void dynamicStatementsMatchUpToSsaNames() throws IOException {
        Set<String> ops = new HashSet<>(ConformanceSyntaxTest.prettyOps());
        ops.add("stablehlo.constant");
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Path f : ConformanceFiles.files("testdata/dynamic")) {
            List<Conformance.Statement> stmts = Conformance.statements(List.of(f), ops);
            if (stmts.isEmpty()) continue;
            StringBuilder sb = new StringBuilder();
            for (Module m : MlirParser.parseFile(f)) sb.append(MlirPrinter.print(m));
            Set<String> lines = new HashSet<>();
            for (String l : sb.toString().split("\n")) lines.add(blank(l.strip()));
            List<String> fileLines = Files.readAllLines(f);
            for (Conformance.Statement s : stmts) {
                // A reducer body the printer folds into reduce's compact "applies" form (part B) has no own line.
                if (fileLines.get(s.line() - 2).strip().startsWith("reducer(")) continue;
                checked++;
                if (!lines.contains(blank(s.text()))) failures.add(s.toString());
            }
        }
        System.out.printf("dynamic: %d statements, %d missing%n", checked, failures.size());
        assertThat(checked).isGreaterThan(2000);
        assertThat(failures).isEmpty();
    }

    /** Every part-A op in every conformance file (any form, nested in regions too) passes its verifier. */
    @Test
    void everyPartAOpInTheCorpusVerifies() throws IOException {
        List<String> failures = new ArrayList<>();
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        List<String> unparsed = new ArrayList<>();
        for (String sub : List.of("testdata", "interpret")) {
            for (Path f : ConformanceFiles.files(sub)) {
                List<Module> modules;
                try {
                    modules = MlirParser.parseFile(f);
                } catch (RuntimeException e) {
                    unparsed.add(f.getFileName() + ": " + e.getMessage()); // the parser's tests own these
                    continue;
                }
                for (Module m : modules) {
                    io.hlo4j.mlir.ir.Walker.walk(m.op(), op -> {
                        if (!PartAOps.NAMES.contains(op.name())) return;
                        counts.merge(op.name(), 1, Integer::sum);
                        try {
                            op.def().verifier().verify(op);
                        } catch (RuntimeException e) {
                            failures.add(f.getFileName() + ": " + e.getMessage());
                        }
                    });
                }
            }
        }
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf("verified %d part-A ops of %d kinds, %d failures (%d files unparsed)%n", total, counts.size(),
                failures.size(), unparsed.size());
        unparsed.stream().limit(5).forEach(x -> System.out.println("  unparsed: " + x));
        failures.stream().limit(10).forEach(x -> System.out.println("  " + x));
        assertThat(total).isGreaterThan(12000);
        assertThat(failures).isEmpty();
    }

    private static String blank(String line) { return line.replaceAll("%[A-Za-z0-9_$.-]+(#[0-9]+)?", "%_"); }
}
