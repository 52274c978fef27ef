package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;

/** {@link WeightAlgebra} over traced DSL tensors, so the default weight rules become part of the traced layer. */
public final class TensorWeightAlgebra implements WeightAlgebra<Tensor> {
    public static final TensorWeightAlgebra INSTANCE = new TensorWeightAlgebra();

    private TensorWeightAlgebra() {}

    @Override
    public Tensor sumLastKeepDims(Tensor w) {
        int last = w.rank() - 1;
        return Reductions.keepDims(Reductions.sum(w, last), w, last);
    }

    @Override
    public Tensor maximum(Tensor a, double floor) { return Ops.maximum(a, floor); }

    @Override
    public Tensor divide(Tensor a, Tensor b) { return Ops.div(a, b.broadcastTo(a.dims())); }

    @Override
    public Tensor fullLike(Tensor like, double value) { return Ops.full(like.shape(), value, like.dtype()); }
}
