package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.hlo4j.runtime.pjrt.PjrtBindingTest.ADD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Closing a client, an executable or a buffer while other threads call it (or its children) through the raw binding.
 * Unguarded, a call handed the plugin a pointer the close had just freed: run before the guard, round 0 already failed,
 * its callers getting INVALID_ARGUMENT "PJRT_Buffer_ToHostBuffer: not a live buffer" (the mock read the freed
 * buffer's magic; a real plugin reads freed memory). Guarded, every call either completes with the mock's values (x + y, computed by hand) or is
 * refused with {@link PjrtClosedException} naming the object and the call; close waits for the calls in flight.
 */
class PjrtCloseRaceTest extends MockPluginTest {
    private static final int ROUNDS = 45;
    private static final float[] X = {1, 2, 3, 4, 5, 6}, Y = {10, 20, 30, 40, 50, 60}, SUM = {11, 22, 33, 44, 55, 66};
    private static final long[] DIMS = {2, 3};

    private enum Target { CLIENT, EXECUTABLE, BUFFER }

    /** What one caller saw: "refused" (a typed refusal), "stopped" (told to stop, unaffected), or the unexpected failure. */
    private static String classify(RuntimeException e) {
        if (e instanceof PjrtClosedException) return "refused";
        // a result the client's close closed under the caller: its own close is then a double close, as documented
        if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("already closed (by its client's close)")) return "refused";
        return "other: " + e;
    }

    @Test
    void closingWhileOtherThreadsCallRefusesThemByNameAndNeverHandsThePluginAFreedPointer() throws Exception {
        PjrtPlugin plugin = plugin();
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            for (int round = 0; round < ROUNDS; round++) {
                Target target = Target.values()[round % 3];
                PjrtClient c = plugin.createClient();
                PjrtDevice d = c.addressableDevices().getFirst();
                PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(d.id()));
                PjrtBuffer x = c.toDevice(HostData.ofFloats(DIMS, X), d), y = c.toDevice(HostData.ofFloats(DIMS, Y), d);
                AtomicBoolean stop = new AtomicBoolean();
                CountDownLatch running = new CountDownLatch(3);
                List<Future<String>> callers = new ArrayList<>();
                // reads x: refused once x or the client is closed
                callers.add(pool.submit(() -> loop(running, stop, target == Target.EXECUTABLE, () ->
                        assertThat(x.toHost().floats()).containsExactly(X))));
                // runs exe on x, y, reads the result back: refused once any of them (or the client) is closed
                callers.add(pool.submit(() -> loop(running, stop, false, () -> {
                    PjrtBuffer r = exe.execute(x, y).getFirst();
                    assertThat(r.toHost().floats()).containsExactly(SUM);
                    r.close();
                })));
                // compiles and drops executables: refused once the client is closed
                callers.add(pool.submit(() -> loop(running, stop, target != Target.CLIENT, () ->
                        c.compile(ADD, CompileOptions.singleDevice(d.id())).close())));
                assertThat(running.await(60, TimeUnit.SECONDS)).as("every caller made a call").isTrue();
                switch (target) {
                    case CLIENT -> c.close();
                    case EXECUTABLE -> exe.close();
                    case BUFFER -> x.close();
                }
                stop.set(true);
                List<String> outcomes = new ArrayList<>();
                for (Future<String> f : callers) outcomes.add(f.get(60, TimeUnit.SECONDS));
                assertThat(outcomes).as("round " + round + ", closing the " + target).allSatisfy(o -> assertThat(o).isIn("refused", "stopped"));
                assertThat(outcomes.get(1)).as("the executing caller, round " + round).isEqualTo("refused");
                if (target != Target.CLIENT) {
                    assertThat(c.openObjects()).as("round " + round + ": the executable or x and y, nothing of the callers'")
                            .isEqualTo(2);
                    c.close();
                }
            }
        }
    }

    /**
     * Calls {@code body} until refused (or, when {@code mayStop}, until told to stop): an affected caller must end refused,
     * so it never looks at {@code stop}.
     */
    private static String loop(CountDownLatch running, AtomicBoolean stop, boolean mayStop, Runnable body) {
        for (int i = 0; ; i++) {
            if (mayStop && stop.get()) return "stopped";
            try {
                body.run();
            } catch (RuntimeException e) {
                return classify(e);
            } catch (AssertionError e) {
                return "other: wrong value " + e.getMessage();
            } finally {
                if (i == 0) running.countDown();
            }
        }
    }

    /** A call after close is refused with the typed exception, naming the object and the call; a child of a closed client too. */
    @Test
    void aCallOnAClosedObjectOrAChildOfAClosedClientNamesBoth() {
        PjrtClient c = plugin().createClient();
        PjrtDevice d = c.addressableDevices().getFirst();
        PjrtBuffer x = c.toDevice(HostData.ofFloats(DIMS, X), d);
        PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(d.id()));
        x.close();
        assertThatThrownBy(x::toHost).isInstanceOfSatisfying(PjrtClosedException.class, e -> {
            assertThat(e.object()).isEqualTo("PJRT buffer on device 100");
            assertThat(e.call()).isEqualTo("PjrtBuffer.toHost");
            assertThat(e).hasMessage("PJRT buffer on device 100 is closed; PjrtBuffer.toHost cannot use it");
        });
        PjrtBuffer y = c.toDevice(HostData.ofFloats(DIMS, Y), d);
        assertThatThrownBy(() -> exe.execute(x, y)).isInstanceOf(PjrtClosedException.class)
                .hasMessage("PJRT buffer on device 100 is closed; PjrtExecutable.execute (argument 0 for device 100) cannot use it");
        assertThat(c.openObjects()).as("the refused execute made nothing").isEqualTo(2);
        c.close();
        assertThatThrownBy(exe::costAnalysis).isInstanceOf(PjrtClosedException.class)
                .hasMessage("PJRT executable is closed (by its client's close); PjrtExecutable.costAnalysis cannot use it");
        assertThatThrownBy(() -> c.compile(ADD, CompileOptions.singleDevice(d.id()))).isInstanceOf(PjrtClosedException.class)
                .hasMessageMatching("PJRT client #\\d+ \\(libpjrt_mock.so\\) is closed; PjrtClient.compile cannot use it");
        assertThatThrownBy(y::close).isNotInstanceOf(PjrtClosedException.class).hasMessage("PJRT buffer on device 100 is already closed (by its client's close)");
    }

    /**
     * A plugin callback (here the key-value store a multi-process client exchanges its topology through) that closes a
     * client is refused: the callback may run inside a call on that client, which the close would wait for forever.
     */
    @Test
    void aCloseInsideAPluginCallbackIsRefusedInsteadOfWaitingForever() {
        PjrtClient other = plugin().createClient();
        java.util.concurrent.atomic.AtomicReference<RuntimeException> refused = new java.util.concurrent.atomic.AtomicReference<>();
        io.hlo4j.runtime.pjrt.distributed.KeyValueStore closing = new io.hlo4j.runtime.pjrt.distributed.KeyValueStore() {
            @Override public void put(String key, byte[] value) {
                try {
                    other.close();
                } catch (RuntimeException e) {
                    refused.set(e);
                    throw e;
                }
            }
            @Override public byte[] get(String key, java.time.Duration timeout) { throw new AssertionError("not reached"); }
            @Override public java.util.Optional<byte[]> tryGet(String key) { throw new AssertionError("not reached"); }
            @Override public String describe() { return "a store that closes a client"; }
        };
        PjrtException e = org.assertj.core.api.Assertions.catchThrowableOfType(PjrtException.class,
                () -> plugin().createClient(Map.of("num_devices", 2L, "num_nodes", 2L, "node_id", 0L), closing));
        assertThat(e.pluginMessage()).startsWith("kv_put_callback failed: java.lang.IllegalStateException: close() of PJRT client #");
        assertThat(refused.get()).hasMessageEndingWith("inside a PJRT plugin callback is refused: the callback may be part of a call on it,"
                + " which the close would wait for forever; close it after the call returns");
        assertThat(other.isClosed()).isFalse();
        assertThat(other.platformName()).isEqualTo("mock");
        other.close();
    }
}
