package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every kernel whose time grows with its data polls the run's stop inside the op (StopCheck): called directly, past
 * the deadline, on operands of 2^20 elements (four times the work between two real checks), the kernel itself must
 * fail naming its op and line, where before it ran to the end. No timing is involved: the interpreter's check between
 * ops is bypassed by calling {@link Interpreter#evalOp}, so only a poll inside the kernel can stop it. Each case also
 * runs without a deadline first, so it is known to evaluate (the same operands are valid and the op completes).
 */
class KernelStopTest {
    private static final int N = 1 << 20;

    /** One op (line 2 of @main) and its operands' types; operands are filled with small deterministic values. */
    record Case(String name, String op, String signature, List<TensorType> operands) {
        @Override public String toString() { return name; }
    }

    private static TensorType t(String s) { return (TensorType) MlirParser.parseType(s); }

    private static Case c(String name, String op, String... operandTypes) {
        List<TensorType> ts = new ArrayList<>();
        for (String s : operandTypes) ts.add(t(s));
        return new Case(name, op, String.join(", ", operandTypes), ts);
    }

    static Stream<Case> cases() {
        String v = "tensor<" + N + "xi64>", f = "tensor<" + N + "xf64>", m = "tensor<1024x1024xf64>", bn = "tensor<" + N / 4 + "x4xf64>", s4 = "tensor<4xf64>";
        String cmp = "({\n    ^bb0(%p: tensor<f64>, %q: tensor<f64>):\n      %l = stablehlo.compare LT, %p, %q : (tensor<f64>, tensor<f64>) -> tensor<i1>\n      stablehlo.return %l : tensor<i1>\n  })";
        String icmp = "({\n    ^bb0(%p: tensor<i32>, %q: tensor<i32>):\n      %l = stablehlo.compare LT, %p, %q : (tensor<i32>, tensor<i32>) -> tensor<i1>\n      stablehlo.return %l : tensor<i1>\n  })";
        String add = "({\n    ^bb0(%p: tensor<f64>, %q: tensor<f64>):\n      %s = stablehlo.add %p, %q : tensor<f64>\n      stablehlo.return %s : tensor<f64>\n  })";
        return Stream.of(
                c("integer add", "%r = stablehlo.add %a0, %a1 : " + v, v, v),
                c("float add", "%r = stablehlo.add %a0, %a1 : " + f, f, f),
                c("compare", "%r = stablehlo.compare LT, %a0, %a1 : (" + f + ", " + f + ") -> tensor<" + N + "xi1>", f, f),
                c("convert", "%r = stablehlo.convert %a0 : (" + v + ") -> " + f, v),
                c("select", "%r = stablehlo.select %a0, %a1, %a2 : tensor<" + N + "xi1>, " + f, "tensor<" + N + "xi1>", f, f),
                c("clamp", "%r = stablehlo.clamp %a0, %a1, %a2 : " + f, f, f, f),
                c("broadcast_in_dim", "%r = stablehlo.broadcast_in_dim %a0, dims = [1] : (tensor<1024xf64>) -> " + m, "tensor<1024xf64>"),
                c("transpose", "%r = stablehlo.transpose %a0, dims = [1, 0] : (" + m + ") -> " + m, m),
                c("transpose (rank 3, tiles)", "%r = stablehlo.transpose %a0, dims = [2, 0, 1] : (tensor<64x128x128xf64>) -> tensor<128x64x128xf64>",
                        "tensor<64x128x128xf64>"),
                c("transpose (last dimension kept)", "%r = stablehlo.transpose %a0, dims = [1, 0, 2] : (tensor<64x128x128xf64>) -> tensor<128x64x128xf64>",
                        "tensor<64x128x128xf64>"),
                c("dot_general (8 columns, f32)", "%r = stablehlo.dot_general %a0, %a1, contracting_dims = [1] x [0] : (tensor<16384x128xf32>, tensor<128x8xf32>) "
                        + "-> tensor<16384x8xf32>", "tensor<16384x128xf32>", "tensor<128x8xf32>"),
                c("slice", "%r = stablehlo.slice %a0 [0:" + N + "] : (tensor<" + 2 * N + "xf64>) -> " + f, "tensor<" + 2 * N + "xf64>"),
                c("reverse", "%r = stablehlo.reverse %a0, dims = [0] : " + f, f),
                c("pad", "%r = stablehlo.pad %a0, %a1, low = [1], high = [1], interior = [0] : (" + f + ", tensor<f64>) -> tensor<" + (N + 2) + "xf64>", f, "tensor<f64>"),
                c("concatenate", "%r = stablehlo.concatenate %a0, %a1, dim = 0 : (" + f + ", " + f + ") -> tensor<" + 2 * N + "xf64>", f, f),
                c("iota", "%r = stablehlo.iota dim = 0 : " + f),
                c("dynamic_update_slice", "%r = stablehlo.dynamic_update_slice %a0, %a1, %a2 : (tensor<" + 2 * N + "xf64>, " + f + ", tensor<i64>) -> tensor<" + 2 * N + "xf64>",
                        "tensor<" + 2 * N + "xf64>", f, "tensor<i64>"),
                c("gather (rows)", "%r = \"stablehlo.gather\"(%a0, %a1) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, "
                        + "slice_sizes = array<i64: 1, 4>} : (tensor<16x4xf64>, tensor<" + N / 4 + "x1xi64>) -> tensor<" + N / 4 + "x4xf64>", "tensor<16x4xf64>", "tensor<" + N / 4 + "x1xi64>"),
                c("gather (general)", "%r = \"stablehlo.gather\"(%a0, %a1) {dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, "
                        + "slice_sizes = array<i64: 4, 1>} : (tensor<4x16xf64>, tensor<" + N / 4 + "x1xi64>) -> tensor<4x" + N / 4 + "xf64>", "tensor<4x16xf64>", "tensor<" + N / 4 + "x1xi64>"),
                c("scatter", "%r = \"stablehlo.scatter\"(%a0, %a1, %a2) " + add.replace("})", "}) {scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], "
                        + "scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}") + " : (tensor<16xf64>, tensor<" + N + "x1xi64>, " + f + ") -> tensor<16xf64>",
                        "tensor<16xf64>", "tensor<" + N + "x1xi64>", f),
                c("scatter (general)", "%r = \"stablehlo.scatter\"(%a0, %a1, %a2) " + add.replace("})", "}) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], "
                        + "scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}") + " : (tensor<16xf64>, tensor<" + N + "x1xi64>, tensor<" + N + "x1xf64>) -> tensor<16xf64>",
                        "tensor<16xf64>", "tensor<" + N + "x1xi64>", "tensor<" + N + "x1xf64>"),
                c("scatter (rows, f32)", "%r = \"stablehlo.scatter\"(%a0, %a1, %a2) " + add.replace("f64", "f32").replace("})", "}) {scatter_dimension_numbers = #stablehlo.scatter<"
                        + "update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}")
                        + " : (tensor<16x4xf32>, tensor<" + N / 4 + "x1xi64>, tensor<" + N / 4 + "x4xf32>) -> tensor<16x4xf32>",
                        "tensor<16x4xf32>", "tensor<" + N / 4 + "x1xi64>", "tensor<" + N / 4 + "x4xf32>"),
                c("ragged_dot (contracting groups, f32)", "%r = \"chlo.ragged_dot\"(%a0, %a1, %a2) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], "
                        + "rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0], lhs_ragged_dimensions = [1], rhs_group_dimensions = []>} "
                        + ": (tensor<16x" + N / 16 + "xf32>, tensor<" + N / 16 + "x16xf32>, tensor<4xi64>) -> tensor<4x16x16xf32>",
                        "tensor<16x" + N / 16 + "xf32>", "tensor<" + N / 16 + "x16xf32>", "tensor<4xi64>"),
                c("sort (merge)", "%r = \"stablehlo.sort\"(%a0) " + cmp.replace("})", "}) {dimension = 0 : i64, is_stable = true}") + " : (" + f + ") -> " + f, f),
                c("sort (radix)", "%r = \"stablehlo.sort\"(%a0) " + icmp.replace("})", "}) {dimension = 0 : i64, is_stable = true}") + " : (tensor<" + N + "xi32>) -> tensor<" + N + "xi32>",
                        "tensor<" + N + "xi32>"),
                c("reduce to a scalar", "%r = stablehlo.reduce(%a0 init: %a1) applies stablehlo.add across dimensions = [0] : (" + f + ", tensor<f64>) -> tensor<f64>", f, "tensor<f64>"),
                c("reduce of rows", "%r = stablehlo.reduce(%a0 init: %a1) applies stablehlo.add across dimensions = [1] : (" + m + ", tensor<f64>) -> tensor<1024xf64>", m, "tensor<f64>"),
                c("reduce of columns", "%r = stablehlo.reduce(%a0 init: %a1) applies stablehlo.maximum across dimensions = [0] : (" + m + ", tensor<f64>) -> tensor<1024xf64>", m, "tensor<f64>"),
                // the feature dimension last: one element per (outer, feature) row, so only a poll per row can stop it
                c("batch_norm_training (feature last)", "%r, %m, %v = \"stablehlo.batch_norm_training\"(%a0, %a1, %a2) {epsilon = 1.0e-05 : f32, feature_index = 1 : i64} : (" + bn + ", " + s4 + ", " + s4
                        + ") -> (" + bn + ", " + s4 + ", " + s4 + ")", bn, s4, s4),
                c("batch_norm_inference (feature last)", "%r = \"stablehlo.batch_norm_inference\"(%a0, %a1, %a2, %a3, %a4) {epsilon = 1.0e-05 : f32, feature_index = 1 : i64} : (" + bn + ", " + s4 + ", " + s4
                        + ", " + s4 + ", " + s4 + ") -> " + bn, bn, s4, s4, s4, s4),
                c("batch_norm_grad (feature last)", "%g, %s, %o = \"stablehlo.batch_norm_grad\"(%a0, %a1, %a2, %a3, %a4) {epsilon = 1.0e-05 : f32, feature_index = 1 : i64} : (" + bn + ", " + s4 + ", " + s4
                        + ", " + s4 + ", " + bn + ") -> (" + bn + ", " + s4 + ", " + s4 + ")", bn, s4, s4, s4, bn),
                c("rng_bit_generator", "%s, %r = \"stablehlo.rng_bit_generator\"(%a0) {rng_algorithm = #stablehlo<rng_algorithm THREE_FRY>} : (tensor<2xui64>) -> (tensor<2xui64>, " + v.replace("i64", "ui64") + ")",
                        "tensor<2xui64>"));
    }

    private static Tensor filled(TensorType type) {
        Tensor x = Tensor.zeros(type);
        if (x.ints != null) {
            long mod = type.elementType() instanceof io.hlo4j.mlir.types.IntegerType it && it.isBool() ? 2 : 13;
            for (int i = 0; i < x.size; i++) x.ints[i] = (i * 7L) % mod; // indices stay within 0..12 (< 16)
        } else {
            for (int i = 0; i < x.size; i++) x.re[i] = (i * 7919L) % 1000 / 8.0;
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aKernelPastTheDeadlineStopsInsideItself(Case k) {
        StringBuilder args = new StringBuilder();
        for (int i = 0; i < k.operands().size(); i++) args.append(i == 0 ? "" : ", ").append("%a").append(i).append(": ").append(k.operands().get(i));
        String text = "func.func @main(" + args + ") {\n  " + k.op() + "\n  func.return\n}\n";
        Interpreter interp = new Interpreter(MlirParser.parseModule(text, "stop.mlir"));
        Operation op = interp.function("main").region(0).entry().operations().get(0);
        List<RtValue> operands = new ArrayList<>();
        for (TensorType tt : k.operands()) operands.add(filled(tt));
        Frame frame = new Frame(interp, new Scope(null), Process.single());

        List<RtValue> out = interp.evalOp(op, operands, frame); // no deadline: the op runs to its end
        assertThat(out).hasSize(op.numResults());

        interp.setDeadline(System.nanoTime() - 1);
        Throwable e = catchThrowable(() -> interp.evalOp(op, operands, frame));
        String line = "stop.mlir:2:3";
        assertThat(e).as(k.name() + " must stop inside its kernel").isInstanceOf(DeadlineExceeded.class)
                .hasMessage("evaluation ran past its deadline at " + op.name() + " in @main")
                .extracting(x -> ((DeadlineExceeded) x).location().describe()).isEqualTo(line); // the line once, as the location
    }

    /**
     * {@link ScalarMatmul}, the f32 product of dot_general and ragged_dot without the vector module. This test JVM has
     * the module, so an f32 dot_general of this size would take VectorMatmul: the kernel is called directly, under the
     * stop of a dot_general op entered as the interpreter enters it. A serial product (exactly 2^20 multiply-adds) and a
     * parallel one (its workers poll for the op's thread): past the deadline, and with the op's thread interrupted
     * (its parallel loop cancelled), each must fail naming the op, where without either it computes the product.
     */
    @ParameterizedTest(name = "B={0} M={1} K={2} N={3}")
    @CsvSource({"1, 64, 256, 64", "2, 300, 300, 300"})
    void scalarMatmulStopsInsideItself(int B, int M, int K, int N) {
        assertThat(ScalarMatmul.parallel(B, M, K, N)).isEqualTo(B > 1);
        String ta = "tensor<" + B + "x" + M + "x" + K + "xf32>", tb = "tensor<" + B + "x" + K + "x" + N + "xf32>", tc = "tensor<" + B + "x" + M + "x" + N + "xf32>";
        String text = "func.func @main(%a0: " + ta + ", %a1: " + tb + ") {\n  %r = stablehlo.dot_general %a0, %a1, batching_dims = [0] x [0], "
                + "contracting_dims = [2] x [1] : (" + ta + ", " + tb + ") -> " + tc + "\n  func.return\n}\n";
        Interpreter interp = new Interpreter(MlirParser.parseModule(text, "stop.mlir"));
        Operation op = interp.function("main").region(0).entry().operations().get(0);
        float[] a = new float[B * M * K], b = new float[B * K * N], c = new float[B * M * N];
        for (int i = 0; i < a.length; i++) a[i] = (i * 7919L) % 1000 / 512f - 1;
        for (int i = 0; i < b.length; i++) b[i] = (i * 104729L) % 1000 / 512f - 1;
        StopCheck prev = StopCheck.enter(interp, op, Process.single());
        try {
            ScalarMatmul.multiply(a, 0, b, 0, c, 0, B, M, K, N); // no deadline: it runs to its end
            int last = B * M * N - 1, bb = B - 1, i = M - 1, j = N - 1;
            float s = 0f;
            for (int k = 0; k < K; k++) s = Math.fma(a[(bb * M + i) * K + k], b[(bb * K + k) * N + j], s);
            assertThat(c[last]).isEqualTo(s);

            interp.setDeadline(System.nanoTime() - 1);
            Throwable e = catchThrowable(() -> ScalarMatmul.multiply(a, 0, b, 0, c, 0, B, M, K, N));
            assertThat(e).as("ScalarMatmul must stop inside itself").isInstanceOf(DeadlineExceeded.class)
                    .hasMessage("evaluation ran past its deadline at stablehlo.dot_general in @main")
                    .extracting(x -> ((DeadlineExceeded) x).location().describe()).isEqualTo("stop.mlir:2:3");

            interp.setDeadline(Long.MAX_VALUE);
            Thread.currentThread().interrupt();
            Throwable i2 = catchThrowable(() -> ScalarMatmul.multiply(a, 0, b, 0, c, 0, B, M, K, N));
            assertThat(Thread.interrupted()).as("the interrupt is left set for whoever interrupted").isTrue();
            assertThat(i2).as("an interrupted ScalarMatmul must stop inside itself").isInstanceOf(EvaluationInterrupted.class)
                    .hasMessage("evaluation was interrupted at stablehlo.dot_general in @main");
        } finally {
            Thread.interrupted();
            StopCheck.restore(prev);
        }
    }
}
