package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ErrorsAndJitTest {
    /** The line of the caller, for asserting messages name the test's own line. */
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    static DslException traceError(io.hlo4j.dsl.jit.TracedFunction fn, Object... specs) {
        try {
            Jit.jit(fn).trace(specs);
        } catch (DslException e) {
            return e;
        }
        throw new AssertionError("tracing did not fail");
    }

    @Test
    void shapeMismatchNamesOpShapesAndLine() {
        int[] at = new int[1];
        DslException e = traceError(a -> { at[0] = line(); return ((Tensor) a[0]).add((Tensor) a[1]); },
                Spec.of(DType.F32, 2, 3), Spec.of(DType.F32, 3, 2));
        assertThat(e.getMessage()).startsWith("add: invalid operands (f32[2, 3], f32[3, 2]): 'chlo.broadcast_add' op shapes [2, 3] and [3, 2] "
                        + "are not broadcast-compatible: dimension sizes 3 and 2 differ and neither is 1")
                .endsWith("(at ErrorsAndJitTest.java:" + at[0] + ":0)");
        assertThat(e.location()).isEqualTo(new Location.FileLineCol("ErrorsAndJitTest.java", at[0], 0));
    }

    @Test
    void dtypeMismatchAndAxisOutOfRange() {
        int[] at = new int[2];
        DslException d = traceError(a -> { at[0] = line(); return ((Tensor) a[0]).mul((Tensor) a[1]); },
                Spec.of(DType.F32, 2), Spec.of(DType.F64, 2));
        assertThat(d.getMessage()).contains("mul: invalid operands (f32[2], f64[2]): 'chlo.broadcast_mul' op requires lhs and rhs to have the "
                + "same element type, got tensor<2xf32> and tensor<2xf64> (cast one with astype)", "ErrorsAndJitTest.java:" + at[0]);
        DslException x = traceError(a -> { at[1] = line(); return ((Tensor) a[0]).sum(2); }, Spec.of(DType.F32, 2, 3));
        assertThat(x.getMessage()).contains("sum: axis 2 is out of range for f32[2, 3] (rank 2)", "ErrorsAndJitTest.java:" + at[1]);
    }

    @Test
    void einsumSubscriptErrors() {
        int[] at = new int[2];
        DslException a1 = traceError(a -> { at[0] = line(); return Linalg.einsum("ij,jk->ik", (Tensor) a[0], (Tensor) a[1]); },
                Spec.of(DType.F32, 2, 3, 4), Spec.of(DType.F32, 3, 4));
        assertThat(a1.getMessage()).contains("einsum: subscripts 'ij' have 2 letters but operand 0 is f32[2, 3, 4] (rank 3)",
                "ErrorsAndJitTest.java:" + at[0]);
        DslException a2 = traceError(a -> { at[1] = line(); return Linalg.einsum("ij,jk->ik", (Tensor) a[0], (Tensor) a[1]); },
                Spec.of(DType.F32, 2, 3), Spec.of(DType.F32, 4, 5));
        assertThat(a2.getMessage()).contains("einsum: subscript 'j' has size 3 and 4", "ErrorsAndJitTest.java:" + at[1]);
    }

    @Test
    void matmulContractionMismatch() {
        int[] at = new int[1];
        DslException e = traceError(a -> { at[0] = line(); return Linalg.matmul((Tensor) a[0], (Tensor) a[1]); },
                Spec.of(DType.F32, 2, 3), Spec.of(DType.F32, 4, 5));
        // dot_general's own type rule refuses it, naming the dims, their sizes and the dimension numbers.
        assertThat(e.getMessage()).startsWith("dotGeneral: invalid operands (f32[2, 3], f32[4, 5]): 'stablehlo.dot_general' op (dot_general_c8) "
                        + "contracting dimension lhs 1 (size 3) and rhs 0 (size 4) must have the same size; lhs tensor<2x3xf32>, rhs tensor<4x5xf32>, "
                        + "batching_dims = [] x [], contracting_dims = [1] x [0]")
                .endsWith("(at ErrorsAndJitTest.java:" + at[0] + ":0)");
    }

    @Test
    void leakedTensorIsRefused() {
        Tensor[] leaked = new Tensor[1];
        Jit.jit(a -> { leaked[0] = ((Tensor) a[0]).exp(); return leaked[0]; }).trace(Spec.of(DType.F32, 2));
        int[] at = new int[1];
        DslException e = traceError(a -> { at[0] = line(); return ((Tensor) a[0]).add(leaked[0]); }, Spec.of(DType.F32, 2));
        assertThat(e.getMessage()).contains("add: tensor f32[2] is used outside its trace", "ErrorsAndJitTest.java:" + at[0]);
        // And with no trace open at all:
        assertThatThrownBy(() -> leaked[0].add(leaked[0])).isInstanceOf(DslException.class).hasMessageContaining("no trace is open");
    }

    @Test
    void everyOpCarriesTheUsersLine() {
        int[] at = new int[1];
        Lowered l = Jit.jit(a -> { at[0] = line(); return ((Tensor) a[0]).exp().sum(); }).lower(Spec.of(DType.F32, 4));
        String text = l.asTextWithLocations();
        assertThat(text).contains("stablehlo.exponential", "loc(\"ErrorsAndJitTest.java\":" + at[0] + ":0)");
        for (var op : l.traced().function().region(0).entry().operations()) {
            if (!op.name().equals("func.return")) assertThat(op.location().describe()).startsWith("ErrorsAndJitTest.java:" + at[0]);
        }
    }

    @Test
    void aBuiltinModelCarriesItsPseudoLocationInsteadOfTheToolsLine() throws Exception {
        Lowered l = io.hlo4j.dsl.SourceLoc.asBuiltin("moe",
                () -> Jit.jit(a -> ((Tensor) a[0]).exp().sum()).lower(Spec.of(DType.F32, 4)));
        assertThat(l.asTextWithLocations()).contains("loc(\"hlo4j.builtin.moe\")").doesNotContain("ErrorsAndJitTest.java");
        // errors too; and outside asBuiltin the user's line is back
        DslException e = io.hlo4j.dsl.SourceLoc.asBuiltin("mlp", () -> traceError(a -> ((Tensor) a[0]).add((Tensor) a[1]),
                Spec.of(DType.F32, 2), Spec.of(DType.F32, 3)));
        assertThat(e.location()).isEqualTo(new Location.Named("hlo4j.builtin.mlp", Location.UNKNOWN));
        int[] at = new int[1];
        Lowered after = Jit.jit(a -> { at[0] = line(); return ((Tensor) a[0]).exp(); }).lower(Spec.of(DType.F32, 4));
        assertThat(after.asTextWithLocations()).contains("loc(\"ErrorsAndJitTest.java\":" + at[0] + ":0)");
    }

    /** Gradients of a scan: every op of the program, inside the loops' regions too, carries a user location. */
    @Test
    void gradientOpsInsideLoopsCarryTheUsersLineToo() {
        io.hlo4j.dsl.jit.TracedFunction loss = a -> {
            io.hlo4j.dsl.Control.ScanResult sr = io.hlo4j.dsl.Control.scan((c, x) -> {
                Tensor next = c.get(0).mul(x.get(0)).tanh();
                return new io.hlo4j.dsl.Control.Step(List.of(next), List.of(next.sum()));
            }, List.of((Tensor) a[1]), List.of((Tensor) a[0]));
            return sr.ys().get(0).sum();
        };
        Lowered l = Jit.jit(io.hlo4j.dsl.grad.Grad.valueAndGrad(loss, 0, 1)).lower(Spec.of(DType.F32, 4, 2), Spec.of(DType.F32, 2));
        List<String> unknown = new java.util.ArrayList<>();
        int[] ops = {0};
        io.hlo4j.mlir.ir.Walker.walk(l.traced().function(), op -> {
            ops[0]++;
            if (op.location() instanceof Location.Unknown || op.location().describe().equals("unknown location")) unknown.add(op.name());
        });
        assertThat(ops[0]).isGreaterThan(20);
        assertThat(unknown).as("ops without a location").isEmpty();
    }

    record Params(Object w, Object b) {}

    @Test
    void pytreesInAndOutAndTheCache() {
        Jit j = Jit.jit(a -> {
            Params p = (Params) a[0];
            Tensor x = (Tensor) a[1];
            Tensor y = x.mul((Tensor) p.w()).add((Tensor) p.b());
            return Map.of("y", y, "parts", List.of(y.sum(), x));
        });
        HostArray w = f64(s(2), 2, 3), b = f64(s(2), 1, 1), x = f64(s(2), 5, 7);
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) j.call(new Params(w, b), x);
        assertClose((HostArray) out.get("y"), new double[]{11, 22}, 0);
        assertClose((HostArray) ((List<?>) out.get("parts")).get(0), new double[]{33}, 0);
        j.call(new Params(f64(s(2), 0, 0), b), f64(s(2), 1, 1));
        assertThat(j.cacheSize()).isEqualTo(1);
        j.call(new Params(f64(s(3), 0, 0, 0), f64(s(3), 1, 1, 1)), f64(s(3), 1, 1, 1));
        assertThat(j.cacheSize()).isEqualTo(2);
        assertThat(j.lower(new Params(w, b), x).asText()).contains("func.func public @main", "stablehlo.multiply");
    }

    @Test
    void compiledRefusesWrongArguments() {
        var c = Jit.jit(a -> ((Tensor) a[0]).neg()).lower(Spec.of(DType.F32, 2)).compile();
        assertThatThrownBy(() -> c.call(f64(s(2), 1, 2))).hasMessageContaining("argument #0 is tensor<2xf64> but the entry function expects tensor<2xf32>");
    }

    @Test
    void controlFlowBranchMismatchIsNamed() {
        int[] at = new int[1];
        DslException e = traceError(a -> { at[0] = line(); return io.hlo4j.dsl.Control.cond(Ops.gt(((Tensor) a[0]).sum(), 0.0),
                () -> List.of((Tensor) a[0]), () -> List.of(((Tensor) a[0]).sum())); }, Spec.of(DType.F32, 2));
        assertThat(e.getMessage()).startsWith("cond: ")
                .contains("'stablehlo.if' op branch 0 and branch 1 have mismatched return types: [tensor<2xf32>] vs [tensor<f32>] (if_c2)")
                .endsWith("(at ErrorsAndJitTest.java:" + at[0] + ":0)");
    }
}
