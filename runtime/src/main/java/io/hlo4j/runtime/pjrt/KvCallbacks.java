package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.distributed.KeyValueException;
import io.hlo4j.runtime.pjrt.distributed.KeyValueStore;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code kv_get_callback}, {@code kv_put_callback} and {@code kv_try_get_callback} of {@code PJRT_Client_Create}:
 * one upcall stub each for the whole process, reaching the {@link KeyValueStore} registered under the ticket passed
 * as {@code user_arg} (registered before the create, dropped when the client is destroyed: a plugin may use the store
 * after creation, e.g. for collectives' ids). As the header requires:
 * <ul>
 *   <li>a failure (a store's {@link KeyValueException}, a get's timeout, anything thrown) is returned as the
 *       {@code PJRT_Error*} the plugin's {@code PJRT_CallbackError} makes of the code and message; nothing escapes
 *       into native code;</li>
 *   <li>a value returned by get/try_get is memory of ours that the plugin copies, then frees through
 *       {@code value_deleter_callback}, which is {@link #DELETER}: {@link #outstandingValues()} counts those not yet
 *       freed, so tests see a plugin (or the mock) that leaks them;</li>
 *   <li>try_get of a key that is not set fails with NOT_FOUND, which the plugin reads as "not yet".</li>
 * </ul>
 */
final class KvCallbacks {
    private KvCallbacks() {}

    /**
     * A get whose timeout_in_ms is not positive waits this long (never forever); a job's store
     * ({@code DistributedProcess#store()}) caps every get, this one too, at the job's timeout.
     */
    static final Duration DEFAULT_GET_TIMEOUT = Duration.ofMinutes(5);

    private static final Map<Long, KeyValueStore> STORES = new ConcurrentHashMap<>();
    private static final AtomicLong TICKETS = new AtomicLong(1);
    /** Values handed to a plugin and not yet returned through the deleter: address -> their arena. */
    private static final Map<Long, Arena> VALUES = new ConcurrentHashMap<>();
    private static final MethodHandle CALLBACK_ERROR = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));

    static final MemorySegment GET = stub("get", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MemorySegment PUT = stub("put", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MemorySegment TRY_GET = stub("tryGet", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MemorySegment DELETER = stub("deleteValue", FunctionDescriptor.ofVoid(ADDRESS));

    private static MemorySegment stub(String method, FunctionDescriptor fd) {
        try {
            MethodType type = fd.returnLayout().isPresent() ? MethodType.methodType(MemorySegment.class, MemorySegment.class)
                    : MethodType.methodType(void.class, MemorySegment.class);
            return Linker.nativeLinker().upcallStub(MethodHandles.lookup().findStatic(KvCallbacks.class, method, type), fd, Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Registers {@code store}; the ticket goes in the user args and to {@link #unregister}. */
    static long register(KeyValueStore store) {
        long t = TICKETS.getAndIncrement();
        STORES.put(t, store);
        return t;
    }

    static void unregister(long ticket) { STORES.remove(ticket); }

    /** Values a plugin got from get/try_get and has not yet freed through the deleter. */
    static int outstandingValues() { return VALUES.size(); }

    /** Stores registered (clients created with a store and not yet destroyed). */
    static int registeredStores() { return STORES.size(); }

    private static MemorySegment get(MemorySegment raw) {
        return guarded(raw, Abi.KV_GET, "kv_get_callback", (args, store, key) -> {
            int ms = args.get(JAVA_INT, Abi.KV_GET.off("timeout_in_ms"));
            byte[] v = store.get(key, ms > 0 ? Duration.ofMillis(ms) : DEFAULT_GET_TIMEOUT);
            giveValue(args, Abi.KV_GET, v);
            return MemorySegment.NULL;
        });
    }

    private static MemorySegment tryGet(MemorySegment raw) {
        return guarded(raw, Abi.KV_TRY_GET, "kv_try_get_callback", (args, store, key) -> {
            Optional<byte[]> v = store.tryGet(key);
            if (v.isEmpty()) throw new KeyValueException(PjrtErrorCode.NOT_FOUND, "key '" + key + "' is not set in " + store.describe());
            giveValue(args, Abi.KV_TRY_GET, v.get());
            return MemorySegment.NULL;
        });
    }

    private static MemorySegment put(MemorySegment raw) {
        return guarded(raw, Abi.KV_PUT, "kv_put_callback", (args, store, key) -> {
            long n = args.get(JAVA_LONG, Abi.KV_PUT.off("value_size"));
            MemorySegment p = args.get(ADDRESS, Abi.KV_PUT.off("value"));
            store.put(key, n == 0 ? new byte[0] : p.reinterpret(n).toArray(JAVA_BYTE));
            return MemorySegment.NULL;
        });
    }

    /** The value, copied into memory the plugin frees through {@link #DELETER}. */
    private static void giveValue(MemorySegment args, CStruct s, byte[] v) {
        Arena arena = Arena.ofShared();   // the deleter may run on any plugin thread
        MemorySegment m = arena.allocate(Math.max(1, v.length));
        MemorySegment.copy(v, 0, m, JAVA_BYTE, 0, v.length);
        VALUES.put(m.address(), arena);
        args.set(ADDRESS, s.off("value"), m);
        args.set(JAVA_LONG, s.off("value_size"), v.length);
        args.set(ADDRESS, s.off("value_deleter_callback"), DELETER);
    }

    private static void deleteValue(MemorySegment value) {
        try {
            Arena a = VALUES.remove(value.address());
            if (a != null) a.close();
            else System.err.println("hlo4j: PJRT key-value value_deleter_callback for unknown value " + value.address());
        } catch (Throwable t) {
            try {
                System.err.println("hlo4j: PJRT key-value value_deleter_callback failed: " + t);
            } catch (Throwable ignored) {
                // an escaping throwable would end the JVM
            }
        }
    }

    private interface Body { MemorySegment run(MemorySegment args, KeyValueStore store, String key); }

    /**
     * Runs a callback's body with every failure turned into the plugin's PJRT_Error (through callback_error). Arguments
     * too short for the fields read are refused the same way, or, too short to hold callback_error itself, reported on
     * stderr (nothing else can reach the plugin). Whenever a get or try_get returns NULL (success) without its value, for
     * want of a way to report the failure, it still hands over an empty value and the deleter ({@link #emptyValue}):
     * the plugin reads the value and calls the deleter unconditionally on success.
     */
    private static MemorySegment guarded(MemorySegment raw, CStruct s, String callback, Body body) {
        long size = 0;
        try {
            size = raw.reinterpret(8).get(JAVA_LONG, 0);
            long errOff = s.off("callback_error");
            if (size < errOff + 8) {
                System.err.println("hlo4j: PJRT " + callback + " got " + s.name() + " of " + size + " bytes, too short to hold callback_error");
                return emptyValue(raw, s, size);
            }
            MemorySegment args = raw.reinterpret(Math.max(size, s.sizeOf()));
            try {
                if (size < s.structSize())
                    throw new KeyValueException(PjrtErrorCode.INVALID_ARGUMENT, "Unexpected " + s.name() + " size: expected " + s.structSize() + ", got " + size);
                KeyValueStore store = STORES.get(args.get(ADDRESS, s.off("user_arg")).address());
                if (store == null)
                    throw new KeyValueException(PjrtErrorCode.FAILED_PRECONDITION, callback + ": user_arg " + args.get(ADDRESS, s.off("user_arg")).address()
                            + " names no key-value store of a live hlo4j client");
                long n = args.get(JAVA_LONG, s.off("key_size"));
                String key = n == 0 ? "" : new String(args.get(ADDRESS, s.off("key")).reinterpret(n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
                NativeHandle.Callbacks.enter();   // a store that closes a client here is refused, not left waiting for this call
                try {
                    return body.run(args, store, key);
                } finally {
                    NativeHandle.Callbacks.exit();
                }
            } catch (KeyValueException e) {
                return callbackError(args, s, e.code(), e.detail());
            } catch (Throwable t) {
                return callbackError(args, s, PjrtErrorCode.INTERNAL, callback + " failed: " + t);
            }
        } catch (Throwable t) {
            try {
                System.err.println("hlo4j: PJRT key-value callback failed: " + t);
            } catch (Throwable ignored) {
                // nothing more can be done inside an upcall
            }
            return emptyValue(raw, s, size);
        }
    }

    /**
     * NULL (success) for a failure that cannot be reported: for a get or try_get, with an empty value (one byte of ours,
     * size 0) and {@link #DELETER} in the value fields, so the plugin copies nothing and frees what it got. The fields
     * are written only where they lie within the struct_size the plugin gave (past it is not the plugin's memory).
     */
    private static MemorySegment emptyValue(MemorySegment raw, CStruct s, long size) {
        try {
            if ((s == Abi.KV_GET || s == Abi.KV_TRY_GET) && size >= s.off("value_deleter_callback") + 8)
                giveValue(raw.reinterpret(size), s, new byte[0]);
        } catch (Throwable ignored) {
            // nothing more can be done inside an upcall
        }
        return MemorySegment.NULL;
    }

    /** {@code (*callback_error)(code, message, size)}: the plugin's own PJRT_Error for our failure (it copies the message). */
    private static MemorySegment callbackError(MemorySegment args, CStruct s, PjrtErrorCode code, String message) throws Throwable {
        MemorySegment fnPtr = args.get(ADDRESS, s.off("callback_error"));
        if (fnPtr.equals(MemorySegment.NULL)) {
            System.err.println("hlo4j: PJRT " + s.name() + " has no callback_error; cannot report: " + message);
            return emptyValue(args, s, args.get(JAVA_LONG, 0));
        }
        MemorySegment fn = fnPtr.reinterpret(8).get(ADDRESS, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocateFrom(message);
            return (MemorySegment) CALLBACK_ERROR.invokeExact(fn, code.ordinal(), m, m.byteSize() - 1);
        }
    }
}
