package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.Abi.Fn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A PJRT client: devices, compile, host-to-device transfers. Owns the executables and buffers made
 * through it; closing the client closes those still open, then destroys the client.
 */
public final class PjrtClient extends NativeHandle {
    private final PjrtPlugin plugin;
    private final PjrtApi api;
    private final Set<NativeHandle> children = Collections.synchronizedSet(new LinkedHashSet<>());
    private static final java.util.concurrent.atomic.AtomicLong SERIALS = new java.util.concurrent.atomic.AtomicLong(1);
    /** Tells clients of one plugin apart in messages. */
    private final long serial = SERIALS.getAndIncrement();

    /** The key-value store's ticket ({@link KvCallbacks}), 0 without one; dropped when the client is destroyed. */
    private final long kvTicket;

    PjrtClient(PjrtPlugin plugin, MemorySegment client, long kvTicket) {
        super(client, null);
        this.plugin = plugin;
        this.api = plugin.api();
        this.kvTicket = kvTicket;
    }

    /**
     * {@code PJRT_Client_ProcessIndex}: which process of a multi-process job this client is (0 in a single-process
     * one); a plugin without the call is single-process, so 0.
     */
    public int processIndex() {
        MemorySegment client = enter("PjrtClient.processIndex");
        try (Arena a = Arena.ofConfined()) {
            if (!api.has(Fn.PJRT_Client_ProcessIndex)) return 0;
            MemorySegment args = Abi.CLIENT_PROCESS_INDEX.allocate(a);
            args.set(ADDRESS, Abi.CLIENT_PROCESS_INDEX.off("client"), client);
            api.call(Fn.PJRT_Client_ProcessIndex, args);
            return args.get(JAVA_INT, Abi.CLIENT_PROCESS_INDEX.off("process_index"));
        } finally {
            exit();
        }
    }

    PjrtApi api() { return api; }

    public PjrtPlugin plugin() { return plugin; }

    public String platformName() { return clientString(Fn.PJRT_Client_PlatformName, "PjrtClient.platformName"); }

    public String platformVersion() { return clientString(Fn.PJRT_Client_PlatformVersion, "PjrtClient.platformVersion"); }

