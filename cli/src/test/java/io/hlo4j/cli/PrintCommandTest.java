package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j print} writes exactly what the printer gives, to stdout or one file per input. */
class PrintCommandTest {
    @TempDir Path dir;

    private static final PrintOptions NO_LOCATIONS = new PrintOptions(false, false);

    private static String printed(Path file, PrintOptions options) throws IOException {
        List<Module> modules = MlirParser.parseFile(file);
        StringBuilder sb = new StringBuilder();
        for (Module m : modules) {
            if (!sb.isEmpty()) sb.append("// -----\n");
            String text = MlirPrinter.print(m, options);
            sb.append(text).append(text.endsWith("\n") ? "" : "\n");
        }
        return sb.toString();
    }

    @Test void printsAConformanceFileAsThePrinterDoes() throws IOException {
        Path f = Cli.conformance().resolve("testdata/abs_float32_20_20.mlir");
        Cli.Run r = Cli.run("print", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo(printed(f, NO_LOCATIONS));
    }

    /** With --locations each op carries where the parser found it: the line of its text in the file. */
    @Test void locationsAreTheOpsPositionsInTheFile() throws IOException {
        Path f = Cli.conformance().resolve("testdata/abs_float32_20_20.mlir");
        List<String> source = Files.readAllLines(f);
        int absLine = 1 + source.indexOf(source.stream().filter(l -> l.contains("stablehlo.abs")).findFirst().orElseThrow());
        Cli.Run r = Cli.run("print", "--locations", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(printed(f, new PrintOptions(false, true)));
        String absPrinted = r.out().lines().filter(l -> l.contains("stablehlo.abs")).findFirst().orElseThrow();
        assertThat(absPrinted).contains(" loc(\"" + f + "\":" + absLine + ":");
        assertThat(Cli.run("print", "--locations", "--no-locations", f.toString()).out()).isEqualTo(printed(f, NO_LOCATIONS));
    }

    @Test void genericAndNoLocationsReachThePrinter() throws IOException {
        Path f = Cli.conformance().resolve("testdata/abs_float32_20_20.mlir");
        Cli.Run r = Cli.run("print", "--generic", "--no-locations", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(printed(f, PrintOptions.GENERIC)).contains("\"stablehlo.abs\"(");
    }

    /** Upstream's file is stablehlo-opt output, so canonical printing reproduces its module text. */
    @Test void canonicalOutputMatchesUpstreamText() throws IOException {
        Path f = Cli.conformance().resolve("testdata/abs_float32_20_20.mlir");
        String upstream = Files.readString(f).lines().filter(l -> !l.startsWith("// RUN:"))
                .dropWhile(String::isBlank).reduce("", (a, l) -> a + l + "\n");
        Cli.Run r = Cli.run("print", "--no-locations", f.toString());
        assertThat(r.out()).isEqualTo(upstream);
    }

    @Test void splitFilesPrintTheirModulesSplitTheSameWay() throws IOException {
        Path f = Cli.conformance().resolve("interpret/add.mlir");
        long markers = Files.readString(f).lines().filter(l -> l.equals("// -----")).count();
        Cli.Run r = Cli.run("print", "--no-locations", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(printed(f, NO_LOCATIONS));
        assertThat(r.out().lines().filter(l -> l.equals("// -----")).count()).isEqualTo(markers).isPositive();
    }

    @Test void outputDirectoryGetsOneFilePerInputUnderItsName() throws IOException {
        Path a = Cli.conformance().resolve("interpret/add.mlir");
        Path b = Cli.conformance().resolve("testdata/abs_float32_20_20.mlir");
        Path out = dir.resolve("out"); // does not exist yet: print creates it
        Cli.Run r = Cli.run("print", "--no-locations", "-o", out.toString(), a.toString(), b.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEmpty();
        try (var listing = Files.list(out)) {
            assertThat(listing.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("abs_float32_20_20.mlir", "add.mlir");
        }
        assertThat(Files.readString(out.resolve("add.mlir"))).isEqualTo(printed(a, NO_LOCATIONS));
        assertThat(Files.readString(out.resolve("abs_float32_20_20.mlir"))).isEqualTo(printed(b, NO_LOCATIONS));
    }

    @Test void printedOutputParsesToTheSameText() throws IOException {
        Path f = Cli.conformance().resolve("interpret/add.mlir");
        Path out = dir.resolve("once");
        assertThat(Cli.run("print", "-o", out.toString(), f.toString()).code()).isZero();
        Path again = dir.resolve("twice");
        Cli.Run r = Cli.run("print", "-o", again.toString(), out.resolve("add.mlir").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.readString(again.resolve("add.mlir"))).isEqualTo(Files.readString(out.resolve("add.mlir")));
    }

    @Test void inputsWithTheSameNameWouldCollide() throws IOException {
        Path x = Files.createDirectories(dir.resolve("x")).resolve("m.mlir");
        Path y = Files.createDirectories(dir.resolve("y")).resolve("m.mlir");
        Files.writeString(x, "");
        Files.writeString(y, "");
        Cli.Run r = Cli.run("print", "-o", dir.resolve("out").toString(), x.toString(), y.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j print: " + x + " and " + y + " would both be written to "
                + dir.resolve("out").resolve("m.mlir") + " (see 'hlo4j print --help')\n");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test void refusesToOverwriteAnInput() throws IOException {
        Path m = dir.resolve("m.mlir");
        Files.writeString(m, "module {\n}\n");
        Cli.Run r = Cli.run("print", "-o", dir.toString(), m.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("hlo4j print: -o " + dir + " would overwrite the input " + m);
        assertThat(Files.readString(m)).isEqualTo("module {\n}\n");
    }

    @Test void outputDirectoryMustNotBeAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "");
        Cli.Run r = Cli.run("print", "-o", file.toString(), "a.mlir");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("hlo4j print: -o " + file + " is not a directory");
    }

    /** --profile pre-properties reaches the printer: a dynamic/ file (a pre-properties JAX export) prints back as written. */
    @Test void profilePrintsPrePropertiesExportsBackAsWritten() throws IOException {
        Path f = Cli.conformance().resolve("testdata/dynamic/dot_general_dynamic.mlir");
        Cli.Run r = Cli.run("print", "--profile", "pre-properties", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(printed(f, NO_LOCATIONS.withProfile(PrintOptions.Profile.PRE_PROPERTIES)))
                .contains("\"stablehlo.dot_general\"(%arg1, %arg2) {dot_dimension_numbers");
        assertThat(Cli.run("print", "--profile", "old", f.toString()).code()).isEqualTo(2);
    }
}
