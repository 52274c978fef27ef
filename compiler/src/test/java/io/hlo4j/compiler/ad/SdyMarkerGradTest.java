package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/**
 * Shardy's propagation markers (barrier, data-flow edges) and layout requests (reshard, sharding_constraint) keep
 * their operand's value: their cotangent passes through
 * unchanged. Checked against finite differences around a non-linear use, so a dropped or doubled cotangent fails.
 */
class SdyMarkerGradTest {
    @ParameterizedTest
    @ValueSource(strings = {"sdy.propagation_barrier %s allowed_direction=BACKWARD", "sdy.data_flow_edge %s",
            "sdy.func_data_flow_edge %s", "sdy.reshard %s <@mesh, [{\"a\"}]>", "sdy.sharding_constraint %s <@mesh, [{}]>"})
    void markersPassTheCotangentThrough(String op) {
        HostArray x = uniform(f64(6), new Random(5), -1, 1);
        GradCheck.check("""
                sdy.mesh @mesh = <["a"=2]>
                func.func @f(%x: tensor<6xf64>) -> tensor<6xf64> {
                  %s = stablehlo.sine %x : tensor<6xf64>
                  %m = OP : tensor<6xf64>
                  %y = stablehlo.multiply %m, %x : tensor<6xf64>
                  return %y : tensor<6xf64>
                }""".replace("OP", op.formatted("%s")), List.of(x), 29);
    }
}
