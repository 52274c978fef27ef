package io.hlo4j.cli;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes {@code moe run}'s results so that a failure leaves nothing half-written: every file goes to a
 * temporary folder beside OUT first; only when all are written are they moved into place (the folder itself
 * when OUT does not exist yet, file by file into an existing OUT).
 */
final class MoeOutputWriter {
    private MoeOutputWriter() {}

    static void write(Path out, Map<String, HostArray> arrays, String metricsJson, Path dump, String dumpText) throws IOException {
        Path abs = out.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".tmp-");
        try {
            for (String n : MoeRunCommand.OUTPUTS) Npy.write(tmp.resolve(n + ".npy"), arrays.get(n));
            Files.writeString(tmp.resolve("metrics.json"), metricsJson);
            Path dumpTmp = null;
            if (dump != null) {
                dumpTmp = tmp.resolve("dump.mlir");
                Files.writeString(dumpTmp, dumpText);
                Path d = dump.toAbsolutePath().normalize();
                Files.createDirectories(d.getParent());
                Files.move(dumpTmp, d, StandardCopyOption.REPLACE_EXISTING);
            }
            if (!Files.exists(abs)) {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                return;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
                for (Path f : files) Files.move(f, abs.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            deleteTree(tmp);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }
}