    private String clientString(Fn fn, String call) {
        MemorySegment client = enter(call);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.CLIENT_STRING.allocate(a);
            args.set(ADDRESS, Abi.CLIENT_STRING.off("client"), client);
            api.call(fn, args);
            return PjrtApi.string(args.get(ADDRESS, Abi.CLIENT_STRING.off("value")), args.get(JAVA_LONG, Abi.CLIENT_STRING.off("value_size")));
        } finally {
            exit();
        }
    }

    /**
     * All devices of the (possibly multi-process) job, addressable or not, in the plugin's order: what a device
     * assignment over several processes is made of. A device of another process is listed with its process index and
     * {@code addressable() == false}; this process cannot put data on it or run on it.
     */
    public List<PjrtDevice> devices() {
        MemorySegment client = enter("PjrtClient.devices");
        try {
            Set<MemorySegment> local = new HashSet<>(devicePointers(client, Fn.PJRT_Client_AddressableDevices));
            List<PjrtDevice> out = new ArrayList<>();
            for (MemorySegment d : devicePointers(client, Fn.PJRT_Client_Devices)) out.add(describe(d, local.contains(d)));
            return List.copyOf(out);
        } finally {
            exit();
        }
    }

    /** The devices this process can run on, in the plugin's order. */
    public List<PjrtDevice> addressableDevices() {
        MemorySegment client = enter("PjrtClient.addressableDevices");
        try {
            List<PjrtDevice> out = new ArrayList<>();
            for (MemorySegment d : devicePointers(client, Fn.PJRT_Client_AddressableDevices)) out.add(describe(d, true));
            return List.copyOf(out);
        } finally {
            exit();
        }
    }

    private List<MemorySegment> devicePointers(MemorySegment client, Fn fn) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.CLIENT_DEVICES.allocate(a);
            args.set(ADDRESS, Abi.CLIENT_DEVICES.off("client"), client);
            api.call(fn, args);
            return pointerArray(args.get(ADDRESS, Abi.CLIENT_DEVICES.off("devices")), args.get(JAVA_LONG, Abi.CLIENT_DEVICES.off("num_devices")));
        }
    }

    static List<MemorySegment> pointerArray(MemorySegment array, long n) {
        MemorySegment arr = array.reinterpret(n * ADDRESS.byteSize());
        List<MemorySegment> out = new ArrayList<>();
        for (long i = 0; i < n; i++) out.add(arr.getAtIndex(ADDRESS, i));
        return out;
    }

    /** A device's description; called inside a call on this client (or one of its objects), which keeps it open. */
    PjrtDevice describe(MemorySegment device, boolean addressable) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = Abi.DEVICE_GET_DESCRIPTION.allocate(a);
            g.set(ADDRESS, Abi.DEVICE_GET_DESCRIPTION.off("device"), device);
            api.call(Fn.PJRT_Device_GetDescription, g);
            MemorySegment desc = g.get(ADDRESS, Abi.DEVICE_GET_DESCRIPTION.off("device_description"));
            MemorySegment id = Abi.DESCRIPTION_ID.allocate(a);
            id.set(ADDRESS, Abi.DESCRIPTION_ID.off("device_description"), desc);
            api.call(Fn.PJRT_DeviceDescription_Id, id);
            MemorySegment kind = Abi.DESCRIPTION_KIND.allocate(a);
            kind.set(ADDRESS, Abi.DESCRIPTION_KIND.off("device_description"), desc);
            api.call(Fn.PJRT_DeviceDescription_Kind, kind);
            int process = -1;   // unknown: a plugin without PJRT_DeviceDescription_ProcessIndex
            if (api.has(Fn.PJRT_DeviceDescription_ProcessIndex)) {
                MemorySegment pi = Abi.DESCRIPTION_PROCESS_INDEX.allocate(a);
                pi.set(ADDRESS, Abi.DESCRIPTION_PROCESS_INDEX.off("device_description"), desc);
                api.call(Fn.PJRT_DeviceDescription_ProcessIndex, pi);
                process = pi.get(JAVA_INT, Abi.DESCRIPTION_PROCESS_INDEX.off("process_index"));
            }
            return new PjrtDevice(this, id.get(JAVA_INT, Abi.DESCRIPTION_ID.off("id")),
                    PjrtApi.string(kind.get(ADDRESS, Abi.DESCRIPTION_KIND.off("device_kind")), kind.get(JAVA_LONG, Abi.DESCRIPTION_KIND.off("device_kind_size"))),
                    addressable, process, device);
        }
    }

    /** Compiles StableHLO text (program format {@code mlir}) with the given options. */
    public PjrtExecutable compile(String stablehlo, CompileOptions options) {
        byte[] opts = options.toBytes();
        MemorySegment client = enter("PjrtClient.compile");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment code = a.allocateFrom(stablehlo);
            MemorySegment format = a.allocateFrom("mlir");
            MemorySegment program = Abi.PROGRAM.allocate(a);
            program.set(ADDRESS, Abi.PROGRAM.off("code"), code);
            program.set(JAVA_LONG, Abi.PROGRAM.off("code_size"), code.byteSize() - 1);
            program.set(ADDRESS, Abi.PROGRAM.off("format"), format);
            program.set(JAVA_LONG, Abi.PROGRAM.off("format_size"), format.byteSize() - 1);
            MemorySegment args = Abi.CLIENT_COMPILE.allocate(a);
            args.set(ADDRESS, Abi.CLIENT_COMPILE.off("client"), client);
            args.set(ADDRESS, Abi.CLIENT_COMPILE.off("program"), program);
            args.set(ADDRESS, Abi.CLIENT_COMPILE.off("compile_options"), a.allocateFrom(JAVA_BYTE, opts));
            args.set(JAVA_LONG, Abi.CLIENT_COMPILE.off("compile_options_size"), opts.length);
            api.call(Fn.PJRT_Client_Compile, args);
            return adoptExecutable(args.get(ADDRESS, Abi.CLIENT_COMPILE.off("executable")));
        } finally {
            exit();
        }
    }

    /** Called inside a call on this client: its close then finds the new executable among its objects. */
    private PjrtExecutable adoptExecutable(MemorySegment loaded) {
        PjrtExecutable exe = new PjrtExecutable(this, loaded);
        children.add(exe);
        try {
            exe.loadMetadata();
        } catch (RuntimeException e) {
            exe.close();
            throw e;
        }
        return exe;
    }

    /** {@code PJRT_Executable_DeserializeAndLoad}: bytes from {@link PjrtExecutable#serialize()}. */
    public PjrtExecutable deserialize(byte[] serialized) {
        MemorySegment client = enter("PjrtClient.deserialize");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.EXECUTABLE_DESERIALIZE.allocate(a);
            args.set(ADDRESS, Abi.EXECUTABLE_DESERIALIZE.off("client"), client);
            args.set(ADDRESS, Abi.EXECUTABLE_DESERIALIZE.off("serialized_executable"), a.allocateFrom(JAVA_BYTE, serialized));
            args.set(JAVA_LONG, Abi.EXECUTABLE_DESERIALIZE.off("serialized_executable_size"), serialized.length);
            api.call(Fn.PJRT_Executable_DeserializeAndLoad, args);
            return adoptExecutable(args.get(ADDRESS, Abi.EXECUTABLE_DESERIALIZE.off("loaded_executable")));
        } finally {
            exit();
        }
    }

    /** Copies dense row-major host data to {@code device} (the plugin copies during the call). */
    public PjrtBuffer toDevice(HostData data, PjrtDevice device) {
        long[] dims = data.dims();
        MemorySegment client = enter("PjrtClient.toDevice");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devicePointer = device.pointerFor(this, "PJRT_Client_BufferFromHostBuffer");
            if (!device.addressable())
                throw new IllegalArgumentException("PJRT_Client_BufferFromHostBuffer: device " + device.id() + " belongs to process " + device.processIndex()
                        + ", not to this process (" + processIndex() + "); a process puts data only on its addressable devices "
                        + addressableDevices().stream().map(PjrtDevice::id).toList());
            MemorySegment args = Abi.BUFFER_FROM_HOST.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_FROM_HOST.off("client"), client);
            args.set(ADDRESS, Abi.BUFFER_FROM_HOST.off("data"), a.allocateFrom(JAVA_BYTE, data.bytes()));
            args.set(JAVA_INT, Abi.BUFFER_FROM_HOST.off("type"), data.type().code());
            if (dims.length > 0) {
                long[] strides = new long[dims.length];
                long s = data.type().byteSize();
                for (int i = dims.length - 1; i >= 0; i--) { strides[i] = s; s *= dims[i]; }
                args.set(ADDRESS, Abi.BUFFER_FROM_HOST.off("dims"), a.allocateFrom(JAVA_LONG, dims));
                args.set(ADDRESS, Abi.BUFFER_FROM_HOST.off("byte_strides"), a.allocateFrom(JAVA_LONG, strides));
            }
            args.set(JAVA_LONG, Abi.BUFFER_FROM_HOST.off("num_dims"), dims.length);
            args.set(JAVA_LONG, Abi.BUFFER_FROM_HOST.off("num_byte_strides"), dims.length);
            args.set(JAVA_INT, Abi.BUFFER_FROM_HOST.off("host_buffer_semantics"), Abi.IMMUTABLE_ONLY_DURING_CALL);
            args.set(ADDRESS, Abi.BUFFER_FROM_HOST.off("device"), devicePointer);
            api.call(Fn.PJRT_Client_BufferFromHostBuffer, args);
            PjrtBuffer b = adopt(args.get(ADDRESS, Abi.BUFFER_FROM_HOST.off("buffer")), device);
            try {
                // The host bytes live in this arena: wait until the plugin is done with them.
                api.awaitAndDestroy(args.get(ADDRESS, Abi.BUFFER_FROM_HOST.off("done_with_host_buffer")), "done_with_host_buffer");
            } catch (RuntimeException e) {
                b.close();
                throw e;
            }
            return b;
        } finally {
            exit();
        }
    }

    /** Called inside a call on this client (toDevice, an executable's execute). */
    PjrtBuffer adopt(MemorySegment buffer, PjrtDevice device) {
        PjrtBuffer b = new PjrtBuffer(this, buffer, device);
        children.add(b);
        return b;
    }

    void forget(NativeHandle child) { children.remove(child); }

    /** Executables and buffers made through this client and not yet closed. */
    public int openObjects() { return children.size(); }

    /** Under the write lock: no call on this client or its objects is in flight. */
    @Override void destroy(MemorySegment client) {
        List<NativeHandle> open;
        synchronized (children) {
            open = new ArrayList<>(children);
        }
        // Buffers first, then executables (reverse creation order keeps dependants before owners).
        Collections.reverse(open);
        for (NativeHandle h : open) h.closeByOwner();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.CLIENT_DESTROY.allocate(a);
            args.set(ADDRESS, Abi.CLIENT_DESTROY.off("client"), client);
            api.call(Fn.PJRT_Client_Destroy, args);
        } finally {
            if (kvTicket != 0) KvCallbacks.unregister(kvTicket);
        }
    }

    @Override String describe() { return "PJRT client #" + serial + " (" + plugin.path().getFileName() + ")"; }
}
