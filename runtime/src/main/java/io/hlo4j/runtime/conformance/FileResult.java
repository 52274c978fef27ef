package io.hlo4j.runtime.conformance;

import java.nio.file.Path;

/**
 * One file's verdict. {@code message} is the first failing check or error (with its location), or the reason
 * for a skip; null for a pass. {@code modules} counts the modules (split chunks) the file holds.
 */
public record FileResult(Path file, Verdict verdict, String message, String mode, int modules, long millis) {
    /** {@code PASS path} or {@code FAIL path: message}. */
    public String line() {
        return verdict + " " + file + (message == null ? "" : ": " + message.replace('\n', ' '));
    }
}
