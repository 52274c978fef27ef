package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.hlo4j.runtime.pjrt.distributed.Jobs.OWN_THREAD;
import static io.hlo4j.runtime.pjrt.distributed.Jobs.freeAddress;
import static io.hlo4j.runtime.pjrt.distributed.Jobs.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A job whose processes fail or vanish after joining: the others hear of it by name, and nothing waits a timeout per step. */
class JobFailureTest {
    @Test
    void aProcessThatFailsEndsTheOthersWaitsNamingItself() throws Exception {
        String address = freeAddress();
        List<DistributedProcess> ps = join(address, 2, Duration.ofSeconds(60));
        try {
            CompletableFuture<KeyValueException> waiting = CompletableFuture.supplyAsync(() ->
                    catchThrowableOfType(KeyValueException.class, () -> ps.get(0).store().get("hlo4j/run/results/1", Duration.ofSeconds(60))), OWN_THREAD);
            Thread.sleep(300);
            long t0 = System.nanoTime();
            ps.get(1).fail("process 1: PJRT_Client_Compile failed with INTERNAL: out of memory");
            KeyValueException e = waiting.get(20, TimeUnit.SECONDS);
            assertThat((System.nanoTime() - t0) / 1e9).as("within a slice, not the 60 s timeout").isLessThan(5);
            assertThat(e.code()).isEqualTo(PjrtErrorCode.ABORTED);
            assertThat(e.getMessage()).isEqualTo("process 1 of the job failed, so 'hlo4j/run/results/1' will not come (this is process 0):"
                    + " process 1: PJRT_Client_Compile failed with INTERNAL: out of memory");
            // a process's own failure does not stop its own waits; a key that is there is still read
            ps.get(1).store().put("k", new byte[] {7});
            assertThat(ps.get(1).store().get("k", Duration.ofSeconds(1))).containsExactly(7);
        } finally {
            ps.get(1).close();
            ps.get(0).close();
        }
    }

    @Test
    void processZerosCloseWaitsForTheOthersWithinOneTimeoutNotOneEach() throws Exception {
        String address = freeAddress();
        List<DistributedProcess> ps = join(address, 4, Duration.ofMillis(1500));
        long t0 = System.nanoTime();
        KeyValueException e = catchThrowableOfType(KeyValueException.class, () -> ps.get(0).close());   // 1, 2, 3 never close
        double s = (System.nanoTime() - t0) / 1e9;
        assertThat(e.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
        assertThat(s).as("one 1.5 s deadline for the three, not 4.5 s").isLessThan(3.5);
        for (int i = 1; i < 4; i++) {   // the coordinator is gone: each fails at once instead of retrying for the timeout
            DistributedProcess p = ps.get(i);
            long t1 = System.nanoTime();
            KeyValueException gone = catchThrowableOfType(KeyValueException.class, p::close);
            assertThat(gone.code()).isEqualTo(PjrtErrorCode.UNAVAILABLE);
            assertThat((System.nanoTime() - t1) / 1e9).isLessThan(1.4);
        }
    }

    @Test
    void aForeignValueUnderAProcesssKeyIsRefusedByName() throws Exception {
        String address = freeAddress();
        CompletableFuture<KeyValueException> zero = CompletableFuture.supplyAsync(() ->
                catchThrowableOfType(KeyValueException.class, () -> DistributedProcess.initialize(address, 2, 0, Duration.ofSeconds(20))), OWN_THREAD);
        TcpKeyValueStore other = new TcpKeyValueStore(address, Duration.ofSeconds(20));   // retries until process 0 listens
        other.put("hlo4j/process/1", "hello".getBytes(StandardCharsets.UTF_8));
        KeyValueException e = zero.get(30, TimeUnit.SECONDS);
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(PjrtErrorCode.FAILED_PRECONDITION);
        assertThat(e.getMessage()).isEqualTo("process 1's key 'hlo4j/process/1' in coordinator " + address
                + " holds 'hello', not an hlo4j process's announcement (another program on the coordinator's port?)");
    }

    /** The coordinator's threads, once they have ended (a closed coordinator's request threads end within moments). */
    private static List<String> kvThreadsAfterASecond() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<String> alive;
        do {
            alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                    .filter(n -> n.startsWith("hlo4j-kv")).toList();
            if (alive.isEmpty()) return alive;
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return alive;
    }

    /** Process 0 started alone: it fails by name (the missing process, the coordinator) within its timeout, and leaves no thread or port behind. */
    @Test
    void aProcessStartedAloneFailsByNameWithinTheTimeoutAndLeavesNoThread() throws Exception {
        String address = freeAddress();
        assertThat(kvThreadsAfterASecond()).as("no coordinator before").isEmpty();
        long t0 = System.nanoTime();
        KeyValueException e = catchThrowableOfType(KeyValueException.class, () -> DistributedProcess.initialize(address, 2, 0, Duration.ofMillis(1500)));
        double s = (System.nanoTime() - t0) / 1e9;
        assertThat(e.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
        assertThat(e.getMessage()).isEqualTo("process 0 of 2: process 1 did not join through coordinator " + address
                + " within 1500 ms (is every process of the job started, with the same coordinator?)");
        assertThat(s).as("the 1.5 s timeout, not more").isBetween(1.4, 4.0);
        assertThat(kvThreadsAfterASecond()).isEmpty();
        try (ServerSocket again = new ServerSocket(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)))) {
            assertThat(again.isBound()).as("the coordinator's port is free again").isTrue();
        }
        // Process 1 alone: no coordinator ever listens; it names process 0's coordinator within its timeout.
        t0 = System.nanoTime();
        KeyValueException lone = catchThrowableOfType(KeyValueException.class, () -> DistributedProcess.initialize(address, 2, 1, Duration.ofMillis(1500)));
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(4.0);
        assertThat(lone.code()).isEqualTo(PjrtErrorCode.UNAVAILABLE);
        assertThat(lone.getMessage()).startsWith("process 1 of 2: cannot reach coordinator " + address + ", which process 0 hosts, within 1500 ms"
                + " (is process 0 started, with the same coordinator?): key-value put of 'hlo4j/process/1' to coordinator " + address
                + " failed: cannot connect within 1500 ms");
        assertThat(kvThreadsAfterASecond()).isEmpty();
    }

    /** Four processes, two never start: both that came name the missing two, once, within one timeout (not one per missing process). */
    @Test
    void everyMissingProcessIsNamedWithinOneTimeout() throws Exception {
        String address = freeAddress();
        long t0 = System.nanoTime();
        List<CompletableFuture<KeyValueException>> fs = new ArrayList<>();
        for (int id : new int[] {0, 1})
            fs.add(CompletableFuture.supplyAsync(() -> catchThrowableOfType(KeyValueException.class,
                    () -> DistributedProcess.initialize(address, 4, id, Duration.ofMillis(1500))), OWN_THREAD));
        KeyValueException zero = fs.get(0).get(30, TimeUnit.SECONDS), one = fs.get(1).get(30, TimeUnit.SECONDS);
        assertThat(zero.getMessage()).isEqualTo("process 0 of 4: processes [2, 3] did not join through coordinator " + address
                + " within 1500 ms (is every process of the job started, with the same coordinator?)");
        // process 1 names them too, or (when process 0 gave up first and closed the coordinator) the coordinator
        assertThat(one).isNotNull();
        assertThat(one.getMessage()).contains("coordinator " + address);
        assertThat((System.nanoTime() - t0) / 1e9).as("one 1.5 s deadline, not one per missing process").isLessThan(4.5);
        assertThat(kvThreadsAfterASecond()).isEmpty();
    }
}
