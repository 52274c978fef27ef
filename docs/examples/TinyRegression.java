package com.example;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.examples.Example;

import java.util.List;
import java.util.Map;

/** A user's model: y = tanh(x w + b) on 16 seeded points, fitted with AdamW. */
public final class TinyRegression implements Example {
    @Override public String name() { return "tiny-regression"; }

    @Override public String description() { return "y = tanh(x w + b), a user's model trained with AdamW"; }

    @Override public Object params() {
        return Map.of("w", Init.normal(0.5).create(0, "w", Shape.of(4, 8), DType.F32),
                "b", Init.zeros().create(0, "b", Shape.of(8), DType.F32));
    }

    @Override public List<Object> batch() {
        return List.of(Init.normal(1.0).create(1, "x", Shape.of(16, 4), DType.F32),
                Init.normal(0.5).create(2, "y", Shape.of(16, 8), DType.F32));
    }

    @SuppressWarnings("unchecked")
    @Override public TracedFunction loss() {
        return a -> {
            Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            Tensor prediction = Ops.tanh(Ops.add(Linalg.matmul((Tensor) a[1], p.get("w")), p.get("b")));
            return Reductions.mean(Ops.square(Ops.sub(prediction, (Tensor) a[2])));
        };
    }

    @Override public Optimizer optimizer() { return AdamW.of(0.05); }

    /** On a mesh: the 8 outputs of w and b over tp (the batch is split over dp and fsdp by default). */
    @Override public Object paramShardings(Mesh mesh) {
        return Map.of("w", NamedSharding.of(mesh, null, "tp"), "b", NamedSharding.of(mesh, "tp"));
    }
}
