package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.distributed.InProcessKeyValueStore;
import io.hlo4j.runtime.pjrt.distributed.KeyValueCoordinator;
import io.hlo4j.runtime.pjrt.distributed.KeyValueStore;
import io.hlo4j.runtime.pjrt.distributed.TcpKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Clients of a multi-process job on the mock (create options num_nodes, node_id): the topology exchanged through the
 * key-value callbacks at create, global and addressable devices, process indices, and every failure of the store
 * coming back as the create's error with the store's code and message; no mock object and no key-value value leaks.
 */
class MultiProcessClientTest extends MockPluginTest {
    /** A thread of its own per task: the common pool may have one thread on a small machine, and these tasks wait on each other. */
    private static final java.util.concurrent.Executor OWN_THREAD = r -> Thread.ofPlatform().daemon().start(r);

    private static Map<String, Object> job(int node, int nodes, long extraTimeoutMs) {
        return extraTimeoutMs > 0 ? Map.of("num_devices", 2L, "num_nodes", (long) nodes, "node_id", (long) node, "mock_kv_timeout_ms", extraTimeoutMs)
                : Map.of("num_devices", 2L, "num_nodes", (long) nodes, "node_id", (long) node);
    }

    /** A store that counts what the plugin asks of it. */
    private record Counting(KeyValueStore inner, AtomicInteger puts, AtomicInteger gets, AtomicInteger tryGets) implements KeyValueStore {
        Counting(KeyValueStore inner) { this(inner, new AtomicInteger(), new AtomicInteger(), new AtomicInteger()); }

        @Override public void put(String key, byte[] value) { puts.incrementAndGet(); inner.put(key, value); }

        @Override public byte[] get(String key, Duration timeout) { gets.incrementAndGet(); return inner.get(key, timeout); }

        @Override public Optional<byte[]> tryGet(String key) { tryGets.incrementAndGet(); return inner.tryGet(key); }

        @Override public String describe() { return inner.describe(); }
    }

    @Test
    void twoProcessesAgreeOnTheTopologyThroughTheTcpStore() throws Exception {
        long tryGetsBefore = mock.createsWithTryGet();
        try (KeyValueCoordinator coordinator = KeyValueCoordinator.start(0)) {
            Counting kv0 = new Counting(new TcpKeyValueStore(coordinator.address(), Duration.ofSeconds(10)));
            Counting kv1 = new Counting(new TcpKeyValueStore(coordinator.address(), Duration.ofSeconds(10)));
            CompletableFuture<PjrtClient> p1 = CompletableFuture.supplyAsync(() -> plugin().createClient(job(1, 2, 0), kv1));
            try (PjrtClient c0 = plugin().createClient(job(0, 2, 0), kv0); PjrtClient c1 = p1.get(30, TimeUnit.SECONDS)) {
                assertThat(KvCallbacks.registeredStores()).isGreaterThanOrEqualTo(2);
                for (PjrtClient c : List.of(c0, c1)) {
                    assertThat(c.devices()).extracting(PjrtDevice::id).containsExactly(100, 101, 102, 103);
                    assertThat(c.devices()).extracting(PjrtDevice::processIndex).containsExactly(0, 0, 1, 1);
                }
                assertThat(c0.processIndex()).isZero();
                assertThat(c1.processIndex()).isEqualTo(1);
                assertThat(c0.addressableDevices()).extracting(PjrtDevice::id).containsExactly(100, 101);
                assertThat(c1.addressableDevices()).extracting(PjrtDevice::id).containsExactly(102, 103);
                assertThat(c0.devices()).extracting(PjrtDevice::addressable).containsExactly(true, true, false, false);
                assertThat(c1.devices()).extracting(PjrtDevice::addressable).containsExactly(false, false, true, true);
                // Each put its topology once and read the other's (try_get first; the blocking get when not there yet).
                for (Counting kv : List.of(kv0, kv1)) {
                    assertThat(kv.puts()).hasValue(1);
                    assertThat(kv.tryGets().get() + kv.gets().get()).isBetween(1, 2);
                }
                assertThat(kv0.inner().tryGet("mock:mock/topology/1").map(String::new)).as("the plugin's key, under its platform's prefix").contains("nodes=2 devices=2 ids=102,103");
                assertThat(KvCallbacks.outstandingValues()).as("every value handed to the plugin freed through its deleter").isZero();
                // A process puts data only on its own devices, refused by name before the plugin sees it.
                PjrtDevice remote = c0.devices().get(2);
                assertThatThrownBy(() -> c0.toDevice(HostData.ofFloats(new long[] {1}, 1), remote))
                        .hasMessage("PJRT_Client_BufferFromHostBuffer: device 102 belongs to process 1, not to this process (0);"
                                + " a process puts data only on its addressable devices [100, 101]");
            }
        }
        assertThat(mock.createsWithTryGet() - tryGetsBefore).as("both creates got kv_try_get_callback (plugin 0.95 >= 0.61)").isEqualTo(2);
        assertThat(KvCallbacks.outstandingValues()).isZero();
    }

