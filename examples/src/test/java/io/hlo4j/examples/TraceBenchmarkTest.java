package io.hlo4j.examples;

import io.hlo4j.examples.TraceBenchmark.Dims;
import io.hlo4j.examples.TraceBenchmark.Mode;
import io.hlo4j.examples.TraceBenchmark.Run;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Runs the trace benchmark at a tiny size so it cannot rot; asserts structure, never timing. */
class TraceBenchmarkTest {
    static final Dims TINY = new Dims(8, 6, 2, 5, 7);

    static long results(Operation func) { return func.region(0).entry().terminator().numOperands(); }

    @Test
    void unrolledCostIsAffineInLayersAndReturnsOneGradientPerWeight() {
        Run r1 = TraceBenchmark.run(TINY, 1, Mode.UNROLLED);
        Run r2 = TraceBenchmark.run(TINY, 2, Mode.UNROLLED);
        Run r4 = TraceBenchmark.run(TINY, 4, Mode.UNROLLED);
        // Each layer adds the same ops: forward and forward+backward both grow by a fixed amount per layer.
        long perLayerFwd = r2.forwardOps() - r1.forwardOps();
        long perLayer = r2.ops() - r1.ops();
        assertThat(perLayerFwd).isPositive();
        assertThat(perLayer).isGreaterThan(perLayerFwd);
        assertThat(r4.forwardOps() - r1.forwardOps()).isEqualTo(3 * perLayerFwd);
        assertThat(r4.ops() - r1.ops()).isEqualTo(3 * perLayer);
        // value + 7 weight gradients per layer
        assertThat(results(r4.valueAndGrad())).isEqualTo(1 + 7 * 4);
        assertThat(r4.text()).contains("func.func @loss_value_and_grad").contains("chlo.ragged_dot").contains("chlo.top_k");
    }

    @Test
    void scanModuleDoesNotGrowWithLayers() {
        Run s4 = TraceBenchmark.run(TINY, 4, Mode.SCAN);
        Run s11 = TraceBenchmark.run(TINY, 11, Mode.SCAN);
        Run s16 = TraceBenchmark.run(TINY, 16, Mode.SCAN);
        assertThat(s16.forwardOps()).isEqualTo(s4.forwardOps());
        assertThat(s16.ops()).isEqualTo(s4.ops());
        // Only the layer count (leading axis of the stacked weights and of the saved per-layer activations, the
        // forward trip count, the backward loop's first index n-1) changes; with as many digits, not one byte.
        assertThat(s16.text().length()).isEqualTo(s11.text().length());
        assertThat(s16.text()).isEqualTo(withLayers(s4.text(), 4, 16));
        assertThat(s16.text()).contains("stablehlo.while");
        assertThat(results(s16.valueAndGrad())).isEqualTo(1 + 7);
        assertThat(s16.ops()).isLessThan(TraceBenchmark.run(TINY, 16, Mode.UNROLLED).ops() / 8);
    }

    /** The text of an n-layer scan rewritten for m layers (TINY's sizes avoid the numbers n, m, n-1, m-1). */
    static String withLayers(String text, int n, int m) {
        return text.replace("tensor<" + n + "x", "tensor<" + m + "x").replace("tensor<" + n + "xi32>", "tensor<" + m + "xi32>")
                .replace("dense<" + n + "> : tensor<i32>", "dense<" + m + "> : tensor<i32>")
                .replace("dense<" + (n - 1) + "> : tensor<i64>", "dense<" + (m - 1) + "> : tensor<i64>");
    }

    @Test
    void scanGradientsEqualUnrolledGradientsOnTheInterpreter() {
        int layers = 3;
        Run unrolled = TraceBenchmark.run(TINY, layers, Mode.UNROLLED);
        Run scan = TraceBenchmark.run(TINY, layers, Mode.SCAN);
        java.util.Random rnd = new java.util.Random(42);
        List<BlockArgument> uArgs = unrolled.valueAndGrad().region(0).entry().arguments();
        List<HostArray> uIn = new ArrayList<>();
        for (BlockArgument a : uArgs) {
            TensorType t = (TensorType) a.type();
            double[] v = new double[Math.toIntExact(t.numElements())];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble() - 0.5;
            uIn.add(HostArray.fromDoubles(t, v));
        }
        // The scan takes the same numbers with weight j of every layer stacked on a leading axis.
        List<BlockArgument> sArgs = scan.valueAndGrad().region(0).entry().arguments();
        List<HostArray> sIn = new ArrayList<>();
        sIn.add(uIn.get(0));
        for (int j = 0; j < 7; j++) {
            List<Double> all = new ArrayList<>();
            for (int l = 0; l < layers; l++) for (double d : uIn.get(1 + 7 * l + j).toDoubleArray()) all.add(d);
            sIn.add(HostArray.fromDoubles((TensorType) sArgs.get(1 + j).type(), all.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        List<HostArray> u = call(unrolled, uIn);
        List<HostArray> s = call(scan, sIn);
        assertThat(s.get(0).getDouble(0)).isCloseTo(u.get(0).getDouble(0), within(1e-3 * Math.max(1, Math.abs(u.get(0).getDouble(0)))));
        for (int j = 0; j < 7; j++) {
            double[] stacked = s.get(1 + j).toDoubleArray();
            int per = stacked.length / layers;
            for (int l = 0; l < layers; l++) {
                double[] want = u.get(1 + 7 * l + j).toDoubleArray();
                assertThat(want).hasSize(per);
                double scale = 1e-9;
                for (double w : want) scale = Math.max(scale, Math.abs(w));
                assertThat(scale).as("gradient of weight %d layer %d is not all zero", j, l).isGreaterThan(1e-4);
                for (int i = 0; i < per; i++) {
                    assertThat(stacked[l * per + i]).as("weight %d layer %d element %d", j, l, i).isCloseTo(want[i], within(2e-2 * scale));
                }
            }
        }
    }

    static List<HostArray> call(Run run, List<HostArray> args) {
        return Backend.interpreter().compile(run.module()).call(args);
    }
}
