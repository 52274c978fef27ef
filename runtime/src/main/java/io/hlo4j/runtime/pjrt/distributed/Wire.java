package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.io.DataInputStream;
import java.io.IOException;

/** The length-prefixed values of the coordinator's protocol, read whole or refused: never a shorter value. */
final class Wire {
    private Wire() {}

    /** The largest value a put or get may carry: a store for topologies and result blocks, not for weights. */
    static final int MAX_VALUE_BYTES = 256 << 20;

    /**
     * {@code n} bytes, all of them ({@link java.io.EOFException} when the stream ends first); a negative length or one
     * above {@link #MAX_VALUE_BYTES} is INVALID_ARGUMENT naming {@code what}, before anything is allocated.
     */
    static byte[] readValue(DataInputStream in, int n, String what) throws IOException {
        checkLength(n, what);
        byte[] v = new byte[n];
        in.readFully(v);
        return v;
    }

    static void checkLength(long n, String what) {
        if (n < 0 || n > MAX_VALUE_BYTES)
            throw new KeyValueException(PjrtErrorCode.INVALID_ARGUMENT, what + ": value length " + n + " is not in [0, " + MAX_VALUE_BYTES
                    + "] (256 MiB, the store's cap)");
    }
}