    @Test
    void aPluginOlderThanTryGetGetsNoTryGetCallback() throws Exception {
        mock.version(0, 60);
        long before = mock.createsWithTryGet();
        Counting kv = new Counting(new InProcessKeyValueStore());
        CompletableFuture<PjrtClient> p1 = CompletableFuture.supplyAsync(() -> plugin().createClient(job(1, 2, 0), kv));
        try (PjrtClient c0 = plugin().createClient(job(0, 2, 0), kv); PjrtClient c1 = p1.get(30, TimeUnit.SECONDS)) {
            assertThat(c1.addressableDevices()).extracting(PjrtDevice::id).containsExactly(102, 103);
        }
        assertThat(mock.createsWithTryGet()).isEqualTo(before);
        assertThat(kv.tryGets()).hasValue(0);
        assertThat(kv.gets()).hasValue(2);
    }

    @Test
    void aGetThatTimesOutFailsTheCreateNamingTheKeyTheCoordinatorAndTheTimeout() {
        try (KeyValueCoordinator coordinator = KeyValueCoordinator.start(0)) {
            KeyValueStore kv = new TcpKeyValueStore(coordinator.address(), Duration.ofSeconds(5));
            int stores = KvCallbacks.registeredStores();
            PjrtException e = catchThrowableOfType(PjrtException.class, () -> plugin().createClient(job(0, 2, 200), kv));
            assertThat(e.call()).isEqualTo("PJRT_Client_Create");
            assertThat(e.code()).isEqualTo(PjrtErrorCode.DEADLINE_EXCEEDED);
            assertThat(e.pluginMessage()).isEqualTo("key-value get of 'mock:mock/topology/1' from coordinator localhost:" + coordinator.port()
                    + " timed out after 200 ms: no process has put it (is every process of the job started, with the same coordinator?)");
            assertThat(KvCallbacks.registeredStores()).as("a failed create drops its store").isEqualTo(stores);
        }
    }

