package io.hlo4j.mlir.roundtrip;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The printer against upstream's own output: every file of StableHLO's testdata was written by
 * {@code stablehlo-opt}, so print(parse(file)) must equal the file up to whitespace, comments and locations
 * (target: at least 99% of files). For every conformance file, print -> parse -> print must be a fixpoint.
 * Per-file results go to {@code target/roundtrip/*.txt} (the lists in docs/conformance.md come from there).
 */
class ConformanceRoundTripTest {
    private static String printAll(List<Module> modules) {
        StringBuilder sb = new StringBuilder();
        for (Module m : modules) sb.append(MlirPrinter.print(m));
        return sb.toString();
    }

    @Test void testdataPrintsBackAsUpstreamWroteIt() throws IOException {
        List<Path> files = Conformance.files("testdata");
        assertThat(files).hasSizeGreaterThan(1000);
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            String rel = Conformance.dir().relativize(f).toString();
            try {
                String printed = printAll(Conformance.parse(f));
                String expected = Conformance.normalize(Conformance.read(f));
                String actual = Conformance.normalize(printed);
                if (!expected.equals(actual)) failures.add(rel + " " + Conformance.firstDifference(expected, actual));
            } catch (RuntimeException e) {
                if (e instanceof org.opentest4j.TestAbortedException) throw e;
                failures.add(rel + " threw " + e);
            }
        }
        int passed = files.size() - failures.size();
        report("testdata.txt", "print(parse(x)) == x up to whitespace/comments/locations: " + passed + " / "
                + files.size() + " testdata files", failures);
        assertThat((double) passed / files.size())
                .as("share of testdata files printed back exactly; failures:\n%s", String.join("\n", failures.subList(0, Math.min(20, failures.size()))))
                .isGreaterThanOrEqualTo(0.99);
    }

    @Test void printParsePrintIsAFixpointForEveryConformanceFile() throws IOException {
        List<Path> files = new ArrayList<>(Conformance.files("testdata"));
        files.addAll(Conformance.files("interpret"));
        List<String> failures = new ArrayList<>();
        int implicitOrExact = 0;
        for (Path f : files) {
            String rel = Conformance.dir().relativize(f).toString();
            try {
                String once = printAll(Conformance.parse(f));
                String twice = printAll(MlirParser.parseSplit(once, rel + " (printed)"));
                if (!once.equals(twice)) failures.add(rel + " " + Conformance.firstDifference(once, twice));
                else implicitOrExact++;
            } catch (RuntimeException e) {
                if (e instanceof org.opentest4j.TestAbortedException) throw e;
                failures.add(rel + " threw " + e);
            }
        }
        report("fixpoint.txt", "print(parse(print(parse(x)))) == print(parse(x)): " + implicitOrExact + " / " + files.size()
                + " conformance files", failures);
        assertThat(failures).as("files whose printed text does not print back identically").isEmpty();
    }

    static void report(String name, String headline, List<String> failures) throws IOException {
        Path dir = Path.of("target", "roundtrip");
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder(headline).append('\n');
        for (String f : failures) sb.append(f).append('\n');
        Files.writeString(dir.resolve(name), sb);
        System.out.println(headline);
    }
}
