package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.ConformanceFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every module of StableHLO's conformance files is valid, so the verifier must accept each one. */
class ConformanceVerifyTest {
    /**
     * Rejections by op verifiers outside the module verifier that upstream does not make (the file passes
     * upstream's stablehlo-opt), as file -> message. Each must still occur, so the list cannot go stale: fix
     * the op verifier, then drop the entry. Empty now (stablehlo.dynamic_conv's window check was one, fixed).
     */
    static final java.util.Map<String, String> KNOWN_OP_VERIFIER_BUGS = java.util.Map.of();

    /** StableHLO's conformance suite holds 1944 modules; far fewer means the files were not found, and nothing was checked. */
    static final int AT_LEAST_MODULES = 1900;

    @Test void everyConformanceModuleVerifies() throws IOException {
        Path dir = ConformanceFiles.dir();
        List<Path> files = ConformanceFiles.all();
        List<String> failures = new ArrayList<>();
        int modules = 0;
        int rejected = 0;
        List<String> excused = new ArrayList<>();
        for (Path f : files) {
            String rel = dir.relativize(f).toString();
            List<Module> ms;
            try {
                ms = MlirParser.parseSplit(Files.readString(f), rel);
            } catch (Hlo4jException e) {
                failures.add(rel + ": does not parse: " + e.format());
                continue;
            }
            for (Module m : ms) {
                modules++;
                try {
                    ModuleVerifier.verify(m);
                } catch (Hlo4jException e) {
                    rejected++;
                    String known = KNOWN_OP_VERIFIER_BUGS.get(rel);
                    if (known != null && e.getMessage().equals(known)) excused.add(rel);
                    else failures.add(rel + ": " + e.format());
                }
            }
        }
        Path out = Files.createDirectories(Path.of("target", "roundtrip"));
        Files.writeString(out.resolve("verify.txt"), (modules - rejected) + " / " + modules
                + " parsed conformance modules verify; known op-verifier bugs: " + excused + "\n"
                + String.join("\n", failures) + "\n");
        assertThat(modules).as("conformance modules parsed from " + dir + " (" + files.size() + " files)").isGreaterThanOrEqualTo(AT_LEAST_MODULES);
        assertThat(failures).as("conformance modules the verifier rejects").isEmpty();
        assertThat(excused).as("known op-verifier bugs still seen").containsExactlyInAnyOrderElementsOf(KNOWN_OP_VERIFIER_BUGS.keySet());
    }
}
