package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.Abi.Fn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** An array on a device. {@link #toHost()} copies it back dense row-major. */
public final class PjrtBuffer extends NativeHandle {
    private final PjrtClient client;
    private final PjrtDevice device;

    PjrtBuffer(PjrtClient client, MemorySegment buffer, PjrtDevice device) {
        super(buffer, client);
        this.client = client;
        this.device = device;
    }

    public PjrtDevice device() { checkOpen("PjrtBuffer.device"); return device; }

    PjrtClient client() { return client; }

    public ElementType elementType() {
        MemorySegment buffer = enter("PjrtBuffer.elementType");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.BUFFER_ELEMENT_TYPE.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_ELEMENT_TYPE.off("buffer"), buffer);
            client.api().call(Fn.PJRT_Buffer_ElementType, args);
            return ElementType.of(args.get(JAVA_INT, Abi.BUFFER_ELEMENT_TYPE.off("type")));
        } finally {
            exit();
        }
    }

    public long[] dims() {
        MemorySegment buffer = enter("PjrtBuffer.dims");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.BUFFER_DIMENSIONS.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_DIMENSIONS.off("buffer"), buffer);
            client.api().call(Fn.PJRT_Buffer_Dimensions, args);
            long n = args.get(JAVA_LONG, Abi.BUFFER_DIMENSIONS.off("num_dims"));
            if (n == 0) return new long[0];
            return args.get(ADDRESS, Abi.BUFFER_DIMENSIONS.off("dims")).reinterpret(n * 8).toArray(JAVA_LONG);   // the dims live as long as the buffer: copied here
        } finally {
            exit();
        }
    }

    /** Waits until the buffer's contents are computed ({@code PJRT_Buffer_ReadyEvent}). */
    public void awaitReady() {
        MemorySegment buffer = enter("PjrtBuffer.awaitReady");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.BUFFER_READY_EVENT.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_READY_EVENT.off("buffer"), buffer);
            client.api().call(Fn.PJRT_Buffer_ReadyEvent, args);
            client.api().awaitAndDestroy(args.get(ADDRESS, Abi.BUFFER_READY_EVENT.off("event")), "buffer ready");
        } finally {
            exit();
        }
    }

    /**
     * Completes when the buffer's contents are computed, through {@code PJRT_Event_OnReady} (the
     * plugin calls back, possibly on its own thread); completes exceptionally with the plugin's error.
     */
    public java.util.concurrent.CompletableFuture<Void> readyAsync() {
        MemorySegment buffer = enter("PjrtBuffer.readyAsync");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.BUFFER_READY_EVENT.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_READY_EVENT.off("buffer"), buffer);
            client.api().call(Fn.PJRT_Buffer_ReadyEvent, args);
            return EventCallbacks.whenReady(client.api(), args.get(ADDRESS, Abi.BUFFER_READY_EVENT.off("event")), "buffer ready");
        } finally {
            exit();
        }
    }

    /** Copies the buffer to host memory (two-phase: size, then copy and await). */
    public HostData toHost() {
        MemorySegment buffer = enter("PjrtBuffer.toHost");
        PjrtApi api = client.api();
        try (Arena a = Arena.ofConfined()) {
            ElementType type = elementType();
            long[] dims = dims();
            MemorySegment args = Abi.BUFFER_TO_HOST.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_TO_HOST.off("src"), buffer);
            api.call(Fn.PJRT_Buffer_ToHostBuffer, args);   // dst NULL: the plugin reports dst_size
            long size = args.get(JAVA_LONG, Abi.BUFFER_TO_HOST.off("dst_size"));
            long expected = type.byteSize();
            for (long d : dims) expected *= d;
            if (type.byteSize() == 0 || size != expected)
                throw new PjrtException(PjrtErrorCode.INTERNAL, "PJRT_Buffer_ToHostBuffer", "plugin wants " + size
                        + " host bytes for " + type + java.util.Arrays.toString(dims) + ", dense row-major is " + expected);
            MemorySegment dst = a.allocate(Math.max(size, 1), 16);
            args.set(ADDRESS, Abi.BUFFER_TO_HOST.off("dst"), dst);
            api.call(Fn.PJRT_Buffer_ToHostBuffer, args);
            api.awaitAndDestroy(args.get(ADDRESS, Abi.BUFFER_TO_HOST.off("event")), "device-to-host copy");
            return new HostData(type, dims, dst.asSlice(0, size).toArray(JAVA_BYTE));
        } finally {
            exit();
        }
    }

    @Override void destroy(MemorySegment buffer) {
        client.forget(this);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.BUFFER_DESTROY.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_DESTROY.off("buffer"), buffer);
            client.api().call(Fn.PJRT_Buffer_Destroy, args);
        }
    }

    @Override String describe() { return "PJRT buffer on device " + device.id(); }
}
