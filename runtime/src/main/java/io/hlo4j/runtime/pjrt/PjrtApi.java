package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.Abi.Fn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A plugin's {@code PJRT_Api} table and the one way to call it: every slot is {@code PJRT_Error* f(Args*)}
 * (two are {@code void f(Args*)}), so two address-less downcall handles serve the whole table. A
 * non-NULL error is read (message, code), destroyed, and thrown as a {@link PjrtException} naming the call.
 */
final class PjrtApi {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle CALL = LINKER.downcallHandle(FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle CALL_VOID = LINKER.downcallHandle(FunctionDescriptor.ofVoid(ADDRESS));

    private final MemorySegment table;
    private final long slots;
    private final int major, minor;

    PjrtApi(MemorySegment rawApi, String pluginPath) {
        if (rawApi.equals(MemorySegment.NULL))
            throw new PjrtException(PjrtErrorCode.FAILED_PRECONDITION, "GetPjrtApi", pluginPath + " returned a NULL PJRT_Api");
        long size = rawApi.reinterpret(8).get(JAVA_LONG, 0);
        if (size < Abi.API_FIRST_SLOT)
            throw new PjrtException(PjrtErrorCode.FAILED_PRECONDITION, "GetPjrtApi",
                    pluginPath + " reports a PJRT_Api of " + size + " bytes, too small to hold a version");
        this.table = rawApi.reinterpret(size);
        this.slots = (size - Abi.API_FIRST_SLOT) / 8;
        this.major = table.get(JAVA_INT, Abi.API_MAJOR);
        this.minor = table.get(JAVA_INT, Abi.API_MINOR);
        if (major != Abi.MAJOR || minor < Abi.MIN_MINOR)
            throw new PjrtException(PjrtErrorCode.FAILED_PRECONDITION, "GetPjrtApi", pluginPath + " implements PJRT C API "
                    + major + "." + minor + "; hlo4j needs " + Abi.MAJOR + "." + Abi.MIN_MINOR + " or newer within major "
                    + Abi.MAJOR + " (its layouts follow " + Abi.MAJOR + "." + Abi.MINOR + ")");
    }

    int major() { return major; }

    int minor() { return minor; }

    long slots() { return slots; }

    /** The slot's function pointer, NULL where the plugin leaves it empty or its table is shorter. */
    private MemorySegment slot(Fn fn) {
        return fn.slot < slots ? table.get(ADDRESS, Abi.API_FIRST_SLOT + 8L * fn.slot) : MemorySegment.NULL;
    }

    /** Whether the plugin implements {@code fn} (its slot exists and is not NULL). */
    boolean has(Fn fn) { return !slot(fn).equals(MemorySegment.NULL); }

    /** The slot's function; a NULL slot is refused as UNIMPLEMENTED naming the call. */
    private MemorySegment fn(Fn fn) {
        MemorySegment p = slot(fn);
        if (p.equals(MemorySegment.NULL))
            throw new PjrtException(PjrtErrorCode.UNIMPLEMENTED, fn.name(), "the plugin (PJRT C API " + major + "." + minor
                    + ", " + slots + " slots) does not implement " + fn.name());
        return p;
    }

    /** Calls {@code fn(args)}; throws the plugin's error, if any, as a PjrtException. */
    void call(Fn fn, MemorySegment args) {
        MemorySegment f = fn(fn);   // outside the try: an empty slot is the caller's PjrtException, not a downcall failure
        MemorySegment error;
        try {
            error = (MemorySegment) CALL.invokeExact(f, args);
        } catch (Throwable t) {
            throw new IllegalStateException("downcall " + fn.name() + " failed", t);
        }
        check(fn.name(), error);
    }

    /** Turns a non-NULL {@code PJRT_Error*} (owned by us) into an exception; destroys it. */
    void check(String call, MemorySegment error) {
        if (error.equals(MemorySegment.NULL)) return;
        throw toException(call, error);
    }

    /**
     * Reads message and code of a plugin error, then destroys it. A plugin whose PJRT_Error_GetCode fails
     * or is missing still yields its message, with code UNKNOWN; the GetCode error is destroyed too.
     */
    PjrtException toException(String call, MemorySegment error) {
        String message;
        PjrtErrorCode code = PjrtErrorCode.UNKNOWN;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = Abi.ERROR_MESSAGE.allocate(a);
            m.set(ADDRESS, Abi.ERROR_MESSAGE.off("error"), error);
            callVoid(Fn.PJRT_Error_Message, m);
            message = string(m.get(ADDRESS, Abi.ERROR_MESSAGE.off("message")), m.get(JAVA_LONG, Abi.ERROR_MESSAGE.off("message_size")));
            MemorySegment getCode = slot(Fn.PJRT_Error_GetCode);
            if (!getCode.equals(MemorySegment.NULL)) {
                MemorySegment c = Abi.ERROR_GET_CODE.allocate(a);
                c.set(ADDRESS, Abi.ERROR_GET_CODE.off("error"), error);
                MemorySegment codeError = (MemorySegment) CALL.invokeExact(getCode, c);
                if (codeError.equals(MemorySegment.NULL)) code = PjrtErrorCode.of(c.get(JAVA_INT, Abi.ERROR_GET_CODE.off("code")));
                else destroyError(codeError, a);
            }
            destroyError(error, a);
        } catch (PjrtException | IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("reading the PJRT_Error of " + call + " failed", t);
        }
        return new PjrtException(code, call, message);
    }

    private void destroyError(MemorySegment error, Arena a) {
        MemorySegment d = Abi.ERROR_DESTROY.allocate(a);
        d.set(ADDRESS, Abi.ERROR_DESTROY.off("error"), error);
        callVoid(Fn.PJRT_Error_Destroy, d);
    }

    private void callVoid(Fn fn, MemorySegment args) {
        MemorySegment f = fn(fn);
        try {
            CALL_VOID.invokeExact(f, args);
        } catch (Throwable t) {
            throw new IllegalStateException("downcall " + fn.name() + " failed", t);
        }
    }

    /** Calls a plugin-provided {@code void f(void*)} (e.g. a deleter handed out by the plugin). */
    static void callPointer(MemorySegment fn, MemorySegment arg, String what) {
        if (fn.equals(MemorySegment.NULL)) throw new PjrtException(PjrtErrorCode.INTERNAL, what, "plugin returned a NULL function pointer");
        try {
            CALL_VOID.invokeExact(fn, arg);
        } catch (Throwable t) {
            throw new IllegalStateException("downcall " + what + " failed", t);
        }
    }

    /** A (pointer, size) string from the plugin; not NUL-terminated by contract. */
    static String string(MemorySegment ptr, long size) {
        if (size == 0) return "";
        return new String(ptr.reinterpret(size).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Awaits a plugin event, then destroys it; the event's error (if any) is thrown after the destroy. */
    void awaitAndDestroy(MemorySegment event, String what) {
        if (event.equals(MemorySegment.NULL)) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.EVENT.allocate(a);
            args.set(ADDRESS, Abi.EVENT.off("event"), event);
            PjrtException failed = null;
            try {
                call(Fn.PJRT_Event_Await, args);
            } catch (PjrtException e) {
                failed = new PjrtException(e.code(), e.call() + " (" + what + ")", e.pluginMessage());
            }
            try {
                call(Fn.PJRT_Event_Destroy, args);
            } catch (RuntimeException e) {
                if (failed == null) throw e;
                failed.addSuppressed(e);   // the event's own error is what the caller needs first
            }
            if (failed != null) throw failed;
        }
    }
}
