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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two processes of a mock job make two global calls one after the other, never overlapping. In the same order both
 * calls give the interpreter's values on both processes; in other orders (process 0: a1 then a2, process 1: a2 then a1)
 * call #0 would pair process 0's blocks of a1 with process 1's of a2 and return a mix: it is refused on both processes
 * instead (CallSignature). Before the fingerprints, both calls returned wrong values without an error.
 */
class PjrtJobCallSignatureTest {
    private static HostArray iota(long[] shape, float scale, float offset) {
        float[] v = new float[(int) (shape[0] * shape[1])];
        for (int i = 0; i < v.length; i++) v[i] = i * scale + offset;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    private static Map<String, Object> job(Module m, boolean otherOrders, List<HostArray> a1, List<HostArray> a2,
                                           List<HostArray> w1, List<HostArray> w2) throws Exception {
        String address;
        try (ServerSocket s = new ServerSocket(0)) { address = "localhost:" + s.getLocalPort(); }
        java.util.function.IntFunction<Map<String, Object>> run = id -> {
            Map<String, Object> seen = new LinkedHashMap<>();
            try (PjrtBackend backend = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 2L),
                    JobSpec.of(2, id, address, Duration.ofSeconds(30)), null)) {
                PjrtBackend.Compiled exe = backend.compile(m);
                boolean swap = otherOrders && id == 1;
                seen.put("first", exe.call(swap ? a2 : a1).equals(swap ? w2 : w1));
                seen.put("second", exe.call(swap ? a1 : a2).equals(swap ? w1 : w2));
            } catch (RuntimeException e) {
                seen.put("failed", String.valueOf(e.getMessage()));
            }
            return seen;
        };
        CompletableFuture<Map<String, Object>> one = CompletableFuture.supplyAsync(() -> run.apply(1), r -> Thread.ofPlatform().daemon().start(r));
        Map<String, Object> zero = run.apply(0);
        Map<String, Object> both = new LinkedHashMap<>();
        both.put("0", zero);
        both.put("1", one.get(120, TimeUnit.SECONDS));
        return both;
    }

    @Test
    @SuppressWarnings("unchecked")
    void callsInOtherOrdersAreRefusedOnEveryProcessAndTheSameOrderGivesTheValues() throws Exception {
        Module m = MlirParser.parseModule(Files.readString(Path.of("../docs/examples/global-dot.mlir")), "global-dot.mlir");
        List<HostArray> a1 = List.of(iota(new long[] {4, 3}, 1, 1), iota(new long[] {3, 4}, 0.5f, -2));
        List<HostArray> a2 = List.of(iota(new long[] {4, 3}, -3, 7), iota(new long[] {3, 4}, 2f, 1));
        List<HostArray> w1 = Backend.interpreter().compile(m).call(a1), w2 = Backend.interpreter().compile(m).call(a2);
        assertThat(w1).isNotEqualTo(w2);

        Map<String, Object> same = job(m, false, a1, a2, w1, w2);
        for (String p : List.of("0", "1")) {
            assertThat((Map<String, Object>) same.get(p)).as("process " + p).containsEntry("first", true).containsEntry("second", true)
                    .doesNotContainKey("failed");
        }

        Map<String, Object> other = job(m, true, a1, a2, w1, w2);
        for (String p : List.of("0", "1")) {
            Map<String, Object> seen = (Map<String, Object>) other.get(p);
            assertThat(seen).as("process " + p).doesNotContainKey("first").containsKey("failed");
        }
        // the process that finds the difference says which call and which process; the other may hear of it first
        String zero = (String) ((Map<String, Object>) other.get("0")).get("failed"), one = (String) ((Map<String, Object>) other.get("1")).get("failed");
        assertThat(List.of(zero, one)).anySatisfy(msg -> assertThat(msg).contains("global call #0 of the job: process ")
                .contains(" made it with other arguments than process ").contains("the same calls with the same arguments in the same order"));
    }
}
