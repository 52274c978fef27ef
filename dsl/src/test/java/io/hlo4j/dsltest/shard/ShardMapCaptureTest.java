package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shardMap body closing over a tensor of the enclosing trace (JAX's shard_map closing over a tracer): the captured
 * vector becomes an extra operand, replicated, and its gradient is the sum of every device's part.
 * f(x [4], c [2]) = sum((x_local + c)^2) with x split over x = 2: f = sum_i (x[i] + c[i mod 2])^2, so
 * df/dc[j] = 2 (x[j] + c[j]) + 2 (x[j + 2] + c[j]), both computed here by hand in f64.
 */
class ShardMapCaptureTest {
    static final Mesh M = Mesh.of(2, List.of("x"), 2);

    @Test
    void aCapturedVectorIsAReplicatedOperandWhoseGradientSumsOverTheDevices() {
        TracedFunction f = a -> {
            Tensor x = (Tensor) a[0], c = (Tensor) a[1];
            Tensor y = ShardMap.shardMap(M, PartitionSpec.of("x"), PartitionSpec.of("x"), b -> b.add(c).square(), x);
            return y.sum();
        };
        List<NamedSharding> in = List.of(NamedSharding.of(M, "x"), NamedSharding.of(M));
        double[] xv = {0.5, -1.25, 2.0, 0.75}, cv = {0.3, -0.6};
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 4).tensorType(), xv), c = HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), cv);

        String text = ShardedJit.jit("cap", f, in).lower(Spec.of(DType.F32, 4), Spec.of(DType.F32, 2)).asText();
        // the captured c is the manual computation's second operand, replicated
        assertThat(text).contains("sdy.manual_computation(%arg0, %arg1) in_shardings=[<@mesh, [{\"x\"}]>, <@mesh, [{}]>]");

        List<?> r = (List<?>) ShardedJit.jit("cap_grad", Grad.valueAndGrad(f, 1), in).callSimulated(x, c).results();
        double want = 0;
        double[] grad = new double[2];
        for (int i = 0; i < 4; i++) {
            want += (xv[i] + cv[i % 2]) * (xv[i] + cv[i % 2]);
            grad[i % 2] += 2 * (xv[i] + cv[i % 2]);
        }
        assertThat(((HostArray) r.get(0)).getDouble(0)).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
        double[] got = ((HostArray) r.get(1)).toDoubleArray();
        for (int j = 0; j < 2; j++) assertThat(got[j]).as("df/dc[%d]", j).isCloseTo(grad[j], org.assertj.core.data.Offset.offset(1e-5));
    }
}
