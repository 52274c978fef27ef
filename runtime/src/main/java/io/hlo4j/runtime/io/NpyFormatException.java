package io.hlo4j.runtime.io;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/** A malformed, hostile or unsupported .npy file; the message names the file and what is wrong. */
public final class NpyFormatException extends Hlo4jException {
    public NpyFormatException(String message) {
        super(message, Location.UNKNOWN);
    }
}
