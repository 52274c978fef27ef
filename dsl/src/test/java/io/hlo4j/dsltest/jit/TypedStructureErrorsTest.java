package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.dsltest.jit.TypedMlp.BATCH;
import static io.hlo4j.dsltest.jit.TypedMlp.HIDDEN;
import static io.hlo4j.dsltest.jit.TypedMlp.IN;
import static io.hlo4j.dsltest.jit.TypedMlp.OUT;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Arguments that do not fit what was traced, refused before anything runs, naming the leaf's path. */
class TypedStructureErrorsTest {
    private static final Compiled LOSS = Jit.of("loss", MlpModel::loss)
            .compile(MlpModel.specs(DType.F32), Spec.of(DType.F32, BATCH, IN), Spec.of(DType.F32, BATCH, OUT));
    private static final TypedMlp<HostArray> P = MlpModel.params(DType.F32, 1);
    private static final HostArray X = zeros(DType.F32, BATCH, IN), Y = zeros(DType.F32, BATCH, OUT);

    static HostArray zeros(DType d, long... dims) { return HostArray.fromDoubles(Spec.of(d, dims).tensorType(), new double[(int) Spec.of(d, dims).shape().size()]); }

    @Test
    void aMapWhereARecordWasTraced() {
        assertThatThrownBy(() -> LOSS.callTree(Map.of("w1", P.w1(), "b1", P.b1(), "w2", P.w2()), X, Y)).isInstanceOf(DslException.class)
                .hasMessageContaining("the arguments of @loss do not have the traced structure: args[0]: expected a record TypedMlp, "
                        + "got a map with keys [b1, w1, w2]");
    }

    @Test
    void aListWhereALeafWasTraced() {
        assertThatThrownBy(() -> LOSS.callTree(new TypedMlp<>(List.of(P.w1(), P.w1()), P.b1(), P.w2()), X, Y))
                .hasMessageContaining("args[0].w1: expected a leaf, got a list of 2");
    }

    @Test
    void aLeafOfAnotherShapeOrDtype() {
        assertThatThrownBy(() -> LOSS.callTree(new TypedMlp<>(P.w1(), zeros(DType.F32, HIDDEN + 1), P.w2()), X, Y))
                .hasMessageContaining("argument args[0].b1 of @loss is f32[6] but @loss was traced for f32[5]");
        assertThatThrownBy(() -> LOSS.callTree(P, X, zeros(DType.F64, BATCH, OUT)))
                .hasMessageContaining("argument args[2] of @loss is f64[4, 2] but @loss was traced for f32[4, 2]");
        assertThatThrownBy(() -> LOSS.callTree(new TypedMlp<>(P.w1(), Spec.of(DType.F32, HIDDEN), P.w2()), X, Y))
                .hasMessageContaining("argument args[0].b1 of @loss is a Spec, not a HostArray");
    }

    /** A record that holds host arrays only cannot be rebuilt from the traced tensors. */
    record Holder(HostArray w) {}

    @Test
    void aRecordComponentThatCannotHoldATensor() {
        var f = Jit.of((Holder h) -> Ops.zeros(io.hlo4j.dsl.Shape.of(1), DType.F32));
        assertThatThrownBy(() -> f.call(new Holder(P.b1()))).isInstanceOf(DslException.class)
                .hasMessageContaining("record Holder cannot hold a Tensor in its component w, declared io.hlo4j.runtime.array.HostArray")
                .hasMessageContaining("record Holder<T>(T w, ...)");
    }

    /** A result record whose components are declared Tensor cannot hold the host arrays: refused by name (as before). */
    record Out(Tensor y) {}

    @Test
    void aResultRecordOfTensors() {
        var f = Jit.of((Tensor x) -> new Out(x.exp()));
        assertThatThrownBy(() -> f.call(P.b1())).isInstanceOf(DslException.class)
                .hasMessageContaining("the result record Out cannot hold the host arrays: its component y is declared Tensor");
    }
}
