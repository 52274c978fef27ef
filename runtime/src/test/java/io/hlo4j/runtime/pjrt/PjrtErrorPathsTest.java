package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.hlo4j.runtime.pjrt.PjrtBindingTest.ADD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The error paths PjrtBindingTest's flow does not reach: destroy calls of events and clients, the
 * executable queries, a failing PJRT_Error_GetCode, an empty function-table slot, errors that arrive
 * through (pending) events, and devices or buffers of the wrong client. Each checks code, call and
 * message, and that the mock's live objects are back where they started.
 */
class PjrtErrorPathsTest extends MockPluginTest {
    /** Indices into {@link MockPjrt#KINDS}. */
    private static final int K_ERRORS = 0, K_EVENTS = 1, K_CLIENTS = 2, K_LOADED = 3, K_EXECUTABLES = 4, K_BUFFERS = 5;

    private static HostData floats(float... v) { return HostData.ofFloats(new long[] {v.length}, v); }

    // ---- destroy calls

    @Test
    void aFailedEventDestroyIsReportedAndTheBufferItGuardedIsClosed() {
        mock.fail("PJRT_Event_Destroy");
        PjrtException e = catchThrowableOfType(PjrtException.class, PjrtEndToEnd::runAddFlow);
        // The first event destroyed is toDevice's done_with_host_buffer: its buffer is closed, the event stays alive.
        assertThat(e.call()).isEqualTo("PJRT_Event_Destroy");
        assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
        assertThat(e.pluginMessage()).isEqualTo("mock: injected failure in PJRT_Event_Destroy");
        long[] now = mock.live();
        assertThat(now[K_EVENTS] - before[K_EVENTS]).as("the event whose destroy failed").isEqualTo(1);
        assertThat(now[K_BUFFERS]).as("buffers").isEqualTo(before[K_BUFFERS]);
        assertThat(now[K_CLIENTS]).as("clients").isEqualTo(before[K_CLIENTS]);
        before = now;
    }

