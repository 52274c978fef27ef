package io.hlo4j.mlir.roundtrip;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirOpt;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The external check: LLVM's own {@code mlir-opt} must accept the generic-form print of every conformance
 * module ({@code --allow-unregistered-dialect}: stablehlo/chlo/check ops stay opaque to it, but it parses every
 * attribute and type, and verifies builtin, func and quant constructs), and its own generic re-print of each
 * module must equal ours. All modules go into one split-input file so mlir-opt starts once. mlir-opt is looked up in {@code -Dhlo4j.mlirOpt}, {@code $MLIR_OPT},
 * {@code /usr/lib/llvm-22/bin/mlir-opt}, then the PATH; when it is missing the test fails under {@code CI=true}
 * and is skipped otherwise.
 */
class MlirOptGenericCheckTest {
    /**
     * Rejections that are mlir-opt's, not the printer's: with stablehlo unregistered, mlir-opt must assume an
     * unknown op may be a symbol table, so a {@code func.call} nested in {@code stablehlo.reduce_window}'s
     * region looks its callee up in that op and fails. Each entry must still occur (stale entries fail).
     */
    static final Map<String, String> MLIR_OPT_LIMITATIONS = Map.of(
            "testdata/cumlogsumexp_float16_8_9.mlir", "'func.call' op 'logaddexp' does not reference a valid function",
            "testdata/cumlogsumexp_float64_8_9.mlir", "'func.call' op 'logaddexp' does not reference a valid function");

    /** The modules of StableHLO's testdata and interpret files; the mlir-opt test checks this count, the README states it. */
    static final int MODULES = 1944;

    /** One split-input file of modules and the mlir-opt errors it produced, by module name. */
    private record Run(int exitCode, String output, List<String> errors) {}

