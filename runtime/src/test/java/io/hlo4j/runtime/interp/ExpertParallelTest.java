package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expert parallelism on 4 simulated devices: all_to_all dispatches token t of every device to device t (which
 * holds expert t), each device applies its expert, and a second all_to_all brings the results home. Checked
 * against the same products computed directly.
 */
class ExpertParallelTest {
    static final String PROGRAM = """
            module @ep attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func @main(%x: tensor<4x2xf32>, %w: tensor<2x2xf32>) -> tensor<4x2xf32> {
                %d = "stablehlo.all_to_all"(%x) {split_dimension = 0 : i64, concat_dimension = 0 : i64, split_count = 4 : i64,
                    replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>} : (tensor<4x2xf32>) -> tensor<4x2xf32>
                %y = stablehlo.dot_general %d, %w, contracting_dims = [1] x [0] : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
                %r = "stablehlo.all_to_all"(%y) {split_dimension = 0 : i64, concat_dimension = 0 : i64, split_count = 4 : i64,
                    replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>} : (tensor<4x2xf32>) -> tensor<4x2xf32>
                return %r : tensor<4x2xf32>
              }
            }
            """;

    @Test
    void dispatchComputeCombine() {
        double[][] x = new double[4][], w = new double[4][];
        List<List<RtValue>> inputs = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            x[p] = new double[8];
            for (int i = 0; i < 8; i++) x[p][i] = p * 10 + i;
            w[p] = new double[] {1 + p, 0.5, -1, p};
            inputs.add(List.of(Ir.reals(FloatType.F32, shape(4, 2), x[p].clone()), Ir.reals(FloatType.F32, shape(2, 2), w[p].clone())));
        }
        var out = new Interpreter(MlirParser.parseModule(PROGRAM, "ep.mlir")).runParallel(null, 1, 4, inputs);
        for (int p = 0; p < 4; p++) {
            double[] got = ((Tensor) out.get(p).get(0)).re;
            for (int t = 0; t < 4; t++) {
                for (int j = 0; j < 2; j++) {
                    double want = x[p][2 * t] * w[t][j] + x[p][2 * t + 1] * w[t][2 + j]; // token t went to expert t
                    assertThat(got[2 * t + j]).as("device " + p + " token " + t).isEqualTo(want);
                }
            }
        }
    }
}
