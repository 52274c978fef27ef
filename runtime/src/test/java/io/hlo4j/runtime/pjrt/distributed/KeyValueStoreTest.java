package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The stores a multi-process client exchanges its topology through: in-process, TCP, and a job's processes joining. */
class KeyValueStoreTest {
    private static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    private static String s(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    @Test
    void inProcessGetWaitsForAPutAndTimesOutNamingKeyStoreAndTimeout() throws Exception {
        InProcessKeyValueStore kv = new InProcessKeyValueStore();
        assertThat(kv.tryGet("a")).isEmpty();
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> kv.get("a", Duration.ofSeconds(10)));
        Thread.sleep(50);
        kv.put("a", b("one"));
        assertThat(s(waiting.get(10, TimeUnit.SECONDS))).isEqualTo("one");
        assertThat(s(kv.tryGet("a").orElseThrow())).isEqualTo("one");
        kv.put("a", b("one"));   // the same value again: a no-op
        KeyValueException twice = catchThrowableOfType(KeyValueException.class, () -> kv.put("a", b("two")));
        assertThat(twice.code()).isEqualTo(PjrtErrorCode.ALREADY_EXISTS);
        assertThat(twice.getMessage()).contains("key-value put of 'a' to in-process store").contains("already set to 3 other bytes");
        long t0 = System.nanoTime();
        KeyValueException late = catchThrowableOfType(KeyValueException.class, () -> kv.get("b", Duration.ofMillis(120)));
        assertThat((System.nanoTime() - t0) / 1e6).isGreaterThanOrEqualTo(119);
        assertThat(late.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
        assertThat(late.getMessage()).startsWith("key-value get of 'b' from in-process store timed out after 120 ms");
    }

    @Test
    void tcpStoresShareTheCoordinatorsValues() throws Exception {
        try (KeyValueCoordinator c = KeyValueCoordinator.start(0)) {
            TcpKeyValueStore one = new TcpKeyValueStore(c.address(), Duration.ofSeconds(5));
            TcpKeyValueStore two = new TcpKeyValueStore("127.0.0.1:" + c.port(), Duration.ofSeconds(5));
            assertThat(one.describe()).isEqualTo("coordinator localhost:" + c.port());
            assertThat(two.tryGet("k")).isEmpty();
            CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> two.get("k", Duration.ofSeconds(10)));
            Thread.sleep(50);
            byte[] big = new byte[100_000];
            for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 7);
            one.put("k", big);
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(big);
            assertThat(two.tryGet("k").orElseThrow()).isEqualTo(big);
            one.put("empty", new byte[0]);
            assertThat(two.get("empty", Duration.ofSeconds(1))).isEmpty();
            KeyValueException twice = catchThrowableOfType(KeyValueException.class, () -> two.put("k", b("other")));
            assertThat(twice.code()).isEqualTo(PjrtErrorCode.ALREADY_EXISTS);
            assertThat(twice.getMessage()).contains("key-value put of 'k' to coordinator localhost:" + c.port());
            KeyValueException late = catchThrowableOfType(KeyValueException.class, () -> one.get("nobody", Duration.ofMillis(100)));
            assertThat(late.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
            assertThat(late.getMessage()).isEqualTo("key-value get of 'nobody' from coordinator localhost:" + c.port() + " timed out after 100 ms:"
                    + " no process has put it (is every process of the job started, with the same coordinator?)");
        }
    }

