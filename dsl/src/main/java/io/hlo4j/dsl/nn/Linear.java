package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;

/** {@code x @ w + b} with {@code w: [in, out]} (Glorot uniform) and {@code b: [out]} (zeros). */
public record Linear(long in, long out, DType dtype) implements Layer {
    @Override public void init(ParamScope s) {
        s.param("w", Shape.of(in, out), dtype, Init.glorotUniform());
        s.param("b", Shape.of(out), dtype, Init.zeros());
    }

    @Override public Tensor apply(Params p, Tensor x) {
        return Ops.add(Linalg.matmul(x, p.get("w")), p.get("b"));
    }
}
