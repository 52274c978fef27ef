package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;

import java.util.SplittableRandom;

/** The small MLP the typed-API tests train: a record generic in its leaves, and its loss over tensors. */
record TypedMlp<T>(T w1, T b1, T w2) {
    static final int IN = 3, HIDDEN = 5, OUT = 2, BATCH = 4;
}

/**
 * The model's functions, in a class that is not generic: a method reference {@code TypedMlp::loss} through a generic
 * record's raw name is inexact in Java, so {@code Jit.of} could not infer its types; {@code MlpModel::loss} is exact.
 */
final class MlpModel {
    private MlpModel() {}
    /** mean((relu(x w1 + b1) w2 - y)^2) */
    static Tensor loss(TypedMlp<Tensor> p, Tensor x, Tensor y) { return mlpLoss(p.w1(), p.b1(), p.w2(), x, y); }

    static Tensor mlpLoss(Tensor w1, Tensor b1, Tensor w2, Tensor x, Tensor y) {
        Tensor h = Nn.relu(Linalg.matmul(x, w1).add(b1));
        return Ops.square(Linalg.matmul(h, w2).sub(y)).mean();
    }

    static TypedMlp<Spec> specs(DType d) { return new TypedMlp<>(Spec.of(d, TypedMlp.IN, TypedMlp.HIDDEN), Spec.of(d, TypedMlp.HIDDEN), Spec.of(d, TypedMlp.HIDDEN, TypedMlp.OUT)); }

    /** Seeded values for every leaf of {@code specs}, and x, y. */
    static TypedMlp<HostArray> params(DType d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        TypedMlp<Spec> s = specs(d);
        return new TypedMlp<>(random(s.w1(), r), random(s.b1(), r), random(s.w2(), r));
    }

    static HostArray random(Spec s, SplittableRandom r) {
        double[] v = new double[(int) s.shape().size()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble(-1, 1);
        return HostArray.fromDoubles(s.tensorType(), v);
    }
}
