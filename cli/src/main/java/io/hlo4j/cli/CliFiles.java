package io.hlo4j.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The user's paths, checked before any work starts, so that a wrong one is refused in one line naming it (and the
 * option it came from) and no command computes for minutes only to fail at its first write. Each failure is a
 * {@link FileSystemException} whose reason {@link Diagnostics} prints after the path.
 */
final class CliFiles {
    private CliFiles() {}

    /** An input file: it exists and is a readable file, not a folder. {@code option} (may be null) names where it came from. */
    static void requireInputFile(Path p, String option) throws IOException {
        if (!Files.exists(p)) throw new NoSuchFileException(p.toString(), null, option == null ? null : "no such file (" + option + ")");
        if (Files.isDirectory(p)) throw new FileSystemException(p.toString(), null, "is a directory" + taking(option, "a file"));
        if (!Files.isReadable(p)) throw new FileSystemException(p.toString(), null, "permission denied" + paren(option));
    }

    /**
     * The text of a source file, read as {@link io.hlo4j.mlir.parse.TextFiles} reads it for the parser's users: missing,
     * a folder, over its size limit or not strict UTF-8 (the bad byte's offset named), it is refused by name.
     */
    static String readText(Path p) throws IOException { return io.hlo4j.mlir.parse.TextFiles.read(p); }

    /**
     * An output file, checked without writing anything: not a folder, and the nearest existing folder on its path is a
     * writable folder (the missing ones are created when it is written, as {@code -o DIR} of {@code run} and
     * {@code print} is), not a file.
     */
    static void checkOutputFile(Path p, String option) throws IOException {
        if (Files.isDirectory(p)) throw new FileSystemException(p.toString(), null, "is a directory" + taking(option, "a file name"));
        Path parent = p.toAbsolutePath().normalize().getParent();
        if (parent != null) checkOutputDir(parent, p, option);
    }

    /**
     * An output folder, checked without creating it: an existing one must be a writable folder, a new one creatable
     * (a probe folder is made and removed in its nearest existing parent).
     */
    static void checkOutputDir(Path dir, String option) throws IOException { checkOutputDir(dir, dir, option); }

    private static void checkOutputDir(Path dir, Path named, String option) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Path q = abs;
        while (q != null && !Files.exists(q)) q = q.getParent();
        if (q == null) return;
        if (!Files.isDirectory(q)) {
            throw new FileSystemException(named.toString(), null, (q.equals(named.toAbsolutePath().normalize())
                    ? "exists and is not a directory" : q + " is a file, not a directory") + paren(option));
        }
        if (!Files.isWritable(q)) throw new FileSystemException(named.toString(), null, "folder " + q + " is not writable" + paren(option));
        if (!q.equals(abs)) {
            // folders are missing: try making one where they would go (and remove it), since a writable-looking
            // parent such as /proc may still refuse, and that must be known before the work, not after it
            try {
                Files.delete(Files.createTempDirectory(q, ".hlo4j-check-"));
            } catch (IOException e) {
                throw new FileSystemException(named.toString(), null, "cannot create folders in " + q + paren(option));
            }
        }
    }

    /** {@link #checkOutputFile}, then its missing folders created: just before the file is written. */
    static void prepareOutputFile(Path p, String option) throws IOException {
        checkOutputFile(p, option);
        Path parent = p.toAbsolutePath().normalize().getParent();
        if (parent != null) Files.createDirectories(parent);
    }

    /** Writes {@code text} (UTF-8) to {@code p}; an I/O error the JDK reports without a path (EIO, ENOSPC) names it. */
    static void writeString(Path p, String text) throws IOException { write(p, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)); }

    /** {@code a} as a .npy file (see {@link #writeString}). */
    static void writeNpy(Path p, io.hlo4j.runtime.array.HostArray a) throws IOException { write(p, io.hlo4j.runtime.io.Npy.encode(a)); }

    static void write(Path p, byte[] bytes) throws IOException {
        try {
            Files.write(p, bytes);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw new FileSystemException(p.toString(), null, "cannot write: " + e.getMessage());
        }
    }

    static String paren(String option) { return option == null ? "" : " (" + option + ")"; }

    static String taking(String option, String what) { return option == null ? "" : " (" + option + " takes " + what + ")"; }
}
