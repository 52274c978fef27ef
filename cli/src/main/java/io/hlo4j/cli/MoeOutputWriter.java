package io.hlo4j.cli;

import io.hlo4j.runtime.array.HostArray;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes {@code moe run}'s results so that a failure leaves nothing half-written: every file goes to a
 * temporary folder beside OUT first; only when all are written are they moved into place (the folder itself
 * when OUT does not exist yet, file by file into an existing OUT).
 */
final class MoeOutputWriter {
    private MoeOutputWriter() {}

    /** The arrays and metrics into {@code out}; each text of {@code texts} (a dump, a report) to its own path. */
    static void write(Path out, Map<String, HostArray> arrays, String metricsJson, Map<Path, String> texts) throws IOException {
        Path abs = out.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        Path tmp;
        try {
            tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".tmp-");
        } catch (IOException e) { // the staging folder's random name would mean nothing to the user: name OUT
            throw new java.nio.file.FileSystemException(out.toString(), null, "cannot write beside it in " + parent + ": "
                    + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage()));
        }
        try {
            for (String n : MoeRunCommand.OUTPUTS) CliFiles.writeNpy(tmp.resolve(n + ".npy"), arrays.get(n));
            CliFiles.writeString(tmp.resolve("metrics.json"), metricsJson);
            // the side files are written in full beside the results first, then moved: a failure leaves none half-written
            List<Path> staged = new ArrayList<>();
            for (String ignored : texts.values()) staged.add(Files.createTempFile(tmp, "side-", ".txt"));
            int i = 0;
            for (String text : texts.values()) CliFiles.writeString(staged.get(i++), text);
            i = 0;
            for (Path target : texts.keySet()) {
                Path d = target.toAbsolutePath().normalize();
                Files.createDirectories(d.getParent());
                Files.move(staged.get(i++), d, StandardCopyOption.REPLACE_EXISTING);
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
