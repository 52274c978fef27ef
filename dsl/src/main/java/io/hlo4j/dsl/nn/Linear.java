package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;

/**
 * {@code x @ w + b} with {@code w: [in, out]} (Glorot uniform) and {@code b: [out]} (zeros). For bf16 and f16 the
 * product accumulates in f32 ({@code preferred_element_type}) and is rounded once to the layer's dtype, as mixed
 * precision training expects; the bias is added in the layer's dtype.
 */
public record Linear(long in, long out, DType dtype) implements Layer {
    @Override public void init(ParamScope s) {
        s.param("w", Shape.of(in, out), dtype, Init.glorotUniform());
        s.param("b", Shape.of(out), dtype, Init.zeros());
    }

    @Override public Tensor apply(Params p, Tensor x) {
        boolean narrow = dtype == DType.BF16 || dtype == DType.F16;
        Tensor y = narrow ? Ops.astype(Linalg.matmul(x, p.get("w"), DType.F32), dtype) : Linalg.matmul(x, p.get("w"));
        return Ops.add(y, p.get("b"));
    }
}
