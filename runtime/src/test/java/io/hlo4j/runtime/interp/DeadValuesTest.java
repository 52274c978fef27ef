package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The interpreter unbinds a value once its last reader has run ({@link Liveness}), so the collector can reclaim it
 * while the block still runs; values read later (by a later op, inside a loop's regions, by a fused group) stay.
 * Two test-only custom_call targets observe this from inside the run: {@code @memtest.capture} keeps weak
 * references to its operands, {@code @memtest.check} collects garbage and records which of them were cleared.
 */
class DeadValuesTest {
    private static final int N = 1 << 20; // 8 MB of doubles per tensor: plainly worth reclaiming
    private static final List<WeakReference<RtValue>> captured = new ArrayList<>();
    private static final List<Boolean> cleared = new ArrayList<>();

    @BeforeEach
    void register() {
        captured.clear();
        cleared.clear();
        ControlKernels.CUSTOM_CALLS.put("memtest.capture", (op, args, f) -> {
            for (RtValue a : args) captured.add(new WeakReference<>(a));
            return List.of(Tensor.scalarDouble(FloatType.F32, 0));
        });
        ControlKernels.CUSTOM_CALLS.put("memtest.check", (op, args, f) -> {
            // a few collections: a weak reference is cleared by the first full GC that finds its referent unreachable
            for (int i = 0; i < 5 && captured.stream().anyMatch(r -> r.get() != null) && anyDeadStillHeld(); i++) System.gc();
            for (WeakReference<RtValue> r : captured) cleared.add(r.get() == null);
            return args;
        });
    }

    /** Stops collecting early once the first capture is cleared (the others may legitimately stay). */
    private static boolean anyDeadStillHeld() { return captured.get(0).get() != null; }

    @AfterEach
    void unregister() {
        ControlKernels.CUSTOM_CALLS.remove("memtest.capture");
        ControlKernels.CUSTOM_CALLS.remove("memtest.check");
    }

    private static Tensor ramp() {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) v[i] = (i % 97) * 0.01f;
        return Tensor.ofDoubles(TensorType.of(FloatType.F32, N), v);
    }

    @Test
    void aValueNoLaterOpReadsIsCollectedBeforeTheBlockEndsAndALiveOneIsNot() {
        String t = "tensor<" + N + "xf32>";
        Module m = MlirParser.parseModule("""
                func.func @main(%x: $T) -> ($T, tensor<f32>) {
                  %big = stablehlo.exponential %x : $T
                  %live = stablehlo.negate %x : $T
                  %k = stablehlo.custom_call @memtest.capture(%big, %live) : ($T, $T) -> tensor<f32>
                  %c = stablehlo.custom_call @memtest.check(%k) : (tensor<f32>) -> tensor<f32>
                  %r = stablehlo.add %live, %live : $T
                  func.return %r, %c : $T, tensor<f32>
                }
                """.replace("$T", t), "dead.mlir");
        Tensor x = ramp();
        List<RtValue> out = new Interpreter(m).run(List.of(x));
        assertThat(cleared).as("exp(x), read last by capture, is gone; -x, read after the check, is not").containsExactly(true, false);
        double[] r = ((Tensor) out.get(0)).re;
        for (int i = 0; i < N; i += 4099) assertThat(r[i]).isEqualTo(-2 * x.re[i]);
    }

    @Test
    void anOuterValueReadInsideAWhileLoopStaysForEveryIterationAndGoesAfterIt() {
        String t = "tensor<" + N + "xf32>";
        Module m = MlirParser.parseModule("""
                func.func @main(%x: $T) -> ($T, tensor<f32>) {
                  %outer = stablehlo.exponential %x : $T
                  %k = stablehlo.custom_call @memtest.capture(%outer) : ($T) -> tensor<f32>
                  %zero = stablehlo.constant dense<0> : tensor<i64>
                  %one = stablehlo.constant dense<1> : tensor<i64>
                  %three = stablehlo.constant dense<3> : tensor<i64>
                  %w:2 = stablehlo.while(%i = %zero, %acc = %x) : tensor<i64>, $T
                    cond {
                      %lt = stablehlo.compare LT, %i, %three : (tensor<i64>, tensor<i64>) -> tensor<i1>
                      stablehlo.return %lt : tensor<i1>
                    } do {
                      %j = stablehlo.add %i, %one : tensor<i64>
                      %s = stablehlo.add %acc, %outer : $T
                      stablehlo.return %j, %s : tensor<i64>, $T
                    }
                  %c = stablehlo.custom_call @memtest.check(%k) : (tensor<f32>) -> tensor<f32>
                  func.return %w#1, %c : $T, tensor<f32>
                }
                """.replace("$T", t), "loop.mlir");
        Tensor x = ramp();
        List<RtValue> out = new Interpreter(m).run(List.of(x));
        assertThat(cleared).as("exp(x), read only by the loop's body, is gone after the loop").containsExactly(true);
        double[] r = ((Tensor) out.get(0)).re;
        for (int i = 0; i < N; i += 4099) {
            float e = (float) Math.exp((float) x.re[i]); // f32 rounding after each op, as the kernels round
            float want = (float) x.re[i];
            for (int k = 0; k < 3; k++) want += e;
            assertThat(r[i]).as("element " + i).isCloseTo(want, org.assertj.core.data.Offset.offset(Math.abs(want) * 1e-6));
        }
    }

    @Test
    void aFusedGroupReadsItsInputsWhereItRunsNotWhereItsMembersStand() {
        // softmax over rows: its reductions, chains and deferred broadcasts run as one group at the divide, after
        // the ops that name its input stand; positions taken from the op order would unbind that input before the
        // group reads it. No memtest probe: a weak reference to %in would stay set (the caller's list holds it).
        int rows = 64, cols = 1024;
        String mat = "tensor<" + rows + "x" + cols + "xf32>", row = "tensor<" + rows + "xf32>";
        Module m = MlirParser.parseModule("""
                func.func @main(%in: $M) -> $M {
                  %x = stablehlo.sine %in : $M
                  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
                  %zero = stablehlo.constant dense<0.0> : tensor<f32>
                  %mx = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : ($M, tensor<f32>) -> $R
                  %mb = stablehlo.broadcast_in_dim %mx, dims = [0] : ($R) -> $M
                  %d = stablehlo.subtract %x, %mb : $M
                  %e = stablehlo.exponential %d : $M
                  %s = stablehlo.reduce(%e init: %zero) applies stablehlo.add across dimensions = [1] : ($M, tensor<f32>) -> $R
                  %sb = stablehlo.broadcast_in_dim %s, dims = [0] : ($R) -> $M
                  %p = stablehlo.divide %e, %sb : $M
                  func.return %p : $M
                }
                """.replace("$M", mat).replace("$R", row), "softmax.mlir");
        Block b = m.entryFunction().region(0).entry();
        ElementwiseFusion.Plan plan = ElementwiseFusion.plan(b);
        Operation divide = b.operations().stream().filter(o -> o.name().equals("stablehlo.divide")).findFirst().orElseThrow();
        Operation subtract = b.operations().stream().filter(o -> o.name().equals("stablehlo.subtract")).findFirst().orElseThrow();
        assertThat(plan.groups()).as("the softmax runs as one group at the divide").containsKey(divide);
        assertThat(plan.skipped()).as("the subtract runs with that group").contains(subtract);

        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (i % 37) * 0.1;
        Tensor in = Tensor.ofDoubles(TensorType.of(FloatType.F32, rows, cols), v);
        List<RtValue> out = new Interpreter(m).run(List.of(in));
        double[] p = ((Tensor) out.get(0)).re;
        for (int i = 0; i < rows; i += 7) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < cols; j++) max = Math.max(max, Math.sin(v[i * cols + j]));
            for (int j = 0; j < cols; j++) sum += Math.exp(Math.sin(v[i * cols + j]) - max);
            for (int j = 0; j < cols; j += 31) {
                double want = Math.exp(Math.sin(v[i * cols + j]) - max) / sum;
                assertThat(p[i * cols + j]).as("row " + i + " col " + j).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }
}
