package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.distributed.DistributedProcess;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One program over two processes of a job (two threads, each with its own client of the mock, joined through a TCP
 * coordinator as jax.distributed does): each compiles the same 4-partition program over the 4 global devices, runs
 * only its 2 partitions on its 2 devices, and the blocks of both, assembled, equal the interpreter's global result.
 */
class PjrtMultiProcessTest {
    private static final Path GLOBAL_DOT = Path.of("../docs/examples/global-dot.mlir");

    private static HostArray iota(long[] shape, float scale, float offset) {
        float[] v = new float[(int) (shape[0] * shape[1])];
        for (int i = 0; i < v.length; i++) v[i] = i * scale + offset;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    private record Ran(int process, List<Integer> partitions, List<Long> devices, SortedMap<Integer, List<HostArray>> blocks, List<HostArray> global) {}

    /** Process {@code id}: joins, opens the mock as node {@code id} of 2, compiles, runs its blocks, checks the refusals. */
    private static Ran process(String address, int id, Module m, List<HostArray> args) {
        try (DistributedProcess job = DistributedProcess.initialize(address, 2, id, Duration.ofSeconds(30))) {
            Map<String, Object> options = new LinkedHashMap<>(job.clientOptions());
            options.put("num_devices", 2L);
            try (PjrtBackend backend = PjrtBackend.open(PjrtBackendTest.mock(), options, job.store(), null)) {
                assertThat(backend.processIndex()).isEqualTo(id);
                assertThat(backend.processCount()).isEqualTo(2);
                assertThat(backend.globalDevices()).extracting(PjrtDevice::id).containsExactly(100, 101, 102, 103);
                PjrtBackend.Compiled exe = backend.compile(m);
                assertThat(exe.partitions()).isEqualTo(4);
                assertThat(exe.options().deviceIds()).containsExactly(100, 101, 102, 103);
                // as JAX: process_index/process_count left at 0 of 1 (XLA's GPU client sets them from the assignment)
                assertThat(exe.options().proto().getExecutableBuildOptions().getProcessIndex()).isZero();
                assertThat(exe.options().proto().getExecutableBuildOptions().getProcessCount()).isEqualTo(1);
                List<Integer> mine = exe.localPartitions();
                SortedMap<Integer, List<HostArray>> in = exe.localBlocks(args);
                assertThat(in.keySet()).containsExactlyElementsOf(mine);
                // Refused by name: the global call (this process holds only its blocks), another process's block, a missing one.
                assertThatThrownBy(() -> exe.callGlobal(args)).isInstanceOf(Hlo4jException.class)
                        .hasMessageContaining("program's 4 partitions run on 2 processes; this process (" + id + ") holds partitions " + mine);
                int theirs = id == 0 ? 2 : 0;
                Map<Integer, List<HostArray>> foreign = new HashMap<>(in);
                foreign.put(theirs, in.get(mine.getFirst()));
                assertThatThrownBy(() -> exe.callBlocks(foreign)).hasMessageContaining("block for partition " + theirs + " (device " + (100 + theirs)
                        + "): this process (" + id + ") holds partitions " + mine + " on devices " + (id == 0 ? "[100, 101]" : "[102, 103]")
                        + "; partition " + theirs + " is another process's");
                Map<Integer, List<HostArray>> partial = new HashMap<>(in);
                partial.remove(mine.getLast());
                assertThatThrownBy(() -> exe.callBlocks(partial)).hasMessageContaining("no blocks for partition " + mine.getLast());
                SortedMap<Integer, List<HostArray>> out = exe.callBlocks(in);
                assertThatThrownBy(() -> exe.assembleResults(out)).hasMessageContaining("cannot assemble the results: no blocks for partitions "
                        + (id == 0 ? "[2, 3]" : "[0, 1]"));
                // The whole global call, result blocks exchanged through the job's store: every process gets the global results.
                List<HostArray> global = exe.callGlobal(args, job.store(), "test/result/", Duration.ofSeconds(30));
                return new Ran(id, mine, exe.devices().stream().map(d -> (long) d.id()).toList(), out, global);
            }
        }
    }

    @Test
    void twoProcessesEachRunTheirBlocksAndTogetherGiveTheInterpretersResult() throws Exception {
        io.hlo4j.runtime.pjrt.MockPjrt.Hooks mock = io.hlo4j.runtime.pjrt.MockPjrt.hooks();
        long[] before = mock.reset();
        Module m = MlirParser.parseModule(Files.readString(GLOBAL_DOT), "global-dot.mlir");
        List<HostArray> args = List.of(iota(new long[] {4, 3}, 1, 1), iota(new long[] {3, 4}, 0.5f, -2));
        List<HostArray> want = Backend.interpreter().compile(m).call(args);
        String address;
        try (ServerSocket s = new ServerSocket(0)) {
            address = "localhost:" + s.getLocalPort();
        }
        CompletableFuture<Ran> one = CompletableFuture.supplyAsync(() -> process(address, 1, m, args));
        Ran zero = process(address, 0, m, args);
        Ran other = one.get(60, TimeUnit.SECONDS);
        assertThat(zero.partitions()).containsExactly(0, 1);
        assertThat(zero.devices()).containsExactly(100L, 101L);
        assertThat(other.partitions()).containsExactly(2, 3);
        assertThat(other.devices()).containsExactly(102L, 103L);
        // Gathered (here in the test; across hosts by the caller's means), the blocks assemble to the global result.
        Map<Integer, List<HostArray>> all = new HashMap<>(zero.blocks());
        all.putAll(other.blocks());
        try (PjrtBackend single = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 4L))) {
            List<HostArray> got = single.compile(m).assembleResults(all);
            for (Ran r : List.of(zero, other))
                assertThat(r.global().getFirst().toDoubleArray()).as("process %d's exchanged global result", r.process())
                        .containsExactly(want.getFirst().toDoubleArray());
            assertThat(got.getFirst().type()).isEqualTo(want.getFirst().type());
            assertThat(got.getFirst().toDoubleArray()).containsExactly(want.getFirst().toDoubleArray());
            // The same program in one process of 4 devices gives the same bits (the single-process path is unchanged).
            assertThat(single.compile(m).callGlobal(args).getFirst().toDoubleArray()).containsExactly(want.getFirst().toDoubleArray());
        }
        mock.assertNothingLeaked(before);   // clients, executables, buffers and errors of both processes (and the refusals)
    }

    private record Cached(int process, int hits, int misses, List<HostArray> result, String error) {}

    /** Process {@code id} of a 2-process job with the compile cache in {@code cache}: compiles the global dot and calls it on global arrays. */
    private static Cached cached(String address, int id, Module m, List<HostArray> args, Path cache) {
        try (PjrtBackend backend = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 2L),
                JobSpec.of(2, id, address, Duration.ofSeconds(30)), cache)) {
            try {
                PjrtBackend.Compiled exe = backend.compile(m);
                List<HostArray> r = exe.call(args);   // the job's backend exchanges the result blocks itself
                return new Cached(id, backend.cache().hits(), backend.cache().misses(), r, null);
            } catch (Hlo4jException e) {
                return new Cached(id, backend.cache().hits(), backend.cache().misses(), null, e.getMessage());
            }
        }
    }

    private static List<Cached> round(Module m, List<HostArray> args, Path cache) throws Exception {
        String address;
        try (ServerSocket s = new ServerSocket(0)) {
            address = "localhost:" + s.getLocalPort();
        }
        CompletableFuture<Cached> one = CompletableFuture.supplyAsync(() -> cached(address, 1, m, args, cache), r -> Thread.ofPlatform().daemon().start(r));
        Cached zero = cached(address, 0, m, args, cache);
        return List.of(zero, one.get(60, TimeUnit.SECONDS));
    }

    /**
     * Each process keys its own entries (its index, the job's devices): the first run of the job writes two entries, the
     * second loads them, and both runs give the interpreter's result. An entry that loads onto other devices than the
     * assignment gives the process (here: the assignment's order reversed) is refused by name in each process.
     */
    @Test
    void eachProcessPopulatesThenReusesItsOwnCacheEntries(@TempDir Path cache) throws Exception {
        io.hlo4j.runtime.pjrt.MockPjrt.Hooks mock = io.hlo4j.runtime.pjrt.MockPjrt.hooks();
        long[] before = mock.reset();
        Module m = MlirParser.parseModule(Files.readString(GLOBAL_DOT), "global-dot.mlir");
        List<HostArray> args = List.of(iota(new long[] {4, 3}, 1, 1), iota(new long[] {3, 4}, 0.5f, -2));
        List<HostArray> want = Backend.interpreter().compile(m).call(args);
        for (Cached c : round(m, args, cache)) {
            assertThat(c.error()).as("process %d", c.process()).isNull();
            assertThat(List.of(c.hits(), c.misses())).as("process %d populates", c.process()).containsExactly(0, 1);
            assertThat(c.result().getFirst().toDoubleArray()).containsExactly(want.getFirst().toDoubleArray());
        }
        List<Path> entries;
        try (var files = Files.list(cache)) {
            entries = files.sorted().toList();
        }
        assertThat(entries).as("one entry per process").hasSize(2);
        for (Cached c : round(m, args, cache)) {
            assertThat(List.of(c.hits(), c.misses())).as("process %d reuses", c.process()).containsExactly(1, 0);
            assertThat(c.result().getFirst().toDoubleArray()).containsExactly(want.getFirst().toDoubleArray());
        }
        try (var files = Files.list(cache)) {
            assertThat(files.sorted().toList()).isEqualTo(entries);
        }
        // Entries for another assignment (the same devices in another order), as if copied from another job.
        for (Path e : entries) Files.writeString(e, "hlo4j-mock-exe/2 program=2 devices=4 ids=101,100,103,102");
        for (Cached c : round(m, args, cache)) {
            String mine = c.process() == 0 ? "[100, 101]" : "[102, 103]", loaded = c.process() == 0 ? "[101, 100]" : "[103, 102]";
            assertThat(c.error()).as("process %d", c.process()).startsWith("PJRT_Executable_DeserializeAndLoad failed with FAILED_PRECONDITION: compile cache entry "
                    + cache).contains(" loads onto devices " + loaded + ", but the compile's device assignment [100, 101, 102, 103] gives process "
                    + c.process() + " devices " + mine + ": not an entry for this process's place in the job; delete the entry to compile again");
        }
        mock.assertNothingLeaked(before);
    }


    /**
     * A job that calls a program many times (a training loop): process 0 drops call n - 1's result blocks once call n is
     * gathered, so the coordinator holds at most two calls' blocks, not one set per call ever made.
     */
    @Test
    void manyGlobalCallsKeepTheStoreBounded() throws Exception {
        Module m = MlirParser.parseModule(Files.readString(GLOBAL_DOT), "global-dot.mlir");
        List<HostArray> args = List.of(iota(new long[] {4, 3}, 1, 1), iota(new long[] {3, 4}, 0.5f, -2));
        double[] want = Backend.interpreter().compile(m).call(args).getFirst().toDoubleArray();
        String address;
        try (ServerSocket s = new ServerSocket(0)) {
            address = "localhost:" + s.getLocalPort();
        }
        int calls = 30;
        java.util.function.IntFunction<List<String>> run = id -> {
            try (PjrtBackend backend = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 2L), JobSpec.of(2, id, address, Duration.ofSeconds(30)), null)) {
                PjrtBackend.Compiled exe = backend.compile(m);
                for (int i = 0; i < calls; i++) assertThat(exe.call(args).getFirst().toDoubleArray()).as("call %d", i).containsExactly(want);
                List<String> left = new java.util.ArrayList<>();   // the result-block keys still in the store, seen from this process
                for (int n = 0; n < calls; n++)
                    for (int p = 0; p < 4; p++)
                        for (String k : List.of(PjrtBackend.CALL_PREFIX + n + "/" + p, PjrtBackend.CALL_PREFIX + n + "/" + p + "/0"))
                            if (backend.job().store().tryGet(k).isPresent()) left.add(k);
                return left;
            }
        };
        CompletableFuture<List<String>> one = CompletableFuture.supplyAsync(() -> run.apply(1), r -> Thread.ofPlatform().daemon().start(r));
        List<String> left = run.apply(0);
        one.get(60, TimeUnit.SECONDS);
        List<String> last = new java.util.ArrayList<>();
        for (int p = 0; p < 4; p++) last.addAll(List.of(PjrtBackend.CALL_PREFIX + (calls - 1) + "/" + p, PjrtBackend.CALL_PREFIX + (calls - 1) + "/" + p + "/0"));
        assertThat(left).as("only the last call's blocks, after " + calls + " calls").containsExactlyElementsOf(last);
    }

    /** callGlobal on a job's backend fails as call() does: the other process hears of it by name instead of waiting out the timeout. */
    @Test
    void aFailedCallGlobalIsToldToTheOtherProcess() throws Exception {
        Module m = MlirParser.parseModule(Files.readString(GLOBAL_DOT), "global-dot.mlir");
        List<HostArray> args = List.of(iota(new long[] {4, 3}, 1, 1), iota(new long[] {3, 4}, 0.5f, -2));
        String address;
        try (ServerSocket s = new ServerSocket(0)) {
            address = "localhost:" + s.getLocalPort();
        }
        java.util.function.IntFunction<String> run = id -> {
            try (PjrtBackend backend = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 2L), JobSpec.of(2, id, address, Duration.ofSeconds(60)), null)) {
                PjrtBackend.Compiled exe = backend.compile(m);
                try {
                    exe.callGlobal(id == 1 ? List.of(args.getFirst()) : args);   // process 1 passes one argument of two
                    return "no error";
                } catch (Hlo4jException e) {
                    return e.getMessage();
                }
            } catch (RuntimeException closing) {
                return "close: " + closing.getMessage();
            }
        };
        long t0 = System.nanoTime();
        CompletableFuture<String> one = CompletableFuture.supplyAsync(() -> run.apply(1), r -> Thread.ofPlatform().daemon().start(r));
        String zero = run.apply(0);
        assertThat(one.get(60, TimeUnit.SECONDS)).startsWith("entry function takes 2 arguments");
        assertThat(zero).startsWith("process 1 of the job failed, so 'hlo4j/call/0/2' will not come (this is process 0): process 1: entry function takes 2 arguments");
        assertThat((System.nanoTime() - t0) / 1e9).as("well within the 60 s timeout").isLessThan(30);
    }
}
