package io.hlo4j.runtime.pjrt;

/** {@code PJRT_Error_Code}: abseil's status codes, in their numeric order. */
public enum PjrtErrorCode {
    OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
    RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
    DATA_LOSS, UNAUTHENTICATED;

    private static final PjrtErrorCode[] ALL = values();

    /** The code for a plugin's number; a number outside the enum is reported as UNKNOWN. */
    public static PjrtErrorCode of(int code) {
        return code >= 0 && code < ALL.length ? ALL[code] : UNKNOWN;
    }
}
