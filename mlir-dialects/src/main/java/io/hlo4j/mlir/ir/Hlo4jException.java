package io.hlo4j.mlir.ir;

/**
 * The one diagnostic exception of hlo4j: a message that names the op and the values involved, and the
 * location it applies to (a position in the text, or the user's Java line). The CLI prints
 * {@link #format()} on one line.
 */
public class Hlo4jException extends RuntimeException {
    private final Location location;

    public Hlo4jException(String message, Location location) {
        super(message);
        this.location = location == null ? Location.UNKNOWN : location;
    }

    public Hlo4jException(String message, Location location, Throwable cause) {
        super(message, cause);
        this.location = location == null ? Location.UNKNOWN : location;
    }

    public Location location() { return location; }

    /** {@code file:line:col: message}, or just the message when the location is unknown. */
    public String format() {
        if (location instanceof Location.Unknown) return getMessage();
        return location.describe() + ": " + getMessage();
    }
}