    @Test
    void aFailedClientDestroyIsReportedAfterItsObjectsAreClosed() {
        PjrtClient c = plugin().createClient();
        PjrtDevice d = c.addressableDevices().getFirst();
        PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(d.id()));
        PjrtBuffer b = c.toDevice(floats(1, 2), d);
        mock.fail("PJRT_Client_Destroy");
        PjrtException e = catchThrowableOfType(PjrtException.class, c::close);
        assertThat(e.call()).isEqualTo("PJRT_Client_Destroy");
        assertThat(e.pluginMessage()).isEqualTo("mock: injected failure in PJRT_Client_Destroy");
        assertThat(exe.isClosed()).isTrue();
        assertThat(b.isClosed()).isTrue();
        assertThat(c.isClosed()).as("the Java side never hands the pointer out again").isTrue();
        long[] now = mock.live();
        assertThat(now[K_CLIENTS] - before[K_CLIENTS]).as("the client whose destroy failed").isEqualTo(1);
        assertThat(now[K_BUFFERS]).isEqualTo(before[K_BUFFERS]);
        assertThat(now[K_LOADED]).as("loaded executables (fewer: a cleaner closed an earlier test's)").isLessThanOrEqualTo(before[K_LOADED]);
        before = now;
    }

    // ---- executable queries

    @Test
    void costAnalysisAndMemoryStatsFailuresNameTheCallAndDestroyTheTemporaryExecutable() {
        try (PjrtClient c = plugin().createClient();
             PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(100))) {
            mock.fail("PJRT_Executable_GetCostAnalysis");
            PjrtException cost = catchThrowableOfType(PjrtException.class, exe::costAnalysis);
            assertThat(cost.call()).isEqualTo("PJRT_Executable_GetCostAnalysis");
            assertThat(cost.code()).isEqualTo(PjrtErrorCode.INTERNAL);
            assertThat(cost.pluginMessage()).isEqualTo("mock: injected failure in PJRT_Executable_GetCostAnalysis");
            mock.fail("PJRT_Executable_GetCompiledMemoryStats");
            PjrtException stats = catchThrowableOfType(PjrtException.class, exe::memoryStats);
            assertThat(stats.call()).isEqualTo("PJRT_Executable_GetCompiledMemoryStats");
            assertThat(stats.pluginMessage()).isEqualTo("mock: injected failure in PJRT_Executable_GetCompiledMemoryStats");
            assertThat(mock.live()[K_EXECUTABLES]).as("temporary PJRT_Executables").isLessThanOrEqualTo(before[K_EXECUTABLES]);
            mock.fail(null);
            assertThat(exe.costAnalysis()).containsEntry("flops", 6.0f);
        }
    }

    // ---- reading errors, the function table

    @Test
    void aFailingErrorGetCodeYieldsUnknownWithThePluginsMessage() {
        try (PjrtClient c = plugin().createClient()) {
            mock.fail("PJRT_Client_Compile,PJRT_Error_GetCode");
            PjrtException e = catchThrowableOfType(PjrtException.class, () -> c.compile(ADD, CompileOptions.singleDevice(100)));
            assertThat(e.code()).isEqualTo(PjrtErrorCode.UNKNOWN);
            assertThat(e.call()).isEqualTo("PJRT_Client_Compile");
            assertThat(e.pluginMessage()).isEqualTo("mock: injected failure in PJRT_Client_Compile");
            assertThat(mock.live()[K_ERRORS]).as("both the compile error and the GetCode error destroyed").isEqualTo(before[K_ERRORS]);
        }
    }

    @Test
    void anEmptyFunctionTableSlotIsRefusedAsUnimplementedNamingTheCall() {
        try (PjrtClient c = plugin().createClient()) {
            mock.clearSlot(Abi.Fn.PJRT_Client_Compile.slot);
            PjrtException e = catchThrowableOfType(PjrtException.class, () -> c.compile(ADD, CompileOptions.singleDevice(100)));
            assertThat(e.code()).isEqualTo(PjrtErrorCode.UNIMPLEMENTED);
            assertThat(e.call()).isEqualTo("PJRT_Client_Compile");
            assertThat(e.pluginMessage()).isEqualTo("the plugin (PJRT C API 0.95, 130 slots) does not implement PJRT_Client_Compile");
            mock.restoreSlots();
            c.compile(ADD, CompileOptions.singleDevice(100)).close();
            // A plugin without PJRT_Error_GetCode: its errors still carry their message, with code UNKNOWN
            // (the slot stays empty until the test's reset(): the mock fills its table once, as a real plugin's is static).
            mock.clearSlot(Abi.Fn.PJRT_Error_GetCode.slot);
            PjrtException noCode = catchThrowableOfType(PjrtException.class, () -> c.plugin().createClient(Map.of("bogus", 1L)));
            assertThat(noCode.code()).isEqualTo(PjrtErrorCode.UNKNOWN);
            assertThat(noCode.call()).isEqualTo("PJRT_Client_Create");
            assertThat(noCode.pluginMessage()).isEqualTo("Unknown create option 'bogus'");
        }
    }

    // ---- errors that arrive through events

    @Test
    void anExecutionEventErrorOnEachDeviceClosesTheOutputs() {
        long blocked = mock.blockedAwaits();
        try (PjrtClient c = plugin().createClient(Map.of("num_devices", 2L))) {
            List<PjrtDevice> ds = c.addressableDevices();
            try (PjrtExecutable exe = c.compile(ADD, CompileOptions.spmd(100, 101))) {
                List<List<PjrtBuffer>> args = List.of(
                        List.of(c.toDevice(floats(1, 2), ds.get(0)), c.toDevice(floats(3, 4), ds.get(0))),
                        List.of(c.toDevice(floats(5, 6), ds.get(1)), c.toDevice(floats(7, 8), ds.get(1))));
                mock.fail("execute_event_status");
                PjrtException e = catchThrowableOfType(PjrtException.class, () -> exe.execute(args));
                assertThat(e.call()).isEqualTo("PJRT_Event_Await (execution on device 100)");
                assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
                assertThat(e.pluginMessage()).isEqualTo("mock: execution failed on device 100");
                assertThat(mock.blockedAwaits() - blocked).as("awaits that found the event still pending, one per device").isEqualTo(2);
                assertThat(c.openObjects()).as("the executable and four inputs; both outputs closed").isEqualTo(1 + 4);
                long[] now = mock.live();
                assertThat(now[K_BUFFERS] - before[K_BUFFERS]).as("mock buffers: the inputs only").isEqualTo(4);
                assertThat(now[K_EVENTS]).as("both completion events destroyed").isEqualTo(before[K_EVENTS]);
                mock.fail(null);
                assertThat(exe.execute(args).get(1).getFirst().toHost().floats()).containsExactly(12f, 14f);
            }
        }
    }

    @Test
    void aHostBufferEventErrorClosesTheNewBuffer() {
        try (PjrtClient c = plugin().createClient()) {
            mock.fail("host_buffer_event_status");
            PjrtException e = catchThrowableOfType(PjrtException.class, () -> c.toDevice(floats(1, 2, 3), c.addressableDevices().getFirst()));
            assertThat(e.call()).isEqualTo("PJRT_Event_Await (done_with_host_buffer)");
            assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
            assertThat(e.pluginMessage()).isEqualTo("mock: transfer of the host buffer failed");
            assertThat(c.openObjects()).isZero();
            assertThat(mock.live()[K_BUFFERS]).isEqualTo(before[K_BUFFERS]);
        }
    }

    @Test
    void aToHostEventErrorIsThrownAndTheBufferStaysUsable() {
        try (PjrtClient c = plugin().createClient();
             PjrtBuffer b = c.toDevice(floats(4, 5), c.addressableDevices().getFirst())) {
            mock.fail("to_host_event_status");
            PjrtException e = catchThrowableOfType(PjrtException.class, b::toHost);
            assertThat(e.call()).isEqualTo("PJRT_Event_Await (device-to-host copy)");
            assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
            assertThat(e.pluginMessage()).isEqualTo("mock: device-to-host copy failed");
            assertThat(mock.live()[K_EVENTS]).isEqualTo(before[K_EVENTS]);
            mock.fail(null);
            assertThat(b.toHost().floats()).containsExactly(4f, 5f);
        }
    }

    @Test
    void pendingEventsThatCompleteLaterRunTheWholeFlow() {
        long blocked = mock.blockedAwaits();
        mock.fail("async_events");
        PjrtEndToEnd.runAddFlow();   // throws unless 2 + 4 == 6 came back
        // Two host buffers, the execution, the ready event and the to-host copy each found their event pending
        // (the mock completes an event only after its owner awaits it).
        assertThat(mock.blockedAwaits() - blocked).isEqualTo(5);
    }

    @Test
    void onReadyCallbacksQueuedOnAPendingEventRunWhenItCompletes() throws Exception {
        try (PjrtClient c = plugin().createClient();
             PjrtBuffer b = c.toDevice(floats(1), c.addressableDevices().getFirst())) {
            long queued = mock.queuedCallbacks();
            mock.fail("async_events");
            List<CompletableFuture<Void>> ok = List.of(b.readyAsync(), b.readyAsync(), b.readyAsync());
            CompletableFuture.allOf(ok.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertThat(mock.queuedCallbacks() - queued).as("callbacks registered before completion").isEqualTo(3);
            mock.fail("ready_event_async_status");
            ExecutionException failed = catchThrowableOfType(ExecutionException.class, () -> b.readyAsync().get(10, TimeUnit.SECONDS));
            assertThat(failed.getCause()).isInstanceOf(PjrtException.class);
            PjrtException e = (PjrtException) failed.getCause();
            assertThat(e.call()).isEqualTo("PJRT_Event_OnReady (buffer ready)");
            assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
            assertThat(e.pluginMessage()).isEqualTo("mock: buffer computation failed");
            PjrtException awaited = catchThrowableOfType(PjrtException.class, b::awaitReady);
            assertThat(awaited.call()).isEqualTo("PJRT_Event_Await (buffer ready)");
        }
    }

    // ---- devices and buffers of the wrong client

    @Test
    void aDeviceOfAnotherOrAClosedClientIsRefusedBeforeThePluginSeesIt() {
        PjrtPlugin p = plugin();
        try (PjrtClient c1 = p.createClient(); PjrtClient c2 = p.createClient()) {
            PjrtDevice d1 = c1.addressableDevices().getFirst();
            assertThatThrownBy(() -> c2.toDevice(floats(1), d1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("PJRT_Client_BufferFromHostBuffer: device 100 belongs to another PJRT client #")
                    .hasMessageContaining("list the devices of the client you call");
            try (PjrtExecutable exe = c1.compile(ADD, CompileOptions.singleDevice(100));
                 PjrtBuffer x = c1.toDevice(floats(1), d1);
                 PjrtBuffer foreign = c2.toDevice(floats(2), c2.addressableDevices().getFirst())) {
                assertThatThrownBy(() -> exe.execute(x, foreign)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("PJRT_LoadedExecutable_Execute: argument 1 for device 100 is a buffer of another PJRT client #");
                assertThat(exe.execute(x, x).getFirst().toHost().floats()).containsExactly(2f);
            }
        }
        PjrtClient closed = p.createClient();
        PjrtDevice stale = closed.addressableDevices().getFirst();
        closed.close();
        try (PjrtClient c3 = p.createClient()) {
            assertThatThrownBy(() -> c3.toDevice(floats(1), stale)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("device 100 belongs to a closed PJRT client #")
                    .hasMessageContaining("its pointer is no longer valid");
            assertThat(c3.addressableDevices().getFirst()).isNotEqualTo(stale);
            assertThat(c3.addressableDevices().getFirst()).isEqualTo(c3.addressableDevices().getFirst());
        }
    }
}
