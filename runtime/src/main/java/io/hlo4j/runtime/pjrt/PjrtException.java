package io.hlo4j.runtime.pjrt;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/**
 * A failure reported by a PJRT plugin (a non-NULL {@code PJRT_Error*}) or detected by the binding
 * before calling it. Carries the PJRT error code, the plugin's message and the C API call that failed.
 */
public final class PjrtException extends Hlo4jException {
    private final PjrtErrorCode code;
    private final String call;
    private final String pluginMessage;

    public PjrtException(PjrtErrorCode code, String call, String pluginMessage) { this(code, call, pluginMessage, Location.UNKNOWN); }

    private PjrtException(PjrtErrorCode code, String call, String pluginMessage, Location location) {
        super(call + " failed with " + code + ": " + pluginMessage, location);
        this.code = code;
        this.call = call;
        this.pluginMessage = pluginMessage;
    }

    /**
     * The same failure located at {@code location} (the program's own location, e.g. the user's jit line, when the
     * binding knows which program failed); this one is kept as the cause.
     */
    public PjrtException at(Location location) {
        PjrtException located = new PjrtException(code, call, pluginMessage, location);
        located.initCause(this);
        return located;
    }

    public PjrtErrorCode code() { return code; }

    /** The C API function that returned the error, e.g. {@code PJRT_Client_Compile}. */
    public String call() { return call; }

    /** The plugin's own message, unchanged. */
    public String pluginMessage() { return pluginMessage; }
}
