package io.hlo4j.mlir.roundtrip;

import io.hlo4j.mlir.ir.Module;
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
 * attribute and type, and verifies builtin, func and quant constructs). All modules go into one split-input
 * file so mlir-opt starts once. mlir-opt is looked up in {@code -Dhlo4j.mlirOpt}, {@code $MLIR_OPT},
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

    static Path findMlirOpt() {
        List<String> candidates = new ArrayList<>();
        if (System.getProperty("hlo4j.mlirOpt") != null) candidates.add(System.getProperty("hlo4j.mlirOpt"));
        if (System.getenv("MLIR_OPT") != null) candidates.add(System.getenv("MLIR_OPT"));
        candidates.add("/usr/lib/llvm-22/bin/mlir-opt");
        String path = System.getenv("PATH");
        if (path != null) for (String d : path.split(java.io.File.pathSeparator)) candidates.add(d + "/mlir-opt");
        for (String c : candidates) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    @Test void mlirOptAcceptsTheGenericPrintOfEveryConformanceModule() throws Exception {
        Path mlirOpt = findMlirOpt();
        if (mlirOpt == null) {
            String msg = "mlir-opt not found (install mlir-22-tools or set -Dhlo4j.mlirOpt / $MLIR_OPT)";
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(msg);
            Assumptions.abort(msg);
        }
        List<Path> files = new ArrayList<>(Conformance.files("testdata"));
        files.addAll(Conformance.files("interpret"));
        StringBuilder all = new StringBuilder();
        TreeMap<Integer, String> chunkAtLine = new TreeMap<>();
        int line = 1;
        int modules = 0;
        List<String> unparsed = new ArrayList<>();
        for (Path f : files) {
            String rel = Conformance.dir().relativize(f).toString();
            List<Module> ms;
            try {
                ms = Conformance.parse(f);
            } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
                unparsed.add(rel + ": not checked, hlo4j cannot parse it: " + e.getMessage());
                continue;
            }
            for (int i = 0; i < ms.size(); i++) {
                if (modules++ > 0) {
                    all.append("// -----\n");
                    line++;
                }
                chunkAtLine.put(line, rel + (ms.size() > 1 ? " (module " + (i + 1) + ")" : ""));
                String text = MlirPrinter.print(ms.get(i), PrintOptions.GENERIC);
                all.append(text);
                line += (int) text.chars().filter(c -> c == '\n').count();
            }
        }
        Path dir = Files.createDirectories(Path.of("target", "roundtrip"));
        Path input = dir.resolve("generic-all.mlir");
        Files.writeString(input, all);
        Process p = new ProcessBuilder(mlirOpt.toString(), "--allow-unregistered-dialect", "--split-input-file",
                input.toString(), "-o", "/dev/null").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("mlir-opt finished").isTrue();

        List<String> rejected = new ArrayList<>();
        List<String> excused = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(input.toString()) + ":(\\d+):(\\d+): error: (.*)$").matcher(output);
        while (m.find()) {
            Map.Entry<Integer, String> chunk = chunkAtLine.floorEntry(Integer.parseInt(m.group(1)));
            if (m.group(3).equals(MLIR_OPT_LIMITATIONS.get(chunk.getValue()))) excused.add(chunk.getValue());
            else rejected.add(chunk.getValue() + ": " + m.group(3));
        }
        List<String> all2 = new ArrayList<>(rejected);
        all2.addAll(unparsed);
        ConformanceRoundTripTest.report("mlir-opt.txt", "mlir-opt accepted the generic print of "
                + (modules - rejected.size() - excused.size()) + " / " + modules + " modules, " + excused.size()
                + " rejected for its own known limitation (" + (files.size() - unparsed.size()) + " of "
                + files.size() + " files parsed)", all2);
        assertThat(rejected).as("modules mlir-opt rejected").isEmpty();
        assertThat(excused).as("known mlir-opt limitations seen").containsExactlyInAnyOrderElementsOf(MLIR_OPT_LIMITATIONS.keySet());
        assertThat(unparsed).as("conformance files hlo4j could not parse, so not checked").isEmpty();
        assertThat(p.exitValue() == 0 || !excused.isEmpty()).as("mlir-opt exit status; output:\n%s", output.length() > 4000 ? output.substring(0, 4000) : output).isTrue();
    }
}
