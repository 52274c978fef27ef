package io.hlo4j.runtime.pjrt;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The C mock plugin (src/test/c/pjrt_mock.c and its mock_*.c files, built by gcc in generate-test-resources) and its test hooks. */
public final class MockPjrt {
    private MockPjrt() {}

    static final String[] KINDS = {"errors", "events", "clients", "loaded executables", "executables", "buffers", "serialized executables"};
    private static final int LOADED_EXECUTABLES = 3, EXECUTABLES = 4;

    public static Path path() {
        String p = System.getProperty("hlo4j.pjrt.mock");
        Path path = p != null ? Path.of(p) : Path.of("target/mock-pjrt/libpjrt_mock.so");
        if (!Files.isRegularFile(path)) throw new IllegalStateException("mock PJRT plugin not built at " + path.toAbsolutePath());
        return path.toAbsolutePath().normalize();
    }

    /** The hooks of one loaded copy of the mock (a copy at another path is a separate instance). */
    public record Hooks(MethodHandle setFail, MethodHandle setVersion, MethodHandle liveCount, MethodHandle clearSlotFn, MethodHandle restoreSlotsFn,
                 MethodHandle statFn) {
        static Hooks of(Path lib) {
            SymbolLookup l = SymbolLookup.libraryLookup(lib, Arena.global());
            Linker linker = Linker.nativeLinker();
            return new Hooks(
                    linker.downcallHandle(l.find("mock_pjrt_set_fail").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS)),
                    linker.downcallHandle(l.find("mock_pjrt_set_version").orElseThrow(), FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT)),
                    linker.downcallHandle(l.find("mock_pjrt_live").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT)),
                    linker.downcallHandle(l.find("mock_pjrt_clear_slot").orElseThrow(), FunctionDescriptor.ofVoid(JAVA_INT)),
                    linker.downcallHandle(l.find("mock_pjrt_restore_slots").orElseThrow(), FunctionDescriptor.ofVoid()),
                    linker.downcallHandle(l.find("mock_pjrt_stat").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT)));
        }

        void fail(String call) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment name = call == null ? MemorySegment.NULL : a.allocateFrom(call);
                setFail.invokeExact(name);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** Empties slot {@code slot} of the mock's function table, as a plugin lacking that call has it. */
        void clearSlot(int slot) {
            try {
                clearSlotFn.invokeExact(slot);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        void restoreSlots() {
            try {
                restoreSlotsFn.invokeExact();
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** Awaits that blocked on a pending event so far. */
        long blockedAwaits() { return stat(0); }

        /** OnReady callbacks queued on a pending event so far. */
        long queuedCallbacks() { return stat(1); }

        /** Multi-process client creates that were given a kv_try_get_callback so far. */
        long createsWithTryGet() { return stat(2); }

        private long stat(int which) {
            try {
                return (long) statFn.invokeExact(which);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        void version(int major, int minor) {
            try {
                setVersion.invokeExact(major, minor);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** Clears failures, a changed version and emptied slots; returns the live counts a test must end with. */
        public long[] reset() {
            fail(null);
            version(0, 95);
            restoreSlots();
            return live();
        }

        /** Resets, then asserts every kind of live object is back at {@code before} (nothing leaked). */
        public void assertNothingLeaked(long[] before) {
            reset();
            // A pending event destroyed unawaited is freed by the mock's completing thread ~20 ms later: wait for
            // the counts to settle (up to 2 s) rather than read them at once.
            long[] after = live();
            for (long deadline = System.nanoTime() + 2_000_000_000L; !settled(after, before) && System.nanoTime() < deadline; after = live()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            for (int k = 0; k < after.length; k++)
                if (k == LOADED_EXECUTABLES || k == EXECUTABLES)
                    org.assertj.core.api.Assertions.assertThat(after[k]).as("live " + KINDS[k] + " after the test").isLessThanOrEqualTo(before[k]);
                else org.assertj.core.api.Assertions.assertThat(after[k]).as("live " + KINDS[k] + " after the test").isEqualTo(before[k]);
        }

        /**
         * Every kind back at its count, except that executables may be fewer: an earlier test's {@code PjrtBackend.Compiled}
         * that became garbage on a backend still open (the shared configured one) has its executable closed by a cleaner
         * whenever a collection runs, during this test too. More than before is a leak either way.
         */
        private static boolean settled(long[] after, long[] before) {
            for (int k = 0; k < after.length; k++)
                if (k == LOADED_EXECUTABLES || k == EXECUTABLES ? after[k] > before[k] : after[k] != before[k]) return false;
            return true;
        }

        /** Live objects per kind (see {@link #KINDS}). */
        long[] live() {
            long[] out = new long[KINDS.length];
            try {
                for (int k = 0; k < out.length; k++) out[k] = (long) liveCount.invokeExact(k);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            return out;
        }
    }

    private static Hooks hooks;

    public static synchronized Hooks hooks() {
        if (hooks == null) hooks = Hooks.of(path());
        return hooks;
    }
}
