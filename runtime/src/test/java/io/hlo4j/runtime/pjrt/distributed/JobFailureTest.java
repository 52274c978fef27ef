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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A job whose processes fail or vanish after joining: the others hear of it by name, and nothing waits a timeout per step. */
class JobFailureTest {
    /** A thread of its own per task: the common pool may have one thread on a small machine, and these tasks wait on each other. */
    private static final java.util.concurrent.Executor OWN_THREAD = r -> Thread.ofPlatform().daemon().start(r);

    private static String freeAddress() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "localhost:" + s.getLocalPort();
        }
    }

    /** {@code n} processes joined in threads, process 0 first in the list. */
    private static List<DistributedProcess> join(String address, int n, Duration timeout) throws Exception {
        List<CompletableFuture<DistributedProcess>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            fs.add(CompletableFuture.supplyAsync(() -> DistributedProcess.initialize(address, n, id, timeout), OWN_THREAD));
        }
        List<DistributedProcess> ps = new ArrayList<>();
        for (CompletableFuture<DistributedProcess> f : fs) ps.add(f.get(30, TimeUnit.SECONDS));
        return ps;
    }

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
}
