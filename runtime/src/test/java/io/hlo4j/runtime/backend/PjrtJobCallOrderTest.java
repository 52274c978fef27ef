package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job's global calls are matched across processes by their number, so two threads of one process must not make them at
 * once (unguarded, 2 processes x 2 threads returned wrong results: the blocks of the two calls mixed). Sequential calls
 * give the interpreter's values; an overlapping call is refused, the call it overlapped fails instead of returning blocks
 * that may be another call's, and so does every later global call of that backend.
 */
class PjrtJobCallOrderTest {
    private static final String RULE = "a job's calls are made one at a time, in the same order on every process";

    private static HostArray iota(long[] shape, float scale, float offset) {
        float[] v = new float[(int) (shape[0] * shape[1])];
        for (int i = 0; i < v.length; i++) v[i] = i * scale + offset;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    @Test
    void sequentialCallsGiveTheInterpretersValuesAndAnOverlappingCallIsRefused() throws Exception {
        Module m = MlirParser.parseModule(Files.readString(Path.of("../docs/examples/global-dot.mlir")), "global-dot.mlir");
        List<HostArray> a1 = List.of(iota(new long[] {4, 3}, 1, 1), iota(new long[] {3, 4}, 0.5f, -2));
        List<HostArray> a2 = List.of(iota(new long[] {4, 3}, -3, 7), iota(new long[] {3, 4}, 2f, 1));
        List<HostArray> w1 = Backend.interpreter().compile(m).call(a1), w2 = Backend.interpreter().compile(m).call(a2);
        assertThat(w1).isNotEqualTo(w2);
        String address;
        try (ServerSocket s = new ServerSocket(0)) {
            address = "localhost:" + s.getLocalPort();
        }
        int rounds = 4;
        CountDownLatch refused = new CountDownLatch(1);   // process 0 has refused its overlapping call
        java.util.function.IntFunction<Map<String, Object>> run = id -> {
            Map<String, Object> seen = new LinkedHashMap<>();
            try (PjrtBackend backend = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 2L), JobSpec.of(2, id, address, Duration.ofSeconds(30)), null);
                 ExecutorService pool = Executors.newSingleThreadExecutor()) {
                PjrtBackend.Compiled exe = backend.compile(m);
                for (int r = 0; r < rounds; r++) seen.put("round " + r, exe.call(r % 2 == 0 ? a1 : a2).equals(r % 2 == 0 ? w1 : w2));
                if (id == 0) {
                    Future<List<HostArray>> inFlight = pool.submit(() -> exe.call(a1));   // call #rounds: waits for process 1's blocks
                    String mine = PjrtBackend.CALL_PREFIX + rounds + "/" + exe.localPartitions().getFirst();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (backend.job().store().tryGet(mine).isEmpty()) {   // it has put its blocks: it is past the guard
                        if (System.nanoTime() > deadline) throw new AssertionError("call #" + rounds + " never put " + mine);
                        Thread.sleep(5);
                    }
                    try {
                        exe.call(a2);
                        seen.put("overlapping", "ran");
                    } catch (IllegalStateException e) {
                        seen.put("overlapping", e.getMessage());
                    }
                    refused.countDown();
                    try {
                        seen.put("in flight", "returned " + inFlight.get(60, TimeUnit.SECONDS));
                    } catch (ExecutionException e) {
                        seen.put("in flight", e.getCause().getMessage());
                    }
                    try {
                        exe.call(a1);
                        seen.put("later", "ran");
                    } catch (IllegalStateException e) {
                        seen.put("later", e.getMessage());
                    }
                } else {
                    seen.put("waited", refused.await(60, TimeUnit.SECONDS));
                    seen.put("call #" + rounds, exe.call(a1).equals(w1));   // matched with process 0's call #rounds: the same arguments
                }
            } catch (Exception e) {
                seen.put("failed", e.toString());
            }
            return seen;
        };
        CompletableFuture<Map<String, Object>> one = CompletableFuture.supplyAsync(() -> run.apply(1), r -> Thread.ofPlatform().daemon().start(r));
        Map<String, Object> zero = run.apply(0);
        Map<String, Object> first = one.get(120, TimeUnit.SECONDS);
        for (int r = 0; r < rounds; r++) {
            assertThat(zero.get("round " + r)).as("process 0, round %d", r).isEqualTo(true);
            assertThat(first.get("round " + r)).as("process 1, round %d", r).isEqualTo(true);
        }
        assertThat((String) zero.get("overlapping")).startsWith("a global call of ").contains("was made while another was in flight on another"
                + " thread; " + RULE).endsWith("this backend refuses its later global calls (open the job again)");
        assertThat((String) zero.get("in flight")).isEqualTo(zero.get("overlapping"));
        assertThat((String) zero.get("later")).isEqualTo(zero.get("overlapping"));
        assertThat(first).containsEntry("waited", true).containsEntry("call #" + rounds, true);
        assertThat(zero).doesNotContainKey("failed");
        assertThat(first).doesNotContainKey("failed");
    }
}