    private static Run runMlirOpt(Path mlirOpt, Path input, List<String> names, List<Integer> startLines, String... extra)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(mlirOpt.toString(), "--allow-unregistered-dialect", "--split-input-file"));
        cmd.addAll(List.of(extra));
        cmd.add(input.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).as("mlir-opt finished").isTrue();
        TreeMap<Integer, String> chunkAtLine = new TreeMap<>();
        for (int i = 0; i < names.size(); i++) chunkAtLine.put(startLines.get(i), names.get(i));
        List<String> errors = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(input.toString()) + ":(\\d+):(\\d+): error: (.*)$").matcher(output);
        while (m.find()) errors.add(chunkAtLine.floorEntry(Integer.parseInt(m.group(1))).getValue() + ": " + m.group(3));
        return new Run(p.exitValue(), output, errors);
    }

    /** Writes the modules as one split-input file; returns each module's first line. */
    private static List<Integer> write(Path file, List<String> texts) throws IOException {
        StringBuilder sb = new StringBuilder();
        List<Integer> starts = new ArrayList<>();
        int line = 1;
        for (int i = 0; i < texts.size(); i++) {
            if (i > 0) {
                sb.append("// -----\n");
                line++;
            }
            starts.add(line);
            sb.append(texts.get(i));
            line += (int) texts.get(i).chars().filter(c -> c == '\n').count();
        }
        Files.writeString(file, sb);
        return starts;
    }

    /**
     * mlir-opt parses and verifies the generic print of every module, and its own generic re-print of it is
     * identical to ours (up to the trailing newline): the same SSA numbering, attribute and float spellings,
     * property and region layout as MLIR's printer.
     */
    @Test void mlirOptAcceptsAndReprintsTheGenericPrintOfEveryConformanceModule() throws Exception {
        Path mlirOpt = MlirOpt.find();
        if (mlirOpt == null) {
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(MlirOpt.NOT_FOUND);
            Assumptions.abort(MlirOpt.NOT_FOUND);
        }
        List<Path> files = new ArrayList<>(ConformanceFiles.files("testdata"));
        files.addAll(ConformanceFiles.files("interpret"));
        List<String> texts = new ArrayList<>(), names = new ArrayList<>();
        List<String> limitedTexts = new ArrayList<>(), limitedNames = new ArrayList<>();
        List<String> unparsed = new ArrayList<>();
        for (Path f : files) {
            String rel = ConformanceFiles.dir().relativize(f).toString();
            List<Module> ms;
            try {
                ms = Conformance.parse(f);
            } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
                unparsed.add(rel + ": not checked, hlo4j cannot parse it: " + e.getMessage());
                continue;
            }
            for (int i = 0; i < ms.size(); i++) {
                String name = ms.size() > 1 ? rel + " (module " + (i + 1) + ")" : rel;
                String text = MlirPrinter.print(ms.get(i), PrintOptions.GENERIC);
                (MLIR_OPT_LIMITATIONS.containsKey(name) ? limitedNames : names).add(name);
                (MLIR_OPT_LIMITATIONS.containsKey(name) ? limitedTexts : texts).add(text);
            }
        }
        Path dir = Files.createDirectories(Path.of("target", "roundtrip"));
        Path input = dir.resolve("generic-all.mlir");
        Path reprinted = dir.resolve("generic-all.mlir-opt.mlir");
        Run run = runMlirOpt(mlirOpt, input, names, write(input, texts), "--mlir-print-op-generic", "-o", reprinted.toString());

        List<String> problems = new ArrayList<>(run.errors());
        int identical = 0;
        if (run.exitCode() == 0) {
            String[] back = Files.readString(reprinted).split("// -----\n", -1);
            assertThat(back).as("modules mlir-opt printed back").hasSize(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                if (back[i].strip().equals(texts.get(i).strip())) identical++;
                else problems.add(names.get(i) + ": mlir-opt re-prints it differently "
                        + Conformance.firstDifference(texts.get(i), back[i]));
            }
        } else if (run.errors().isEmpty()) {
            problems.add("mlir-opt failed: " + run.output().substring(0, Math.min(4000, run.output().length())));
        }

        Path limitedInput = dir.resolve("generic-limitations.mlir");
        Run limited = runMlirOpt(mlirOpt, limitedInput, limitedNames, write(limitedInput, limitedTexts), "-o", "/dev/null");
        List<String> expectedLimitations = MLIR_OPT_LIMITATIONS.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
        // The same modules with mlir-opt's verifier off: its parser must still accept them and re-print them
        // exactly as we print them, so only the symbol lookup through an unregistered op is left unchecked.
        Path limitedBack = dir.resolve("generic-limitations.mlir-opt.mlir");
        Run parsedOnly = runMlirOpt(mlirOpt, limitedInput, limitedNames, write(limitedInput, limitedTexts),
                "--mlir-very-unsafe-disable-verifier-on-parsing", "--mlir-print-op-generic", "-o", limitedBack.toString());
        int limitedIdentical = 0;
        if (parsedOnly.exitCode() == 0) {
            String[] back = Files.readString(limitedBack).split("// -----\n", -1);
            assertThat(back).as("limited modules mlir-opt printed back").hasSize(limitedTexts.size());
            for (int i = 0; i < limitedTexts.size(); i++) {
                if (back[i].strip().equals(limitedTexts.get(i).strip())) limitedIdentical++;
                else problems.add(limitedNames.get(i) + ": mlir-opt (verifier off) re-prints it differently "
                        + Conformance.firstDifference(limitedTexts.get(i), back[i]));
            }
        } else {
            problems.add("mlir-opt with the verifier off rejected the known-limitation modules: " + parsedOnly.errors());
        }

        problems.addAll(unparsed);
        ConformanceRoundTripTest.report("mlir-opt.txt", "mlir-opt accepted the generic print of " + (texts.size() - run.errors().size())
                + " / " + texts.size() + " modules and re-printed " + identical + " of them identically; "
                + limitedTexts.size() + " more are rejected by its verifier for mlir-opt's own known limitation, and with the verifier off it parses and re-prints "
                + limitedIdentical + " of those identically (" + (files.size() - unparsed.size())
                + " of " + files.size() + " files parsed)", problems);
        assertThat(problems).as("modules mlir-opt rejects or re-prints differently").isEmpty();
        assertThat(texts.size() + limitedTexts.size()).as("conformance modules checked (the README states this count)").isEqualTo(MODULES);
        assertThat(identical).isEqualTo(texts.size());
        assertThat(limited.errors()).as("known mlir-opt limitations still occur").containsExactlyInAnyOrderElementsOf(expectedLimitations);
        assertThat(limitedIdentical).as("known-limitation modules parsed and re-printed identically with the verifier off").isEqualTo(limitedTexts.size());
    }

    /** The README states what this test finds: how many modules mlir-opt verifies, and that the limitations are not hidden. */
    @Test void readmeStatesTheMlirOptResult() throws IOException {
        Path readme = Path.of("").toAbsolutePath().getParent().resolve("README.md");
        String text = Files.readString(readme).replaceAll("\\s+", " ");
        int total = MODULES, limited = MLIR_OPT_LIMITATIONS.size();
        assertThat(text).as(readme.toString())
                .contains("parses and verifies the generic print of " + String.format(java.util.Locale.ROOT, "%,d", total - limited)
                        + " of the " + String.format(java.util.Locale.ROOT, "%,d", total) + " modules; the other " + limited)
                .doesNotContain("accepts the generic print of every module");
    }

    /** -Dhlo4j.mlirOpt wins when it names an executable; a non-executable one is passed over. */
    @Test void mlirOptIsLookedUpFromThePropertyFirst() throws IOException {
        Path dir = Files.createTempDirectory("hlo4j-mlir-opt");
        Path exe = Files.writeString(dir.resolve("my-mlir-opt"), "#!/bin/sh\n");
        Path plain = Files.writeString(dir.resolve("not-executable"), "");
        assertThat(exe.toFile().setExecutable(true)).isTrue();
        String before = System.getProperty("hlo4j.mlirOpt");
        try {
            System.setProperty("hlo4j.mlirOpt", exe.toString());
            assertThat(MlirOpt.find()).isEqualTo(exe);
            System.setProperty("hlo4j.mlirOpt", plain.toString());
            assertThat(MlirOpt.find()).isNotEqualTo(plain);
            assertThat(MlirOpt.candidates().getFirst()).isEqualTo(plain.toString());
        } finally {
            if (before == null) System.clearProperty("hlo4j.mlirOpt");
            else System.setProperty("hlo4j.mlirOpt", before);
        }
    }
}
