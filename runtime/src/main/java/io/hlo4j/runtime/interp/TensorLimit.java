package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.Shape;

/**
 * The interpreter's one size rule for a static result, shared by its own check before a block runs and the CLI's
 * check before a run starts, so both refuse the same results with the same words.
 */
public final class TensorLimit {
    private TensorLimit() {}

    /**
     * null when {@code type} is not a static tensor type or fits a tensor ({@link Shape#MAX_ELEMENTS}), else why not,
     * as "TYPE has N elements; the interpreter holds at most M per tensor". A count past a long (TensorType.numElements
     * throws ArithmeticException from multiplyExact) is over the limit too.
     */
    public static String tooLarge(Type type) {
        if (!(type instanceof TensorType t) || !t.hasStaticShape()) return null;
        String n;
        try {
            long count = t.numElements();
            if (count <= Shape.MAX_ELEMENTS) return null;
            n = Long.toString(count);
        } catch (ArithmeticException overflow) {
            n = "more than " + Long.MAX_VALUE;
        }
        return t + " has " + n + " elements; the interpreter holds at most " + Shape.MAX_ELEMENTS + " per tensor";
    }
}