    @Test
    void aPutThatFailsFailsTheCreateWithTheStoresError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        KeyValueStore gone = new TcpKeyValueStore("localhost:" + port, Duration.ofMillis(150));
        PjrtException e = catchThrowableOfType(PjrtException.class, () -> plugin().createClient(job(1, 2, 0), gone));
        assertThat(e.code()).isEqualTo(PjrtErrorCode.UNAVAILABLE);
        assertThat(e.getMessage()).startsWith("PJRT_Client_Create failed with UNAVAILABLE: key-value put of 'mock:mock/topology/1' to coordinator localhost:"
                + port + " failed: cannot connect within 150 ms");
        // A store that throws something else: INTERNAL, naming the callback.
        KeyValueStore broken = new KeyValueStore() {
            @Override public void put(String key, byte[] value) { throw new IllegalStateException("disk full"); }
            @Override public byte[] get(String key, Duration timeout) { throw new AssertionError(); }
            @Override public Optional<byte[]> tryGet(String key) { throw new AssertionError(); }
            @Override public String describe() { return "broken store"; }
        };
        PjrtException internal = catchThrowableOfType(PjrtException.class, () -> plugin().createClient(job(0, 2, 0), broken));
        assertThat(internal.code()).isEqualTo(PjrtErrorCode.INTERNAL);
        assertThat(internal.pluginMessage()).isEqualTo("kv_put_callback failed: java.lang.IllegalStateException: disk full");
    }

    @Test
    void aMultiProcessClientNeedsAStoreAndProcessesMustAgree() throws Exception {
        assertThatThrownBy(() -> plugin().createClient(job(0, 2, 0)))
                .hasMessageContaining("num_nodes=2 needs the key-value callbacks kv_get_callback and kv_put_callback to exchange the topology");
        assertThatThrownBy(() -> plugin().createClient(Map.of("num_nodes", 2L, "node_id", 2L), new InProcessKeyValueStore()))
                .hasMessageContaining("option node_id=2 is not in [0, num_nodes=2)");
        // Process 1 with one device, process 0 with two: each refuses the other's description.
        InProcessKeyValueStore kv = new InProcessKeyValueStore();
        CompletableFuture<PjrtClient> p1 = CompletableFuture.supplyAsync(() -> plugin().createClient(
                Map.of("num_devices", 1L, "num_nodes", 2L, "node_id", 1L), kv));
        PjrtException e0 = catchThrowableOfType(PjrtException.class, () -> plugin().createClient(job(0, 2, 0), kv));
        assertThat(e0.code()).isEqualTo(PjrtErrorCode.FAILED_PRECONDITION);
        assertThat(e0.pluginMessage()).isEqualTo("PJRT_Client_Create: process 1 describes its devices as 'nodes=2 devices=1 ids=101',"
                + " but this process (0) expects 'nodes=2 devices=2 ids=102,103'");
        Throwable e1 = catchThrowableOfType(ExecutionException.class, () -> p1.get(30, TimeUnit.SECONDS)).getCause();
        assertThat(e1).hasMessageContaining("process 0 describes its devices as 'nodes=2 devices=2 ids=100,101', but this process (1) expects");
        assertThat(KvCallbacks.outstandingValues()).isZero();
    }

    /**
     * Two plugins' jobs on one store (as JAX, each plugin sees it under {@code platform + ":"}): the same topology key of
     * each, with different values, would otherwise collide (ALREADY_EXISTS) or be read by the other.
     */
    @Test
    void clientsOfTwoPlatformsOnOneStoreKeepApart(@TempDir Path dir) throws Exception {
        Path other = Files.copy(MockPjrt.path(), dir.resolve("libpjrt_other.so"));
        PjrtPlugin otherPlugin = PjrtPlugin.load(other);
        assertThat(plugin().platformName()).isEqualTo("mock");
        assertThat(otherPlugin.platformName()).isEqualTo("other");
        assertThat(PjrtPlugin.platformName("xla_cuda_plugin.so")).isEqualTo("cuda");
        assertThat(PjrtPlugin.platformName("pjrt_c_api_gpu_plugin.so")).isEqualTo("gpu");
        assertThat(PjrtPlugin.platformName("libtpu.so")).isEqualTo("tpu");
        InProcessKeyValueStore kv = new InProcessKeyValueStore();
        Map<String, Object> wide = Map.of("num_devices", 3L, "num_nodes", 2L, "node_id", 1L);   // "devices=3": another value than the mock job's
        CompletableFuture<PjrtClient> m1 = CompletableFuture.supplyAsync(() -> plugin().createClient(job(1, 2, 0), kv), OWN_THREAD);
        CompletableFuture<PjrtClient> o1 = CompletableFuture.supplyAsync(() -> otherPlugin.createClient(wide, kv), OWN_THREAD);
        try (PjrtClient m0 = plugin().createClient(job(0, 2, 0), kv);
             PjrtClient o0 = otherPlugin.createClient(Map.of("num_devices", 3L, "num_nodes", 2L, "node_id", 0L), kv);
             PjrtClient c1 = m1.get(30, TimeUnit.SECONDS); PjrtClient d1 = o1.get(30, TimeUnit.SECONDS)) {
            assertThat(m0.devices()).hasSize(4);
            assertThat(o0.devices()).hasSize(6);
            assertThat(kv.tryGet("mock:mock/topology/0").map(String::new)).contains("nodes=2 devices=2 ids=100,101");
            assertThat(kv.tryGet("other:mock/topology/0").map(String::new)).contains("nodes=2 devices=3 ids=100,101,102");
            assertThat(kv.tryGet("mock/topology/0")).isEmpty();
        }
        assertThat(KvCallbacks.outstandingValues()).isZero();
    }
}
