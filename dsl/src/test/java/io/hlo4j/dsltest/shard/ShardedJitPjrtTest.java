package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import io.hlo4j.runtime.backend.PjrtBackend;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sharded jit on PJRT (the runtime's C mock, N devices) takes and returns global arrays, giving what the
 * interpreter gives for the same global program.
 */
class ShardedJitPjrtTest {
    static Path mock() { return io.hlo4j.dsltest.MockPlugin.path(); }

    private static HostArray iota(float scale, long... shape) {
        int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = scale * i - 5;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    @Test
    void theConfiguredPluginRunsAShardedJitOnGlobalArrays() {
        Mesh m = Mesh.of(List.of("x", "y"), 2, 2);
        HostArray a = iota(1, 4, 6), b = iota(0.5f, 4, 6);
        ShardedJit add = ShardedJit.jit("add", args -> ((Tensor) args[0]).add((Tensor) args[1]),
                List.of(NamedSharding.of(m, "x", "y"), NamedSharding.of(m, "x", "y")), List.of(NamedSharding.of(m, "x", "y")));
        HostArray want = (HostArray) add.withBackend(Backend.interpreter()).call(a, b);
        String oldPlugin = System.getProperty("hlo4j.pjrt.plugin"), oldOptions = System.getProperty("hlo4j.pjrt.options");
        System.setProperty("hlo4j.pjrt.plugin", mock().toString());
        System.setProperty("hlo4j.pjrt.options", "num_devices=4");
        try {
            assertThat(add.backend().name()).isEqualTo("pjrt:mock");
            HostArray got = (HostArray) add.call(a, b);
            assertThat(add.compile(a, b).executable().backend().name()).isEqualTo("pjrt:mock");
            assertThat(got.type()).isEqualTo(TensorType.of(FloatType.F32, 4, 6));
            assertThat(got.toDoubleArray()).containsExactly(want.toDoubleArray());
            assertThat(got.getDoubleAt(3, 5)).isEqualTo(23 - 5 + 0.5 * 23 - 5);
        } finally {
            restore("hlo4j.pjrt.plugin", oldPlugin);
            restore("hlo4j.pjrt.options", oldOptions);
        }
    }

    @Test
    void aShardedMatmulOnFourMockDevicesIsTheGlobalProduct() {
        Mesh m = Mesh.of(List.of("x"), 4);
        HostArray x = iota(1, 8, 3), w = iota(0.25f, 3, 5);
        ShardedJit mm = ShardedJit.jit("mm", args -> ((Tensor) args[0]).matmul((Tensor) args[1]),
                List.of(NamedSharding.of(m, "x"), NamedSharding.of(m)), List.of(NamedSharding.of(m, "x")));
        HostArray want = (HostArray) mm.withBackend(Backend.interpreter()).call(x, w);
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of("num_devices", 4L))) {
            HostArray got = (HostArray) mm.withBackend(pjrt).call(x, w);
            assertThat(got.toDoubleArray()).containsExactly(want.toDoubleArray());
            // row 0 of x is -5, -4, -3; column 0 of w (indices 0, 5, 10) is -5, -3.75, -2.5: 25 + 15 + 7.5
            assertThat(got.getDoubleAt(0, 0)).isEqualTo(47.5);
            // An unsharded argument on 4 devices cannot be split: refused by name.
            ShardedJit half = ShardedJit.jit("half", args -> ((Tensor) args[0]).matmul((Tensor) args[1]),
                    Arrays.asList(NamedSharding.of(m, "x"), null), List.of(NamedSharding.of(m, "x"))).withBackend(pjrt);
            assertThatThrownBy(() -> half.call(x, w)).hasMessageContaining("argument #1 (tensor<3x5xf32>) of @main has no sdy.sharding");
        }
    }

    private static void restore(String key, String old) {
        if (old == null) System.clearProperty(key);
        else System.setProperty(key, old);
    }
}
