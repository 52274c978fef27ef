package io.hlo4j.mlir.roundtrip;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
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
    /** The modules of a split-input file, separated by {@code // -----} lines as mlir-opt writes them. */
    static String printAll(List<Module> modules) { return printAll(modules, PrintOptions.DEFAULT); }

    static String printAll(List<Module> modules, PrintOptions options) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < modules.size(); i++) {
            if (i > 0) sb.append("// -----\n");
            sb.append(MlirPrinter.print(modules.get(i), options));
        }
        return sb.toString();
    }

    /**
     * Every testdata file must print back as the printer that wrote it printed it. testdata/*.mlir and
     * testdata/quantized were written by the stablehlo-opt of the pinned commit: compared with the current
     * profile. testdata/dynamic holds JAX exports from before MLIR's op properties (constants numbered
     * {@code %0}, inherent attributes in the plain dictionary, dot_general generic): compared with the
     * {@link PrintOptions.Profile#PRE_PROPERTIES} profile, and its figure with the current profile is reported too.
     * Target: at least 99% of all testdata files, and of the stablehlo-opt-written ones on their own.
     */
    @Test void testdataPrintsBackAsUpstreamWroteIt() throws IOException {
        List<Path> files = ConformanceFiles.files("testdata");
        assertThat(files).hasSizeGreaterThan(1000);
        List<String> failures = new ArrayList<>();
        int canonical = 0, canonicalPassed = 0, dynamic = 0, dynamicPassed = 0, dynamicCurrent = 0;
        for (Path f : files) {
            String rel = ConformanceFiles.dir().relativize(f).toString();
            boolean isDynamic = rel.startsWith("testdata/dynamic/");
            boolean ok = false;
            try {
                List<Module> modules = Conformance.parse(f);
                String expected = Conformance.normalize(ConformanceFiles.read(f));
                if (isDynamic && expected.equals(Conformance.normalize(printAll(modules)))) dynamicCurrent++;
                PrintOptions profile = isDynamic ? PrintOptions.DEFAULT.withProfile(PrintOptions.Profile.PRE_PROPERTIES) : PrintOptions.DEFAULT;
                String actual = Conformance.normalize(printAll(modules, profile));
                ok = expected.equals(actual);
                if (!ok) failures.add(rel + " " + Conformance.firstDifference(expected, actual));
            } catch (RuntimeException e) {
                if (e instanceof org.opentest4j.TestAbortedException) throw e;
                failures.add(rel + " threw " + e);
            }
            if (isDynamic) {
                dynamic++;
                if (ok) dynamicPassed++;
            } else {
                canonical++;
                if (ok) canonicalPassed++;
            }
        }
        String headline = "print(parse(x)) == x up to whitespace/comments/locations: testdata/*.mlir + testdata/quantized "
                + canonicalPassed + " / " + canonical + "; testdata/dynamic " + dynamicPassed + " / " + dynamic
                + " with the pre-properties profile (" + dynamicCurrent + " with the current one); all testdata "
                + (canonicalPassed + dynamicPassed) + " / " + files.size();
        report("testdata.txt", headline, failures);
        assertThat((double) (canonicalPassed + dynamicPassed) / files.size())
                .as("share of all testdata files printed back exactly; failures:\n%s", String.join("\n", failures.stream().limit(20).toList()))
                .isGreaterThanOrEqualTo(0.99);
        assertThat((double) canonicalPassed / canonical)
                .as("share of stablehlo-opt-written testdata files printed back exactly; failures:\n%s",
                        String.join("\n", failures.stream().filter(x -> !x.startsWith("testdata/dynamic/")).limit(20).toList()))
                .isGreaterThanOrEqualTo(0.99);
    }

    @Test void printParsePrintIsAFixpointForEveryConformanceFile() throws IOException {
        List<Path> files = new ArrayList<>(ConformanceFiles.files("testdata"));
        files.addAll(ConformanceFiles.files("interpret"));
        List<String> failures = new ArrayList<>();
        int implicitOrExact = 0;
        for (Path f : files) {
            String rel = ConformanceFiles.dir().relativize(f).toString();
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

    /**
     * With locations on, the printed text carries every op's and argument's {@code loc(...)} (the parser's
     * file:line:col positions), and parsing it back gives the same locations: print -> parse -> print with
     * locations is a fixpoint too. Every 10th conformance file keeps the run short.
     */
    @Test void printingWithLocationsIsAFixpoint() {
        List<Path> files = new ArrayList<>(ConformanceFiles.files("testdata"));
        files.addAll(ConformanceFiles.files("interpret"));
        PrintOptions withLocs = PrintOptions.DEFAULT.withLocations(true);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (int i = 0; i < files.size(); i += 10) {
            Path f = files.get(i);
            String rel = ConformanceFiles.dir().relativize(f).toString();
            List<Module> ms;
            try {
                ms = Conformance.parse(f);
            } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
                continue; // parse failures are reported by the fixpoint test
            }
            checked++;
            String once = printAll(ms, withLocs);
            assertThat(once).as(rel).contains(" loc(");
            String twice = printAll(MlirParser.parseSplit(once, rel), withLocs);
            if (!once.equals(twice)) failures.add(rel + " " + Conformance.firstDifference(once, twice));
        }
        assertThat(checked).isGreaterThan(100);
        assertThat(failures).isEmpty();
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
