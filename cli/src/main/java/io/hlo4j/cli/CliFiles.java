package io.hlo4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
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

    /** The text of a source file, strict UTF-8; a file that is not is refused by name. */
    static String readText(Path p) throws IOException {
        requireInputFile(p, null);
        try {
            return Files.readString(p);
        } catch (CharacterCodingException e) {
            throw new FileSystemException(p.toString(), null, "not valid UTF-8 text");
        }
    }

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

    /** An output folder, checked without creating it: an existing one must be a writable folder, a new one creatable. */
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

    /**
     * A PJRT plugin: an existing file that starts like a shared library (ELF, or Mach-O on macOS). Checked here because
     * the JVM, asked to load any other file, prints its own warnings before the loader's error.
     */
    static void requirePlugin(Path p, picocli.CommandLine.Model.CommandSpec spec) throws IOException {
        // the default comes from the environment: a stale variable must be named as such
        String option = spec.commandLine().getParseResult().hasMatchedOption("--pjrt-plugin") ? "--pjrt-plugin" : "HLO4J_PJRT_PLUGIN";
        requireInputFile(p, option);
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, 4);
        }
        if (n < 4 || !isSharedLibrary(head)) {
            throw new FileSystemException(p.toString(), null,
                    "is not a shared library (no ELF or Mach-O header); " + option + " names a PJRT plugin such as pjrt_c_api_gpu_plugin.so");
        }
    }

    private static boolean isSharedLibrary(byte[] h) {
        int magic = (h[0] & 0xFF) << 24 | (h[1] & 0xFF) << 16 | (h[2] & 0xFF) << 8 | (h[3] & 0xFF);
        return magic == 0x7F454C46 // ELF
                || magic == 0xFEEDFACE || magic == 0xFEEDFACF || magic == 0xCEFAEDFE || magic == 0xCFFAEDFE // Mach-O 32/64, both orders
                || magic == 0xCAFEBABE; // Mach-O universal (a class file has it too; the loader refuses that one by name)
    }

    private static String paren(String option) { return option == null ? "" : " (" + option + ")"; }

    private static String taking(String option, String what) { return option == null ? "" : " (" + option + " takes " + what + ")"; }
}
