package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A traced symbol: an IR value of the function being traced, with its shape and dtype. It holds no data;
 * ops on it emit StableHLO into the current trace ({@link Trace}). Using it after its trace (or its
 * control-flow body) finished is an error naming the op and the user's line. Fluent methods mirror the
 * static ones in {@link Ops}, {@link Reductions}, {@link Linalg} and {@link Nn}.
 */
public final class Tensor {
    private final Value value;
    private final TensorType type;

    public Tensor(Value value) {
        if (!(value.type() instanceof TensorType t)) throw new IllegalArgumentException("not a tensor value: " + value.type());
        this.value = value;
        this.type = t;
    }

    public Value value() { return value; }
    public TensorType type() { return type; }
    public Shape shape() { return new Shape(type.shape()); }
    public long[] dims() { return type.shape(); }
    public long dim(int axis) { return type.dim(Ops.axis(this, axis, "dim", SourceLoc.here())); }
    public int rank() { return type.rank(); }
    public DType dtype() { return DType.of(type.elementType()); }
    public long size() { return type.numElements(); }

    /** {@code f32[2,3]} for messages. */
    public String describe() {
        return dtype() + shape().toString();
    }

    static String describeAll(List<Tensor> ts) {
        return ts.stream().map(Tensor::describe).collect(Collectors.joining(", ", "(", ")"));
    }

    @Override public String toString() { return "Tensor(" + describe() + ")"; }

    // ---- fluent forms ---------------------------------------------------------------------------------------
    public Tensor add(Tensor o) { return Ops.add(this, o); }
    public Tensor add(double o) { return Ops.add(this, o); }
    public Tensor sub(Tensor o) { return Ops.sub(this, o); }
    public Tensor sub(double o) { return Ops.sub(this, o); }
    public Tensor mul(Tensor o) { return Ops.mul(this, o); }
    public Tensor mul(double o) { return Ops.mul(this, o); }
    public Tensor div(Tensor o) { return Ops.div(this, o); }
    public Tensor div(double o) { return Ops.div(this, o); }
    public Tensor pow(Tensor o) { return Ops.pow(this, o); }
    public Tensor pow(double o) { return Ops.pow(this, o); }
    public Tensor maximum(Tensor o) { return Ops.maximum(this, o); }
    public Tensor minimum(Tensor o) { return Ops.minimum(this, o); }
    public Tensor neg() { return Ops.neg(this); }
    public Tensor exp() { return Ops.exp(this); }
    public Tensor log() { return Ops.log(this); }
    public Tensor sqrt() { return Ops.sqrt(this); }
    public Tensor tanh() { return Ops.tanh(this); }
    public Tensor abs() { return Ops.abs(this); }
    public Tensor square() { return Ops.square(this); }
    public Tensor eq(Tensor o) { return Ops.eq(this, o); }
    public Tensor lt(Tensor o) { return Ops.lt(this, o); }
    public Tensor gt(Tensor o) { return Ops.gt(this, o); }
    public Tensor astype(DType d) { return Ops.astype(this, d); }
    public Tensor reshape(long... dims) { return Ops.reshape(this, dims); }
    public Tensor transpose(int... perm) { return Ops.transpose(this, perm); }
    public Tensor T() { return Ops.transpose(this); }
    public Tensor broadcastTo(long... dims) { return Ops.broadcastTo(this, dims); }
    public Tensor squeeze(int... axes) { return Ops.squeeze(this, axes); }
    public Tensor expandDims(int axis) { return Ops.expandDims(this, axis); }
    public Tensor matmul(Tensor o) { return Linalg.matmul(this, o); }
    public Tensor sum(int... axes) { return Reductions.sum(this, axes); }
    public Tensor mean(int... axes) { return Reductions.mean(this, axes); }
    public Tensor sum(boolean keepdims, int... axes) { return Reductions.sum(this, keepdims, axes); }
    public Tensor mean(boolean keepdims, int... axes) { return Reductions.mean(this, keepdims, axes); }
    public Tensor max(int... axes) { return Reductions.max(this, axes); }
    public Tensor min(int... axes) { return Reductions.min(this, axes); }
    public Tensor max(boolean keepdims, int... axes) { return Reductions.max(this, keepdims, axes); }
    public Tensor min(boolean keepdims, int... axes) { return Reductions.min(this, keepdims, axes); }
    public Tensor argmax(int axis) { return Reductions.argmax(this, axis); }
    public Tensor var(int... axes) { return Reductions.var(this, axes); }
    public Tensor std(int... axes) { return Reductions.std(this, axes); }
    public Tensor clip(Double min, Double max) { return Ops.clip(this, min, max); }
    public Tensor flip(int... axes) { return Rearrange.flip(this, axes); }
}
