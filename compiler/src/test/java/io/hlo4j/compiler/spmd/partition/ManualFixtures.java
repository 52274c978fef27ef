package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.Random;

/** Inputs and oracle programs shared by the partially manual {@code sdy.manual_computation} tests. */
final class ManualFixtures {
    private ManualFixtures() {}

    /**
     * The sum region of an f32 all_reduce or reduce_scatter, indented to sit in a manual computation's body (its
     * arguments are %p and %q, names the programs leave free).
     */
    static final String ADD = """
            ({
                      ^bb0(%p: tensor<f32>, %q: tensor<f32>):
                        %s = stablehlo.add %p, %q : tensor<f32>
                        stablehlo.return %s : tensor<f32>
                      })""";

    /** f32[rows, cols] of standard normal values from {@code new Random(seed)}. */
    static HostArray input(long rows, long cols, int seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) (rows * cols)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return HostArray.fromFloats(TensorType.of(FloatType.F32, rows, cols), v);
    }

    /** The global meaning of a psum over x=2 of f32[8,4] split by rows on x: the two row halves added. */
    static final String SUM_HALVES = """
            module @oracle {
              func.func public @main(%arg0: tensor<8x4xf32>) -> tensor<4x4xf32> {
                %0 = stablehlo.slice %arg0 [0:4, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                %1 = stablehlo.slice %arg0 [4:8, 0:4] : (tensor<8x4xf32>) -> tensor<4x4xf32>
                %2 = stablehlo.add %0, %1 : tensor<4x4xf32>
                return %2 : tensor<4x4xf32>
              }
            }
            """;
}
