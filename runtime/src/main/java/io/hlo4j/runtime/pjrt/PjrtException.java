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

    public PjrtException(PjrtErrorCode code, String call, String pluginMessage) {
        super(call + " failed with " + code + ": " + pluginMessage, Location.UNKNOWN);
        this.code = code;
        this.call = call;
        this.pluginMessage = pluginMessage;
    }

    public PjrtErrorCode code() { return code; }

    /** The C API function that returned the error, e.g. {@code PJRT_Client_Compile}. */
    public String call() { return call; }

    /** The plugin's own message, unchanged. */
    public String pluginMessage() { return pluginMessage; }
}
