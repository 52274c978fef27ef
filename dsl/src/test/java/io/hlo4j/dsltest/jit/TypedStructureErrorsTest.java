package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Jit1;
import io.hlo4j.dsl.jit.Jit2;
import io.hlo4j.dsl.jit.Jit3;
import io.hlo4j.runtime.backend.ArgumentMismatchException;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.dsltest.jit.TypedMlp.BATCH;
import static io.hlo4j.dsltest.jit.TypedMlp.HIDDEN;
import static io.hlo4j.dsltest.jit.TypedMlp.IN;
import static io.hlo4j.dsltest.jit.TypedMlp.OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

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

    /** Two record classes of one simple name, components swapped: refused by full name, not run with the leaves swapped. */
    static final class A { record P<T>(T w, T b) {} }
    static final class B { record P<T>(T b, T w) {} }

    @Test
    void aRecordOfAnotherClassWithTheSameSimpleName() {
        HostArray w = zeros(DType.F32, 2), b = zeros(DType.F32, 2);
        Compiled c = Jit.of("wb", (A.P<Tensor> p) -> p.w().sub(p.b())).compile(new A.P<>(Spec.of(DType.F32, 2), Spec.of(DType.F32, 2)));
        assertThatThrownBy(() -> c.callTree(new B.P<>(b, w))).isInstanceOf(DslException.class)
                .hasMessageContaining("do not have the traced structure: args[0]: expected a record " + A.P.class.getName()
                        + ", got a record " + B.P.class.getName());
    }

    @Test
    void aNullLeafIsNamedByItsPath() {
        assertThatThrownBy(() -> LOSS.callTree(new TypedMlp<>(P.w1(), null, P.w2()), X, Y)).isInstanceOf(DslException.class)
                .hasMessageContaining("call: argument args[0].b1 of @loss is null (pass a HostArray or a pytree of them)");
        assertThatThrownBy(() -> LOSS.callTree((Object) null)).isInstanceOf(DslException.class)
                .hasMessageContaining("call: argument args[0] of @loss is null");
        assertThatThrownBy(() -> LOSS.callTree(P, X, Y, null)).isInstanceOf(DslException.class)
                .hasMessageContaining("argument args[3] of @loss is null");
        // through Jit, before tracing: the same path
        var f = Jit.of("first", (TypedMlp<Tensor> p) -> p.w1());
        assertThatThrownBy(() -> f.call(new TypedMlp<>(P.w1(), P.b1(), null))).isInstanceOf(DslException.class)
                .hasMessageContaining("jit: argument args[0].w2 of @first is null (pass a Spec, a HostArray or a pytree of them)");
    }

    /** A record whose compact constructor throws (here on the tensors it is rebuilt from): its own message, not the reflection wrapper's. */
    record Checked<T>(T w) {
        Checked {
            if (w instanceof Tensor t && t.dim(0) == 3) throw new IllegalStateException("w must not have 3 rows");
        }
    }

    @Test
    void aThrowingRecordConstructorGivesItsMessage() {
        var f = Jit.of("first", (Checked<Tensor> c) -> c.w());
        assertThatThrownBy(() -> f.call(new Checked<>(zeros(DType.F32, 3)))).isInstanceOf(DslException.class)
                .hasMessageContaining("jit: cannot pass the arguments of @first as tensors: cannot rebuild record " + Checked.class.getName()
                        + ": its constructor threw IllegalStateException: w must not have 3 rows")
                .hasMessageNotContaining("InvocationTargetException");
    }

    /** A component declared ArrayList cannot hold the rebuilt (unmodifiable) list: the advice names List, not a type parameter. */
    record Bag(java.util.ArrayList<Object> xs) {}

    @Test
    void aListComponentDeclaredArrayList() {
        var f = Jit.of("bag", (Bag g) -> Ops.zeros(io.hlo4j.dsl.Shape.of(1), DType.F32));
        assertThatThrownBy(() -> f.call(new Bag(new java.util.ArrayList<>(List.of(P.b1()))))).isInstanceOf(DslException.class)
                .hasMessageContaining("record Bag cannot hold a list in its component xs, declared java.util.ArrayList<java.lang.Object>: "
                        + "lists are rebuilt as unmodifiable Lists, declare it List<T> (or Collection<T>, Object)");
    }

    /** A null result class is refused before anything is traced (not a bare NullPointerException after the run). */
    @Test
    void aNullResultClassIsRefusedBeforeTracing() {
        Jit1<Tensor, Tensor> f = Jit.of("neg", (Tensor t) -> t.neg());
        HostArray x = zeros(DType.F32, 3);
        assertThatThrownBy(() -> f.call(x, (Class<HostArray>) null)).isInstanceOf(NullPointerException.class).hasMessage("resultType");
        assertThat(f.cacheSize()).isZero();
        Jit2<Tensor, Tensor, Tensor> g = Jit.of("add", (Tensor a, Tensor b) -> a.add(b));
        assertThatThrownBy(() -> g.call(x, x, (Class<HostArray>) null)).isInstanceOf(NullPointerException.class).hasMessage("resultType");
        Jit3<Tensor, Tensor, Tensor, Tensor> h = Jit.of("add3", (Tensor a, Tensor b, Tensor c) -> a.add(b).add(c));
        assertThatThrownBy(() -> h.call(x, x, x, (Class<HostArray>) null)).isInstanceOf(NullPointerException.class).hasMessage("resultType");
        assertThat(g.cacheSize() + h.cacheSize()).isZero();
        // the class given, the same call runs: -x
        HostArray got = f.call(HostArray.fromDoubles(Spec.of(DType.F32, 3).tensorType(), 1, 2, 3), HostArray.class);
        assertThat(got).isEqualTo(HostArray.fromDoubles(Spec.of(DType.F32, 3).tensorType(), -1, -2, -3));
    }

    /**
     * The flat call checks by position: a null, another count or type is the runtime's ArgumentMismatchException, naming
     * #i, the function and, as its location, the caller's line (the runtime alone knows only "the entry function").
     */
    @Test
    void theFlatCallRefusesANullAndOtherArgumentsByPosition() {
        Compiled neg = Jit.of("neg", (Tensor t) -> t.neg()).compile(Spec.of(DType.F32, 3));
        HostArray x = zeros(DType.F32, 3);
        int[] at = new int[1];
        assertThatThrownBy(() -> { at[0] = line(); neg.call((HostArray) null); }).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("call of @neg: argument #0 is null; the entry function expects tensor<3xf32> (at TypedStructureErrorsTest.java:"
                        + at[0] + ":0)");
        assertThatThrownBy(() -> neg.executable().call(java.util.Arrays.asList((HostArray) null))).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("argument #0 is null; the entry function expects tensor<3xf32>");
        assertThatThrownBy(() -> { at[0] = line(); neg.call(x, x); }).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("call of @neg: entry function takes 1 arguments [tensor<3xf32>], got 2 (at TypedStructureErrorsTest.java:"
                        + at[0] + ":0)");
        Throwable e = catchThrowable(() -> { at[0] = line(); neg.call(zeros(DType.F32, 2)); });
        assertThat(e).isInstanceOf(ArgumentMismatchException.class).hasMessage("call of @neg: argument #0 is tensor<2xf32> but the entry "
                + "function expects tensor<3xf32> (at TypedStructureErrorsTest.java:" + at[0] + ":0)");
        ArgumentMismatchException m = (ArgumentMismatchException) e;
        assertThat(m.location().describe()).isEqualTo("TypedStructureErrorsTest.java:" + at[0] + ":0");
        assertThat(m.format()).isEqualTo("TypedStructureErrorsTest.java:" + at[0] + ":0: call of @neg: argument #0 is tensor<2xf32> but the "
                + "entry function expects tensor<3xf32>");
        assertThat(m.getCause()).isInstanceOf(ArgumentMismatchException.class);
    }

    private static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }
}