    @Test
    void aCoordinatorThatIsNotThereIsUnavailableWithinTheConnectTimeout() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        TcpKeyValueStore kv = new TcpKeyValueStore("localhost:" + port, Duration.ofMillis(200));
        long t0 = System.nanoTime();
        KeyValueException e = catchThrowableOfType(KeyValueException.class, () -> kv.put("x", b("1")));
        assertThat((System.nanoTime() - t0) / 1e6).isLessThan(5000);
        assertThat(e.code()).isEqualTo(PjrtErrorCode.UNAVAILABLE);
        assertThat(e.getMessage()).startsWith("key-value put of 'x' to coordinator localhost:" + port + " failed: cannot connect within 200 ms");
        assertThatThrownBy(() -> new TcpKeyValueStore("nohost", Duration.ofSeconds(1))).hasMessage("coordinator address 'nohost' is not HOST:PORT (a port from 1 to 65535)");
        assertThatThrownBy(() -> new TcpKeyValueStore("h:x1", Duration.ofSeconds(1))).hasMessage("coordinator address 'h:x1' is not HOST:PORT: port 'x1' is not a number");
        assertThatThrownBy(() -> new TcpKeyValueStore("h:70000", Duration.ofSeconds(1))).hasMessage("coordinator address 'h:70000' is not HOST:PORT: port 70000 is not in [1, 65535]");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void threeProcessesJoinInAnyOrderAndClose() throws Exception {
        String address = "localhost:" + freePort();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<DistributedProcess>> joined = new ArrayList<>();
            for (int p : new int[] {2, 1, 0}) {   // process 0, the coordinator's host, last: the others retry until it listens
                joined.add(pool.submit(() -> DistributedProcess.initialize(address, 3, p, Duration.ofSeconds(20))));
                Thread.sleep(30);
            }
            List<DistributedProcess> ps = new ArrayList<>();
            for (Future<DistributedProcess> f : joined) ps.add(f.get(30, TimeUnit.SECONDS));
            assertThat(ps).extracting(DistributedProcess::processId).containsExactly(2, 1, 0);
            assertThat(ps.get(1).clientOptions()).containsEntry("node_id", 1L).containsEntry("num_nodes", 3L);
            ps.get(0).store().put("shared", b("from 2"));
            assertThat(s(ps.get(2).store().get("shared", Duration.ofSeconds(5)))).isEqualTo("from 2");
            List<Future<?>> closing = new ArrayList<>();
            for (DistributedProcess p : ps) closing.add(pool.submit(p::close));
            for (Future<?> f : closing) f.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aProcessThatNeverJoinsIsNamedAndInconsistentJobsAreRefused() throws Exception {
        String address = "localhost:" + freePort();
        KeyValueException alone = catchThrowableOfType(KeyValueException.class,
                () -> DistributedProcess.initialize(address, 2, 0, Duration.ofMillis(300)));
        assertThat(alone.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
        assertThat(alone.getMessage()).startsWith("process 0 of 2: process 1 did not join through coordinator " + address + " within 300 ms");
        assertThatThrownBy(() -> DistributedProcess.initialize(address, 2, 2, Duration.ofSeconds(1))).hasMessage("process id 2 is not in [0, 2)");
        assertThatThrownBy(() -> DistributedProcess.initialize(address, 0, 0, Duration.ofSeconds(1))).hasMessage("number of processes 0 < 1");

        // Process 1 told there are 3 processes, process 0 told 2: both refuse, naming the counts.
        String other = "localhost:" + freePort();
        CompletableFuture<DistributedProcess> zero = CompletableFuture.supplyAsync(() -> DistributedProcess.initialize(other, 2, 0, Duration.ofSeconds(3)));
        KeyValueException mismatch = catchThrowableOfType(KeyValueException.class, () -> DistributedProcess.initialize(other, 3, 1, Duration.ofMillis(1500)));
        assertThat(mismatch.getMessage()).satisfiesAnyOf(
                m -> assertThat(m).contains("process 0 joined coordinator " + other + " with processes=2, this process (1) with processes=3"),
                m -> assertThat(m).contains("process 2 did not join"));
        Throwable zeroFailed = catchThrowableOfType(java.util.concurrent.ExecutionException.class, () -> zero.get(10, TimeUnit.SECONDS)).getCause();
        assertThat(zeroFailed).hasMessageContaining("process 1 joined coordinator " + other + " with processes=3, this process (0) with processes=2");

        // Two processes claiming id 1: the second's announcement is refused.
        String third = "localhost:" + freePort();
        CompletableFuture<DistributedProcess> host = CompletableFuture.supplyAsync(() -> DistributedProcess.initialize(third, 2, 0, Duration.ofSeconds(5)));
        DistributedProcess first = DistributedProcess.initialize(third, 2, 1, Duration.ofSeconds(5));
        KeyValueException dup = catchThrowableOfType(KeyValueException.class, () -> DistributedProcess.initialize(third, 2, 1, Duration.ofSeconds(5)));
        assertThat(dup.code()).isEqualTo(PjrtErrorCode.ALREADY_EXISTS);
        assertThat(dup.getMessage()).contains("key-value put of 'hlo4j/process/1'").contains("a second process with the same id?");
        DistributedProcess h = host.get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(h::close);
        first.close();
        closing.get(10, TimeUnit.SECONDS);
    }
}
