package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

/**
 * The printer refused to write text the parser would refuse to read back: nesting deeper than
 * {@link io.hlo4j.mlir.parse.MlirParser#MAX_NESTING} levels of brackets. Names the op that nests too deep and its location.
 */
public final class PrintLimitException extends Hlo4jException {
    PrintLimitException(String message, Location location) { super(message, location); }
}
