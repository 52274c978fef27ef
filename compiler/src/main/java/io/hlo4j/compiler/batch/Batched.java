package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

/**
 * A value of the batched program and where its batch dimension is: {@code bdim} in {@code [0, rank)}, or
 * {@link #NONE} when the value is the same for every example (it was computed from unbatched inputs only).
 */
public record Batched(Value value, int bdim) {
    public static final int NONE = -1;

    public static Batched of(Value v, int bdim) { return new Batched(v, bdim); }
    public static Batched unbatched(Value v) { return new Batched(v, NONE); }

    /** The values of {@code xs}, in order. */
    public static java.util.List<Value> values(java.util.List<Batched> xs) { return xs.stream().map(Batched::value).toList(); }

    public boolean batched() { return bdim != NONE; }

    public TensorType type() { return (TensorType) value.type(); }

    /** The rank of one example: the value's rank less the batch dimension. */
    public int exampleRank() { return type().rank() - (batched() ? 1 : 0); }

    public String describe() {
        return value.type() + (batched() ? " batched at dim " + bdim : " unbatched");
    }
}
