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
        for (Path f : files) {
            String rel = Conformance.dir().relativize(f).toString();
            List<Module> ms = Conformance.parse(f);
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
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(input.toString()) + ":(\\d+):(\\d+): error: (.*)$").matcher(output);
        while (m.find()) {
            Map.Entry<Integer, String> chunk = chunkAtLine.floorEntry(Integer.parseInt(m.group(1)));
            rejected.add(chunk.getValue() + ": " + m.group(3));
        }
        ConformanceRoundTripTest.report("mlir-opt.txt", "mlir-opt accepted the generic print of "
                + (modules - rejected.size()) + " / " + modules + " modules (" + files.size() + " files)", rejected);
        assertThat(rejected).as("modules mlir-opt rejected").isEmpty();
        assertThat(p.exitValue()).as("mlir-opt exit status; output:\n%s", output.length() > 4000 ? output.substring(0, 4000) : output).isZero();
    }
}
