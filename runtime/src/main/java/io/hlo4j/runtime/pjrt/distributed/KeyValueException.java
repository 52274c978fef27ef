package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.pjrt.PjrtErrorCode;

/**
 * A key-value store operation that failed: a get that timed out (DEADLINE_EXCEEDED), a key set twice to different
 * values (ALREADY_EXISTS), a coordinator that cannot be reached (UNAVAILABLE). The code is what the PJRT callback
 * hands back to the plugin through {@code PJRT_CallbackError}.
 */
public final class KeyValueException extends Hlo4jException {
    private final PjrtErrorCode code;

    public KeyValueException(PjrtErrorCode code, String message) { this(code, message, null); }

    public KeyValueException(PjrtErrorCode code, String message, Throwable cause) {
        super(message, Location.UNKNOWN, cause);
        this.code = code;
    }

    public PjrtErrorCode code() { return code; }
}
