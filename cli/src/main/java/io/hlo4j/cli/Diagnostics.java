package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Hlo4jException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Turns any failure into the one line the CLI prints: {@code hlo4j: file:line:col: message}. Stack traces
 * appear only with {@code --verbose}; nothing else ever prints one.
 */
final class Diagnostics {
    private Diagnostics() {}

    static void report(PrintWriter err, Path file, Throwable t, boolean verbose) {
        // a path or message may hold a newline or an escape (ESC): written escaped, the error stays one printable line
        err.println("hlo4j: " + Main.printable(describe(file, t)) + (verbose || !isInternal(t) ? "" : " (rerun with --verbose for the stack trace)"));
        if (verbose) t.printStackTrace(err);
        err.flush();
    }

    /** The message without the {@code hlo4j: } prefix. {@code file} (may be null) names the input being processed. */
    static String describe(Path file, Throwable t) {
        String where = file == null ? "" : shown(file.toString()) + ": ";
        return switch (t) {
            // the location and the message are separate fields: each said once
            case Hlo4jException h when !h.location().isPlaced() -> where + firstLine(h.detail());
            case Hlo4jException h -> h.location().describe() + ": " + firstLine(h.detail());
            case NoSuchFileException e -> shown(e.getFile()) + ": " + (e.getReason() != null ? e.getReason() : "no such file");
            case AccessDeniedException e -> shown(e.getFile()) + ": permission denied";
            case FileSystemException e when e.getReason() != null -> shown(e.getFile()) + ": " + e.getReason();
            // Without a reason the JDK's message is the bare path: say what the exception means.
            case FileAlreadyExistsException e -> shown(e.getFile()) + ": already exists";
            case DirectoryNotEmptyException e -> shown(e.getFile()) + ": is a directory that is not empty";
            case NotDirectoryException e -> shown(e.getFile()) + ": is not a directory";
            case FileSystemException e -> shown(e.getFile()) + ": cannot be used (" + e.getClass().getSimpleName() + ")";
            // Files.walk and Files.lines throw these mid-stream (a folder it may not read under the one given)
            case java.io.UncheckedIOException e when e.getCause() != null -> describe(file, e.getCause());
            case CharacterCodingException e -> where + "not valid UTF-8 text";
            case IOException e -> where + firstLine(String.valueOf(e.getMessage()));
            case StackOverflowError e -> where + "nested too deeply for the thread stack (raise -Xss in HLO4J_JAVA_OPTS)";
            case OutOfMemoryError e -> where + "out of memory (raise -Xmx in HLO4J_JAVA_OPTS)";
            case UnsupportedOperationException e -> where + "not implemented yet: " + firstLine(String.valueOf(e.getMessage()));
            // Commands refuse bad arguments (wrong number of inputs, ...) this way; the message says it all.
            case IllegalArgumentException e when e.getMessage() != null -> where + firstLine(e.getMessage());
            default -> where + "internal error: " + t.getClass().getName()
                    + (t.getMessage() == null ? "" : ": " + firstLine(t.getMessage()));
        };
    }

    /** A path as the user gave it; an empty one (a stray {@code ""} on the command line) said so rather than printed as nothing. */
    static String shown(String path) { return path == null || path.isEmpty() ? "'' (an empty path)" : path; }

    /** Failures that are bugs in hlo4j rather than problems with the input or the machine. */
    static boolean isInternal(Throwable t) {
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) return isInternal(u.getCause());
        return !(t instanceof Hlo4jException || t instanceof IOException || t instanceof StackOverflowError
                || t instanceof OutOfMemoryError || (t instanceof IllegalArgumentException && t.getMessage() != null));
    }

    /** Messages are printed on one line: anything after a newline is cut (verbose output keeps it). */
    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).stripTrailing() + " ...";
    }
}
