package io.hlo4j.runtime.pjrt;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A plugin object we own (client, executable, buffer), safe to close while other threads call it. Each call that hands
 * the plugin the object's pointer runs between {@link #enter} and {@link #exit}: a read lock of the object, and first of
 * its owner (the client) for an executable or a buffer. {@link #close} marks the object closed (new calls are refused
 * with {@link PjrtClosedException} naming the object and the call), waits for the calls in flight (the write lock), then
 * frees it; a client's close so waits for the calls on its executables and buffers too, then closes them. A caller never
 * waits for a lock on entry ({@code tryLock}, which fails only while a close frees the object), so calls cannot deadlock
 * one another; only close waits, without a time limit: a call stuck in the plugin keeps close waiting as long (there is
 * no safe way to free an object under a call that uses it). Close is refused, instead of waiting forever, on a thread
 * inside a call on the object (or, for a client, on any of its objects) and inside a plugin's callback. A second close
 * is an IllegalStateException, as is a close racing another (the first one frees). Cost per call: an uncontended read
 * lock and unlock per object (two for a buffer or an executable).
 */
abstract sealed class NativeHandle implements AutoCloseable permits PjrtClient, PjrtExecutable, PjrtBuffer {
    private final MemorySegment handle;
    /** The client that owns this object; null for a client. */
    private final NativeHandle owner;
    private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();
    /** Null while open; once close begins, "" or " (by its client's close)". */
    private volatile String closedBy;

    NativeHandle(MemorySegment handle, NativeHandle owner) {
        this.handle = handle;
        this.owner = owner;
    }

    /**
     * Starts {@code call} on this object: returns its pointer, valid until {@link #exit()}, which the caller must call in
     * a finally block. Refuses a closed object, or one whose owner is closed, by name. A call nested in another call of
     * the same thread on this object goes on even once a close has begun (that close waits for the outer call anyway).
     */
    final MemorySegment enter(String call) { return enter(call, -1, -1); }

    /**
     * As {@link #enter(String)} for argument {@code argument} of {@code call} on device {@code device} (a negative argument:
     * none); the call's full name is built only when it is refused, not on every call.
     */
    final MemorySegment enter(String call, int argument, int device) {
        if (closedBy != null && guard.getReadHoldCount() == 0) throw closed(callName(call, argument, device));   // its own close first: the more precise message
        NativeHandle o = owner;
        if (o != null && !o.tryEnter()) {
            String c = callName(call, argument, device);
            throw new PjrtClosedException(describe() + " belongs to " + o.describe() + ", which is closed" + o.closedBy + "; " + c
                    + " cannot use it", describe(), c);
        }
        if (!tryEnter()) {
            if (o != null) o.guard.readLock().unlock();
            throw closed(callName(call, argument, device));
        }
        return handle;
    }

    private static String callName(String call, int argument, int device) {
        return argument < 0 ? call : call + " (argument " + argument + " for device " + device + ")";
    }

    /** Ends a call begun by {@link #enter}. */
    final void exit() {
        guard.readLock().unlock();
        if (owner != null) owner.guard.readLock().unlock();
    }

    private boolean tryEnter() {
        ReentrantReadWriteLock.ReadLock r = guard.readLock();
        if (!r.tryLock()) return false;   // held for writing: a close is freeing the object
        if (closedBy == null || guard.getReadHoldCount() > 1) return true;
        r.unlock();
        return false;
    }

    private PjrtClosedException closed(String call) {
        return new PjrtClosedException(describe() + " is closed" + closedBy + "; " + call + " cannot use it", describe(), call);
    }

    /** Refuses {@code call} (a query answered from Java, no pointer involved) once the object is closed. */
    final void checkOpen(String call) {
        if (closedBy != null) throw closed(call);
    }

    /** Whether close has begun (the object refuses new calls). */
    public boolean isClosed() { return closedBy != null; }

    /**
     * Waits for the calls in flight on this object (for a client: on it and its objects), then destroys it. Closing twice
     * is an error; so is closing on a thread inside a call on it or inside a plugin callback (it would wait forever).
     */
    @Override public void close() {
        if (Callbacks.inside())
            throw new IllegalStateException("close() of " + describe() + " inside a PJRT plugin callback is refused: the callback may be part"
                    + " of a call on it, which the close would wait for forever; close it after the call returns");
        if (guard.getReadHoldCount() > 0)
            throw new IllegalStateException("close() of " + describe() + " inside a call on it (or, for a client, on one of its executables"
                    + " or buffers) on the same thread is refused: it would wait for that call forever");
        NativeHandle o = owner;
        // An object's close holds its owner's read lock: the owner's close waits for it, and never finds it half closed.
        if (o != null) o.guard.readLock().lock();
        try {
            synchronized (this) {
                if (closedBy != null) throw new IllegalStateException(describe() + " is already closed" + closedBy);
                closedBy = "";
            }
            guard.writeLock().lock();   // the calls in flight end; new ones see closedBy
            try {
                destroy(handle);
            } finally {
                guard.writeLock().unlock();
            }
        } finally {
            if (o != null) o.guard.readLock().unlock();
        }
    }

    /**
     * Closed as part of closing its owner (the client), which holds its write lock: no call on this object is in flight.
     * A later close() names that.
     */
    final void closeByOwner() {
        synchronized (this) {
            if (closedBy != null) return;
            closedBy = " (by its client's close)";
        }
        guard.writeLock().lock();
        try {
            destroy(handle);
        } finally {
            guard.writeLock().unlock();
        }
    }

    abstract void destroy(MemorySegment handle);

    abstract String describe();

    /**
     * Marks the threads running a plugin callback, where close() must not wait. Only the key-value store's callbacks
     * ({@link KvCallbacks}) are marked: they run a user's store, which could close an object. A buffer's ready event
     * ({@link EventCallbacks}) only completes a future; what {@link PjrtBuffer#readyAsync} hands the user is a
     * {@code whenCompleteAsync} stage of it, so the user's code runs on a pool thread, not inside the callback.
     */
    static final class Callbacks {
        private Callbacks() {}

        private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

        static void enter() { DEPTH.get()[0]++; }

        static void exit() { DEPTH.get()[0]--; }

        static boolean inside() { return DEPTH.get()[0] > 0; }
    }
}
