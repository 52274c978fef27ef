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

    /**
     * The message as constructed, without the location: what {@link #format()} and the CLI print after it. A subclass
     * may render more in {@link #getMessage()} (the DSL's errors add {@code (at loc)} for callers that print the
     * message alone); this stays the bare text.
     */
    public String detail() { return super.getMessage(); }

    /**
     * {@code message (at loc)}, or just the message when the location is unknown: what a subclass whose users print
     * {@link #getMessage()} alone (the DSL's errors) returns from it.
     */
    protected String detailWithLocation() {
        return !location.isPlaced() ? detail() : detail() + " (at " + location.describe() + ")";
    }

    /** {@code file:line:col: message}, or just the message when the location names no place. */
    public String format() {
        if (!location.isPlaced()) return detail();
        return location.describe() + ": " + detail();
    }
}
