package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DSL in a job of two processes (two threads, each with its own mock client of 2 devices), through the explicit
 * option: {@code withBackend(PjrtBackend.open(plugin, options, JobSpec.of(...), cache))}. A sharded matmul over the
 * job's 4 devices gives, in each process, the global product that one process of 4 devices and the interpreter give;
 * a plain jit (one partition) runs in each process on its own device, with the same result.
 */
class JitMultiProcessTest {
    private static HostArray iota(float scale, long... shape) {
        int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = scale * i - 5;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    private static final Mesh MESH = Mesh.of(List.of("x"), 4);
    private static final ShardedJit MM = ShardedJit.jit("mm", args -> ((Tensor) args[0]).matmul((Tensor) args[1]),
            List.of(NamedSharding.of(MESH, "x"), NamedSharding.of(MESH)), List.of(NamedSharding.of(MESH, "x")));
    private static final Jit DOT = Jit.jit2(Tensor::matmul);

    private record Ran(HostArray sharded, HostArray plain, List<Integer> plainDevices) {}

    private static Ran process(String address, int id, HostArray x, HostArray w, HostArray a, HostArray b) {
        try (PjrtBackend backend = PjrtBackend.open(ShardedJitPjrtTest.mock(), Map.of("num_devices", 2L), JobSpec.of(2, id, address, Duration.ofSeconds(60)), null)) {
            HostArray sharded = (HostArray) MM.withBackend(backend).call(x, w);
            Jit dot = DOT.withBackend(backend);
            HostArray plain = dot.call1(a, b);
            var exe = (PjrtBackend.Compiled) dot.compile(a, b).executable();
            return new Ran(sharded, plain, exe.devices().stream().map(d -> d.id()).toList());
        }
    }

    @Test
    void aShardedJitAndAJitRunInAJobAsInOneProcess() throws Exception {
        HostArray x = iota(1, 8, 3), w = iota(0.25f, 3, 5), a = iota(1, 2, 3), b = iota(0.5f, 3, 2);
        HostArray wantSharded = (HostArray) MM.withBackend(Backend.interpreter()).call(x, w);
        HostArray wantPlain = DOT.withBackend(Backend.interpreter()).call1(a, b);
        try (PjrtBackend single = PjrtBackend.open(ShardedJitPjrtTest.mock(), Map.of("num_devices", 4L))) {
            assertThat(((HostArray) MM.withBackend(single).call(x, w)).toDoubleArray()).containsExactly(wantSharded.toDoubleArray());
            assertThat(DOT.withBackend(single).call1(a, b).toDoubleArray()).containsExactly(wantPlain.toDoubleArray());
        }
        String address;
        try (ServerSocket s = new ServerSocket(0)) {
            address = "localhost:" + s.getLocalPort();
        }
        CompletableFuture<Ran> one = CompletableFuture.supplyAsync(() -> process(address, 1, x, w, a, b), r -> Thread.ofPlatform().daemon().start(r));
        Ran zero = process(address, 0, x, w, a, b), other = one.get(120, TimeUnit.SECONDS);
        for (Ran r : List.of(zero, other)) {
            assertThat(r.sharded().type()).isEqualTo(wantSharded.type());
            assertThat(r.sharded().toDoubleArray()).containsExactly(wantSharded.toDoubleArray());
            assertThat(r.plain().toDoubleArray()).containsExactly(wantPlain.toDoubleArray());
        }
        // row 0 of x is -5, -4, -3; column 0 of w (indices 0, 5, 10) is -5, -3.75, -2.5: 25 + 15 + 7.5
        assertThat(zero.sharded().getDoubleAt(0, 0)).isEqualTo(47.5);
        assertThat(zero.plainDevices()).as("one partition: each process on its own first device").containsExactly(100);
        assertThat(other.plainDevices()).containsExactly(102);
    }
}
