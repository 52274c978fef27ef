package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.PjrtErrorCode;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.hlo4j.runtime.pjrt.distributed.Jobs.OWN_THREAD;
import static io.hlo4j.runtime.pjrt.distributed.Jobs.freeAddress;
import static io.hlo4j.runtime.pjrt.distributed.Jobs.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How a job ends: the coordinator answers the put that woke the process closing it, process 0 does not wait again for a
 * process already named missing or failed, the job's timeout bounds every get, and deleted keys leave the store.
 */
class JobEndingTest {
    /**
     * The race of a job's last step: process 1's put of its 'closed' key wakes process 0, which closes the coordinator at
     * once. The put is answered all the same (before, the reply could be cut and process 1 exit 1 after a good run).
     */
    @Test
    void theLastProcessToCloseIsAnsweredEveryTime() throws Exception {
        for (int round = 0; round < 25; round++) {
            List<DistributedProcess> ps = join(freeAddress(), 2, Duration.ofSeconds(30));
            CompletableFuture<Void> zero = CompletableFuture.runAsync(ps.get(0)::close, OWN_THREAD);
            ps.get(1).close();   // throws if the coordinator cut the reply
            zero.get(30, TimeUnit.SECONDS);
        }
    }

    /** The same race on the bare coordinator: a put whose value ends a get, the get's owner closing the coordinator at once. */
    @Test
    void aPutThatWakesTheCloserIsStillAnswered() throws Exception {
        for (int round = 0; round < 50; round++) {
            KeyValueCoordinator c = KeyValueCoordinator.start(0);
            TcpKeyValueStore closer = new TcpKeyValueStore(c.address(), Duration.ofSeconds(10));
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                closer.get("done", Duration.ofSeconds(20));
                c.close();
            }, OWN_THREAD);
            Thread.sleep(5);
            new TcpKeyValueStore(c.address(), Duration.ofSeconds(10)).put("done", new byte[] {1});
            waiting.get(30, TimeUnit.SECONDS);
        }
    }

    /** Close stops accepting, answers a waiting get CANCELLED, and leaves no connection open. */
    @Test
    void closeAnswersAWaitingGetCancelled() throws Exception {
        KeyValueCoordinator c = KeyValueCoordinator.start(0);
        try (Socket s = new Socket("localhost", c.port())) {
            s.setSoTimeout(10_000);
            Jobs.sendGet(s, "never", 60_000);
            Thread.sleep(300);
            c.close();
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat(in.readByte()).isEqualTo(KeyValueCoordinator.ERROR);
            assertThat(PjrtErrorCode.of(in.readInt())).isEqualTo(PjrtErrorCode.CANCELLED);
            assertThat(in.readUTF()).isEqualTo("key-value get of 'never' from coordinator localhost:" + c.port() + " was interrupted");
        }
    }

    /**
     * Process 0's join runs out (process 2 never comes) while process 1, started later with a longer timeout, still
     * waits: process 0's coordinator stops under it, so process 1 must end at once naming process 2 and process 0's
     * failure, not "interrupted" and not after its own, longer timeout.
     */
    @Test
    void aLaterProcessLearnsWhyProcessZerosJoinEnded() throws Exception {
        String address = freeAddress();
        CompletableFuture<DistributedProcess> zero =
                CompletableFuture.supplyAsync(() -> DistributedProcess.initialize(address, 3, 0, Duration.ofMillis(1500)), OWN_THREAD);
        Thread.sleep(1000);
        long start = System.nanoTime();
        RuntimeException one = catchThrowableOfType(RuntimeException.class,
                () -> DistributedProcess.initialize(address, 3, 1, Duration.ofSeconds(20)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(one).as("process 1's join").isNotNull();
        assertThat(one.getMessage()).contains("process 0").contains("process 2").doesNotContain("interrupted");
        assertThat(ms).as("ms process 1 waited (its own timeout is 20 s)").isLessThan(10_000);
        assertThat(catchThrowableOfType(Exception.class, () -> zero.get(30, TimeUnit.SECONDS))).isNotNull();
    }

    /**
     * A close called from a thread whose interrupt flag is already set (a cancelled task) still ends the waiting get with
     * CANCELLED instead of cutting its connection, and hands the flag back set.
     */
    @Test
    void aCloseFromAnInterruptedThreadStillAnswersTheWaitingGet() throws Exception {
        KeyValueCoordinator c = KeyValueCoordinator.start(0);
        try (Socket s = new Socket("localhost", c.port())) {
            s.setSoTimeout(10_000);
            Jobs.sendGet(s, "never", 60_000);
            Thread.sleep(300);
            boolean flagAfter = CompletableFuture.supplyAsync(() -> {
                Thread.currentThread().interrupt();
                c.close();
                return Thread.currentThread().isInterrupted();
            }, OWN_THREAD).get(30, TimeUnit.SECONDS);
            assertThat(flagAfter).as("the caller's interrupt flag after close").isTrue();
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat(in.readByte()).isEqualTo(KeyValueCoordinator.ERROR);
            assertThat(PjrtErrorCode.of(in.readInt())).isEqualTo(PjrtErrorCode.CANCELLED);
        }
    }

    /**
     * Process 1 dies without a word after joining: process 0's exchange runs out once, naming it, and process 0's close
     * then does not wait a second timeout for it.
     */
    @Test
    void aProcessNamedMissingIsNotWaitedForAgainAtClose() throws Exception {
        List<DistributedProcess> ps = join(freeAddress(), 2, Duration.ofMillis(2500));
        DistributedProcess zero = ps.get(0);
        HostArray block = HostArray.fromFloats(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, new long[] {1}), new float[] {1});
        KeyValueException e = catchThrowableOfType(KeyValueException.class, () ->
                BlockExchange.allGather(zero.store(), "hlo4j/call/0/", Map.of(0, List.of(block)), 2, Duration.ofMillis(2500), Map.of(0, 0, 1, 1)));
        assertThat(e.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
        assertThat(e.missing()).containsExactly(1);
        assertThat(e.getMessage()).startsWith("no result blocks for partition [1] (process 1) under 'hlo4j/call/0/'");
        zero.fail("process 0: " + e.getMessage(), e.missing());
        long t0 = System.nanoTime();
        zero.close();   // nothing to wait for: the one other process was named missing
        assertThat((System.nanoTime() - t0) / 1e9).as("not a second 2.5 s timeout").isLessThan(2.0);
    }

    /** A process that said it failed ends process 0's wait at close at once: its failure was already told. */
    @Test
    void aProcessThatFailedIsNotWaitedForAtClose() throws Exception {
        List<DistributedProcess> ps = join(freeAddress(), 3, Duration.ofSeconds(20));
        ps.get(2).fail("process 2: out of memory");
        CompletableFuture<Void> one = CompletableFuture.runAsync(ps.get(1)::close, OWN_THREAD);
        long t0 = System.nanoTime();
        ps.get(0).close();
        assertThat((System.nanoTime() - t0) / 1e9).as("not the 20 s timeout").isLessThan(8);
        one.get(30, TimeUnit.SECONDS);
        ps.get(2).close();   // after process 0 stopped the coordinator: its end is best effort (the CI flake of 2026-11-29)
    }

    /**
     * The job's timeout bounds every get of its store, the plugin's too (which may ask for minutes, or for no bound at
     * all): the timeout names the key, the coordinator and the process.
     */
    @Test
    void theJobsTimeoutBoundsEveryGetOfItsStore() throws Exception {
        String address = freeAddress();
        List<DistributedProcess> ps = join(address, 2, Duration.ofMillis(1200));
        try {
            long t0 = System.nanoTime();
            KeyValueException e = catchThrowableOfType(KeyValueException.class, () -> ps.get(1).store().get("mock:topology/0", Duration.ofMinutes(5)));
            double s = (System.nanoTime() - t0) / 1e9;
            assertThat(s).as("the job's 1.2 s, not 5 min").isBetween(1.1, 6.0);
            assertThat(e.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
            assertThat(e.getMessage()).isEqualTo("key-value get of 'mock:topology/0' from coordinator " + address + " (this is process 1 of 2)"
                    + " timed out after 1200 ms: no process has put it (is every process of the job started, with the same coordinator?)");
        } finally {
            CompletableFuture<Void> one = CompletableFuture.runAsync(ps.get(1)::close, OWN_THREAD);
            ps.get(0).close();
            one.get(30, TimeUnit.SECONDS);
        }
    }

    /** deletePrefix removes exactly the keys under the prefix, through the coordinator and in-process. */
    @Test
    void deletingAPrefixRemovesItsKeysOnly() throws Exception {
        try (KeyValueCoordinator c = KeyValueCoordinator.start(0)) {
            TcpKeyValueStore kv = new TcpKeyValueStore(c.address(), Duration.ofSeconds(5));
            for (String k : List.of("hlo4j/call/1/0", "hlo4j/call/1/0/0", "hlo4j/call/10/0", "hlo4j/call/2/0")) kv.put(k, new byte[] {1});
            assertThat(c.size()).isEqualTo(4);
            kv.deletePrefix("hlo4j/call/1/");
            assertThat(c.size()).isEqualTo(2);
            assertThat(kv.tryGet("hlo4j/call/1/0")).isEmpty();
            assertThat(kv.tryGet("hlo4j/call/10/0")).as("call 10 is not under call 1/").isPresent();
            kv.deletePrefix("nothing/");   // no key: a no-op
            assertThat(c.size()).isEqualTo(2);
            kv.put("hlo4j/call/1/0", new byte[] {2});   // a deleted key may be set anew
            assertThat(kv.tryGet("hlo4j/call/1/0").orElseThrow()).containsExactly(2);
        }
        InProcessKeyValueStore local = new InProcessKeyValueStore();
        local.put("a/1", new byte[0]);
        local.put("b/1", new byte[0]);
        new PrefixedKeyValueStore("a/", local).deletePrefix("");
        assertThat(local.size()).isEqualTo(1);
        assertThat(local.tryGet("b/1")).isPresent();
    }
}
