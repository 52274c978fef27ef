package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.util.List;

/**
 * A key-value store operation that failed: a get that timed out (DEADLINE_EXCEEDED), a key set twice to different
 * values (ALREADY_EXISTS), a coordinator that cannot be reached (UNAVAILABLE). The code is what the PJRT callback
 * hands back to the plugin through {@code PJRT_CallbackError}.
 */
public final class KeyValueException extends Hlo4jException {
    private final PjrtErrorCode code;
    private final List<Integer> missing;

    public KeyValueException(PjrtErrorCode code, String message) { this(code, message, null); }

    public KeyValueException(PjrtErrorCode code, String message, Throwable cause) { this(code, message, cause, List.of()); }

    /** A wait that ran out naming the job's processes {@code missing}, whose keys did not come. */
    public KeyValueException(PjrtErrorCode code, String message, Throwable cause, List<Integer> missing) {
        super(message, Location.UNKNOWN, cause);
        this.code = code;
        this.missing = List.copyOf(missing);
    }

    public PjrtErrorCode code() { return code; }

    /** The processes whose keys a wait ran out on (empty when the failure names none): {@link DistributedProcess#close} does not wait for them again. */
    public List<Integer> missing() { return missing; }
}
