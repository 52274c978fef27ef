package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.distributed.InProcessKeyValueStore;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key-value upcalls called as a plugin calls them (a downcall to the stub with an Args struct), with a
 * PJRT_CallbackError of the test's own that records what it is asked to make and returns a marker "error".
 */
class KvCallbacksTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle CALL = LINKER.downcallHandle(FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle CALL_VOID = LINKER.downcallHandle(FunctionDescriptor.ofVoid(ADDRESS));
    private static final MemorySegment MARKER = MemorySegment.ofAddress(0xE77);
    private static final List<String> MADE = new ArrayList<>();

    /** The test's PJRT_CallbackError: records "code: message". */
    static MemorySegment makeError(int code, MemorySegment message, long size) {
        MADE.add(PjrtErrorCode.of(code) + ": " + new String(message.reinterpret(size).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
        return MARKER;
    }

    private static final MemorySegment CALLBACK_ERROR_PTR;

    static {
        try {
            MemorySegment fn = LINKER.upcallStub(MethodHandles.lookup().findStatic(KvCallbacksTest.class, "makeError",
                    MethodType.methodType(MemorySegment.class, int.class, MemorySegment.class, long.class)),
                    FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG), Arena.global());
            CALLBACK_ERROR_PTR = Arena.global().allocate(ADDRESS);   // PJRT_CallbackError*: a pointer to the function pointer
            CALLBACK_ERROR_PTR.set(ADDRESS, 0, fn);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static MemorySegment args(Arena a, CStruct s, long ticket, String key) {
        MemorySegment args = s.allocate(a);
        MemorySegment k = a.allocateFrom(key);
        args.set(ADDRESS, s.off("key"), k);
        args.set(JAVA_LONG, s.off("key_size"), k.byteSize() - 1);
        args.set(ADDRESS, s.off("callback_error"), CALLBACK_ERROR_PTR);
        args.set(ADDRESS, s.off("user_arg"), MemorySegment.ofAddress(ticket));
        return args;
    }

    private static MemorySegment call(MemorySegment stub, MemorySegment args) throws Throwable {
        return (MemorySegment) CALL.invokeExact(stub, args);
    }

    @Test
    void putGetTryGetAndTheirFailuresAsThePluginSeesThem() throws Throwable {
        InProcessKeyValueStore store = new InProcessKeyValueStore();
        long ticket = KvCallbacks.register(store);
        int outstanding = KvCallbacks.outstandingValues();
        MADE.clear();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment put = args(a, Abi.KV_PUT, ticket, "topo/0");
            MemorySegment v = a.allocateFrom("ids=1,2");
            put.set(ADDRESS, Abi.KV_PUT.off("value"), v);
            put.set(JAVA_LONG, Abi.KV_PUT.off("value_size"), 7);
            assertThat(call(KvCallbacks.PUT, put)).isEqualTo(MemorySegment.NULL);
            assertThat(new String(store.tryGet("topo/0").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("ids=1,2");

            MemorySegment get = args(a, Abi.KV_GET, ticket, "topo/0");
            get.set(JAVA_INT, Abi.KV_GET.off("timeout_in_ms"), 1000);
            assertThat(call(KvCallbacks.GET, get)).isEqualTo(MemorySegment.NULL);
            long n = get.get(JAVA_LONG, Abi.KV_GET.off("value_size"));
            MemorySegment value = get.get(ADDRESS, Abi.KV_GET.off("value"));
            assertThat(new String(value.reinterpret(n).toArray(JAVA_BYTE), StandardCharsets.UTF_8)).isEqualTo("ids=1,2");
            assertThat(KvCallbacks.outstandingValues()).isEqualTo(outstanding + 1);
            CALL_VOID.invokeExact(get.get(ADDRESS, Abi.KV_GET.off("value_deleter_callback")), value);   // the plugin frees it
            assertThat(KvCallbacks.outstandingValues()).isEqualTo(outstanding);

            MemorySegment missing = args(a, Abi.KV_TRY_GET, ticket, "topo/1");
            assertThat(call(KvCallbacks.TRY_GET, missing)).isEqualTo(MARKER);
            MemorySegment late = args(a, Abi.KV_GET, ticket, "topo/1");
            late.set(JAVA_INT, Abi.KV_GET.off("timeout_in_ms"), 50);
            assertThat(call(KvCallbacks.GET, late)).isEqualTo(MARKER);
            MemorySegment clash = args(a, Abi.KV_PUT, ticket, "topo/0");
            clash.set(ADDRESS, Abi.KV_PUT.off("value"), v);
            clash.set(JAVA_LONG, Abi.KV_PUT.off("value_size"), 3);
            assertThat(call(KvCallbacks.PUT, clash)).isEqualTo(MARKER);
            MemorySegment shortArgs = args(a, Abi.KV_GET, ticket, "topo/0");
            shortArgs.set(JAVA_LONG, 0, 56);   // holds callback_error (at 40), not value (56) and past
            assertThat(call(KvCallbacks.GET, shortArgs)).isEqualTo(MARKER);
            MemorySegment stranger = args(a, Abi.KV_TRY_GET, 987_654_321L, "topo/0");
            assertThat(call(KvCallbacks.TRY_GET, stranger)).isEqualTo(MARKER);
        } finally {
            KvCallbacks.unregister(ticket);
        }
        assertThat(MADE).containsExactly(
                "NOT_FOUND: key 'topo/1' is not set in in-process store",
                "DEADLINE_EXCEEDED: key-value get of 'topo/1' from in-process store timed out after 50 ms: no process has put it"
                        + " (is every process of the job started, with the same coordinator?)",
                "ALREADY_EXISTS: key-value put of 'topo/0' to in-process store: the key is already set to 7 other bytes (a second process with the same id?)",
                "INVALID_ARGUMENT: Unexpected PJRT_KeyValueGetCallback_Args size: expected 80, got 56",
                "FAILED_PRECONDITION: kv_try_get_callback: user_arg 987654321 names no key-value store of a live hlo4j client");
        assertThat(KvCallbacks.outstandingValues()).isEqualTo(outstanding);
    }

    /**
     * A get or try_get whose failure cannot be reported (no callback_error, or arguments too short to hold it) returns
     * success, so it must still hand over a value and the deleter: the plugin reads the value and calls the deleter
     * unconditionally on success (a NULL deleter would crash it).
     */
    @Test
    void anUnreportableFailureStillHandsOverAnEmptyValueAndTheDeleter() throws Throwable {
        long ticket = KvCallbacks.register(new InProcessKeyValueStore());
        int outstanding = KvCallbacks.outstandingValues();
        try (Arena a = Arena.ofConfined()) {
            for (CStruct s : new CStruct[] {Abi.KV_GET, Abi.KV_TRY_GET}) {
                MemorySegment args = args(a, s, ticket, "never-set");
                if (s == Abi.KV_GET) args.set(JAVA_INT, s.off("timeout_in_ms"), 20);
                args.set(ADDRESS, s.off("callback_error"), MemorySegment.NULL);   // nothing to make an error with
                assertThat(call(s == Abi.KV_GET ? KvCallbacks.GET : KvCallbacks.TRY_GET, args)).as(s.name()).isEqualTo(MemorySegment.NULL);
                assertThat(args.get(JAVA_LONG, s.off("value_size"))).as(s.name()).isZero();
                MemorySegment value = args.get(ADDRESS, s.off("value"));
                assertThat(value).as(s.name()).isNotEqualTo(MemorySegment.NULL);
                MemorySegment deleter = args.get(ADDRESS, s.off("value_deleter_callback"));
                assertThat(deleter).as(s.name()).isEqualTo(KvCallbacks.DELETER);
                assertThat(KvCallbacks.outstandingValues()).isEqualTo(outstanding + 1);
                CALL_VOID.invokeExact(deleter, value);   // what the plugin does next
                assertThat(KvCallbacks.outstandingValues()).isEqualTo(outstanding);
            }
        } finally {
            KvCallbacks.unregister(ticket);
        }
    }
}
