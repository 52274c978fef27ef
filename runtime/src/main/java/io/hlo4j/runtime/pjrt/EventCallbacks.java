package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.Abi.Fn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * {@code PJRT_Event_OnReady} as a CompletableFuture. One upcall stub for the whole process; each
 * registration gets a numeric ticket passed as {@code user_arg}. The callback may run inline or on a
 * plugin thread; it owns the error it receives (converted, then destroyed) and never lets a Java
 * exception escape into native code. The event itself is destroyed afterwards, from Java, off the
 * plugin's callback thread.
 */
final class EventCallbacks {
    private EventCallbacks() {}

    private record Pending(PjrtApi api, String what, CompletableFuture<Void> future) {}

    private static final Map<Long, Pending> PENDING = new ConcurrentHashMap<>();
    private static final AtomicLong TICKETS = new AtomicLong(1);
    private static final MemorySegment STUB;

    static {
        try {
            STUB = Linker.nativeLinker().upcallStub(
                    MethodHandles.lookup().findStatic(EventCallbacks.class, "onReady",
                            MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class)),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Completes when {@code event} is ready (exceptionally with the event's PjrtException); destroys it then. */
    static CompletableFuture<Void> whenReady(PjrtApi api, MemorySegment event, String what) {
        long ticket = TICKETS.getAndIncrement();
        CompletableFuture<Void> future = new CompletableFuture<>();
        PENDING.put(ticket, new Pending(api, what, future));   // before OnReady: the callback may run inline
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.EVENT_ON_READY.allocate(a);
            args.set(ADDRESS, Abi.EVENT_ON_READY.off("event"), event);
            args.set(ADDRESS, Abi.EVENT_ON_READY.off("callback"), STUB);
            args.set(ADDRESS, Abi.EVENT_ON_READY.off("user_arg"), MemorySegment.ofAddress(ticket));
            api.call(Fn.PJRT_Event_OnReady, args);
        } catch (RuntimeException e) {
            PENDING.remove(ticket);
            destroy(api, event);
            throw e;
        }
        return future.whenCompleteAsync((ok, failure) -> destroy(api, event));
    }

    private static void destroy(PjrtApi api, MemorySegment event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.EVENT.allocate(a);
            args.set(ADDRESS, Abi.EVENT.off("event"), event);
            api.call(Fn.PJRT_Event_Destroy, args);
        }
    }

    /** The upcall: {@code void (*)(PJRT_Error* error, void* user_arg)}. Must not throw. */
    private static void onReady(MemorySegment error, MemorySegment userArg) {
        try {
            Pending p = PENDING.remove(userArg.address());
            if (p == null) {
                System.err.println("hlo4j: PJRT_Event_OnReady callback for unknown ticket " + userArg.address());
                return;
            }
            if (error.equals(MemorySegment.NULL)) p.future().complete(null);
            else {
                PjrtException e = p.api().toException("PJRT_Event_OnReady", error);
                p.future().completeExceptionally(new PjrtException(e.code(), e.call() + " (" + p.what() + ")", e.pluginMessage()));
            }
        } catch (Throwable t) {
            try {
                System.err.println("hlo4j: PJRT_Event_OnReady callback failed: " + t);
            } catch (Throwable ignored) {
                // nothing can be done here; an escaping throwable would end the JVM
            }
        }
    }
}
