package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shardy's ops on a global program: layout requests and markers keep the value; named computations run their body. */
class SdyKernelsTest {
    private static final String MODULE = """
            module {
              sdy.mesh @mesh = <["x"=2, "y"=2]>
              func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                %c = sdy.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
                %s = sdy.sharding_constraint %a <@mesh, [{"x"}]> : tensor<4xf32>
                %r = sdy.reshard %s <@mesh, [{"y"}]> : tensor<4xf32>
                %b = sdy.propagation_barrier %r allowed_direction=NONE : tensor<4xf32>
                %n = sdy.named_computation<"scale">(%b, %c) (%u: tensor<4xf32>, %v: tensor<4xf32>) {
                  %m = stablehlo.multiply %u, %v : tensor<4xf32>
                  sdy.return %m : tensor<4xf32>
                } : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
                return %n : tensor<4xf32>
              }
            }
            """;

    @Test
    void aGlobalAnnotatedProgramRunsAsWritten() {
        Interpreter in = new Interpreter(MlirParser.parseModule(MODULE, "sdy.mlir"));
        HostArray a = HostArray.fromFloats(TensorType.of(FloatType.F32, 4), 0.5f, -1f, 2f, 10f);
        List<HostArray> out = in.runHost("main", List.of(a));
        assertThat(out.get(0).toDoubleArray()).containsExactly(0.5, -2, 6, 40);
    }

    @Test
    void collectivesOfTheGlobalProgramRefuseToRunPerDevice() {
        Interpreter in = new Interpreter(MlirParser.parseModule("""
                module {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                    %g = sdy.all_gather [{"x"}] %a out_sharding=<@mesh, [{}]> : tensor<4xf32>
                    return %g : tensor<4xf32>
                  }
                }
                """, "g.mlir"));
        HostArray a = HostArray.fromFloats(TensorType.of(FloatType.F32, 4), 1, 2, 3, 4);
        assertThat(in.runHost("main", List.of(a)).get(0).toDoubleArray()).containsExactly(1, 2, 3, 4);
        assertThatThrownBy(() -> in.runParallel("main", 1, 2, List.of(HostArrays.toValues(List.of(a)), HostArrays.toValues(List.of(a)))))
                .hasMessageContaining("sdy.all_gather is a collective of the global program");
    }
}
