package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.Abi.Fn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** A loaded executable: runs on the devices it was compiled for, one argument list per device. */
public final class PjrtExecutable extends NativeHandle {
    private final PjrtClient client;
    private int numOutputs = -1;
    private List<PjrtDevice> devices = List.of();

    PjrtExecutable(PjrtClient client, MemorySegment loaded) {
        super(loaded, client);
        this.client = client;
    }

    /** Reads what execute needs once: output count (through a temporary PJRT_Executable) and devices. */
    void loadMetadata() {
        PjrtApi api = client.api();
        MemorySegment loaded = enter("PjrtClient.compile");
        try (Arena a = Arena.ofConfined()) {
            numOutputs = withExecutable(loaded, a, exe -> {
                MemorySegment n = Abi.NUM_OUTPUTS.allocate(a);
                n.set(ADDRESS, Abi.NUM_OUTPUTS.off("executable"), exe);
                api.call(Fn.PJRT_Executable_NumOutputs, n);
                return Math.toIntExact(n.get(JAVA_LONG, Abi.NUM_OUTPUTS.off("num_outputs")));
            });
            MemorySegment ad = Abi.LOADED_DEVICES.allocate(a);
            ad.set(ADDRESS, Abi.LOADED_DEVICES.off("executable"), loaded);
            api.call(Fn.PJRT_LoadedExecutable_AddressableDevices, ad);
            List<PjrtDevice> ds = new ArrayList<>();
            for (MemorySegment d : PjrtClient.pointerArray(ad.get(ADDRESS, Abi.LOADED_DEVICES.off("addressable_devices")),
                    ad.get(JAVA_LONG, Abi.LOADED_DEVICES.off("num_addressable_devices"))))
                ds.add(client.describe(d, true));
            devices = List.copyOf(ds);
        } finally {
            exit();
        }
    }

    public int numOutputs() { checkOpen("PjrtExecutable.numOutputs"); return numOutputs; }

    /**
     * Runs {@code body} on a temporary {@code PJRT_Executable} of this loaded executable, then destroys it; as
     * {@code call} on this executable ({@link #enter}).
     */
    private <T> T withExecutable(String call, Arena a, java.util.function.Function<MemorySegment, T> body) {
        MemorySegment loaded = enter(call);
        try {
            return withExecutable(loaded, a, body);
        } finally {
            exit();
        }
    }

    private <T> T withExecutable(MemorySegment loaded, Arena a, java.util.function.Function<MemorySegment, T> body) {
        PjrtApi api = client.api();
        MemorySegment g = Abi.GET_EXECUTABLE.allocate(a);
        g.set(ADDRESS, Abi.GET_EXECUTABLE.off("loaded_executable"), loaded);
        api.call(Fn.PJRT_LoadedExecutable_GetExecutable, g);
        MemorySegment exe = g.get(ADDRESS, Abi.GET_EXECUTABLE.off("executable"));
        try {
            return body.apply(exe);
        } finally {
            MemorySegment d = Abi.EXECUTABLE_DESTROY.allocate(a);
            d.set(ADDRESS, Abi.EXECUTABLE_DESTROY.off("executable"), exe);
            api.call(Fn.PJRT_Executable_Destroy, d);
        }
    }

    /**
     * {@code PJRT_Executable_GetCostAnalysis}: the plugin's cost properties (e.g. "flops",
     * "bytes accessed"), as Float/Long/String/long[]/Boolean values by name.
     */
    public java.util.Map<String, Object> costAnalysis() {
        try (Arena a = Arena.ofConfined()) {
            return withExecutable("PjrtExecutable.costAnalysis", a, exe -> {
                MemorySegment args = Abi.COST_ANALYSIS.allocate(a);
                args.set(ADDRESS, Abi.COST_ANALYSIS.off("executable"), exe);
                client.api().call(Fn.PJRT_Executable_GetCostAnalysis, args);
                // The properties live as long as the PJRT_Executable: copy before it is destroyed.
                return PjrtPlugin.namedValues("PJRT_Executable_GetCostAnalysis", args.get(ADDRESS, Abi.COST_ANALYSIS.off("properties")),
                        args.get(JAVA_LONG, Abi.COST_ANALYSIS.off("num_properties")));
            });
        }
    }

    /** A program as the plugin returns it: its format (e.g. "hlo": a serialized HloModuleProto) and bytes. */
    public record Program(String format, byte[] code) {}

    /**
     * {@code PJRT_Executable_OptimizedProgram}: the program after the plugin's compiler ran (for XLA
     * plugins an HloModuleProto, format "hlo"). Two calls: the size, then the bytes.
     */
    public Program optimizedProgram() {
        try (Arena a = Arena.ofConfined()) {
            return withExecutable("PjrtExecutable.optimizedProgram", a, exe -> {
                MemorySegment program = Abi.PROGRAM.allocate(a);
                MemorySegment args = Abi.OPTIMIZED_PROGRAM.allocate(a);
                args.set(ADDRESS, Abi.OPTIMIZED_PROGRAM.off("executable"), exe);
                args.set(ADDRESS, Abi.OPTIMIZED_PROGRAM.off("program"), program);
                client.api().call(Fn.PJRT_Executable_OptimizedProgram, args);   // code NULL: the plugin sets code_size
                long size = program.get(JAVA_LONG, Abi.PROGRAM.off("code_size"));
                MemorySegment code = a.allocate(Math.max(size, 1));
                program.set(ADDRESS, Abi.PROGRAM.off("code"), code);
                program.set(JAVA_LONG, Abi.PROGRAM.off("code_size"), size);
                client.api().call(Fn.PJRT_Executable_OptimizedProgram, args);
                long written = program.get(JAVA_LONG, Abi.PROGRAM.off("code_size"));
                if (written > size)
                    throw new PjrtException(PjrtErrorCode.INTERNAL, "PJRT_Executable_OptimizedProgram",
                            "plugin wrote " + written + " bytes into a buffer of " + size);
                String format = PjrtApi.string(program.get(ADDRESS, Abi.PROGRAM.off("format")), program.get(JAVA_LONG, Abi.PROGRAM.off("format_size")));
                return new Program(format, code.asSlice(0, written).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            });
        }
    }

    /** {@code PJRT_Executable_GetCompiledMemoryStats}; fields the plugin predates read 0. */
    public CompiledMemoryStats memoryStats() {
        try (Arena a = Arena.ofConfined()) {
            return withExecutable("PjrtExecutable.memoryStats", a, exe -> {
                MemorySegment s = Abi.MEMORY_STATS.allocate(a);
                s.set(ADDRESS, Abi.MEMORY_STATS.off("executable"), exe);
                client.api().call(Fn.PJRT_Executable_GetCompiledMemoryStats, s);
                java.util.function.ToLongFunction<String> f = name -> s.get(JAVA_LONG, Abi.MEMORY_STATS.off(name));
                return new CompiledMemoryStats(f.applyAsLong("generated_code_size_in_bytes"), f.applyAsLong("argument_size_in_bytes"),
                        f.applyAsLong("output_size_in_bytes"), f.applyAsLong("alias_size_in_bytes"), f.applyAsLong("temp_size_in_bytes"),
                        f.applyAsLong("host_generated_code_size_in_bytes"), f.applyAsLong("host_argument_size_in_bytes"),
                        f.applyAsLong("host_output_size_in_bytes"), f.applyAsLong("host_alias_size_in_bytes"),
                        f.applyAsLong("host_temp_size_in_bytes"), f.applyAsLong("peak_memory_in_bytes"), f.applyAsLong("total_size_in_bytes"),
                        f.applyAsLong("total_allocation_bytes"), f.applyAsLong("indefinite_allocations"), f.applyAsLong("peak_unpadded_heap_bytes"));
            });
        }
    }

    /**
     * Device and host memory an executable needs, as the plugin's compiler reports it. Fields newer than the
     * plugin read 0: peakMemoryBytes (C API 0.72), totalBytes (0.90), the last three (0.104).
     */
    public record CompiledMemoryStats(long generatedCodeBytes, long argumentBytes, long outputBytes, long aliasBytes,
                                      long tempBytes, long hostGeneratedCodeBytes, long hostArgumentBytes, long hostOutputBytes,
                                      long hostAliasBytes, long hostTempBytes, long peakMemoryBytes, long totalBytes,
                                      long totalAllocationBytes, long indefiniteAllocations, long peakUnpaddedHeapBytes) {}

    /**
     * {@code PJRT_Executable_Serialize}: the plugin's own (version-specific) bytes for this executable,
     * loadable again with {@link PjrtClient#deserialize(byte[])} on the same plugin and device kind.
     */
    public byte[] serialize() {
        PjrtApi api = client.api();
        try (Arena a = Arena.ofConfined()) {
            return withExecutable("PjrtExecutable.serialize", a, exe -> {
                MemorySegment s = Abi.EXECUTABLE_SERIALIZE.allocate(a);
                s.set(ADDRESS, Abi.EXECUTABLE_SERIALIZE.off("executable"), exe);
                api.call(Fn.PJRT_Executable_Serialize, s);
                MemorySegment backing = s.get(ADDRESS, Abi.EXECUTABLE_SERIALIZE.off("serialized_executable"));
                try {
                    long n = s.get(JAVA_LONG, Abi.EXECUTABLE_SERIALIZE.off("serialized_bytes_size"));
                    return s.get(ADDRESS, Abi.EXECUTABLE_SERIALIZE.off("serialized_bytes")).reinterpret(n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                } finally {
                    PjrtApi.callPointer(s.get(ADDRESS, Abi.EXECUTABLE_SERIALIZE.off("serialized_executable_deleter")), backing,
                            "serialized_executable_deleter");
                }
            });
        }
    }

    /** The devices this executable runs on, in the order execute's argument lists follow. */
    public List<PjrtDevice> devices() { checkOpen("PjrtExecutable.devices"); return devices; }

    /** Single-device execute. */
    public List<PjrtBuffer> execute(PjrtBuffer... args) {
        return execute(List.of(List.of(args))).getFirst();
    }

    /**
     * Runs with {@code perDevice.get(d)} as the arguments on {@link #devices()}{@code .get(d)}; returns
     * the outputs per device. Waits for every device to complete.
     */
    public List<List<PjrtBuffer>> execute(List<List<PjrtBuffer>> perDevice) {
        checkOpen("PjrtExecutable.execute");
        int nd = perDevice.size();
        if (nd != devices.size())
            throw new IllegalArgumentException("execute: " + nd + " argument lists for an executable on " + devices.size() + " devices");
        int nargs = perDevice.getFirst().size();
        for (int d = 0; d < nd; d++)
            if (perDevice.get(d).size() != nargs)
                throw new IllegalArgumentException("execute: device " + d + " has " + perDevice.get(d).size() + " arguments, device 0 has " + nargs);
        for (int d = 0; d < nd; d++)
            for (int i = 0; i < nargs; i++) {
                PjrtBuffer b = perDevice.get(d).get(i);
                if (b.client() != client)
                    throw new IllegalArgumentException("PJRT_LoadedExecutable_Execute: argument " + i + " for device " + devices.get(d).id()
                            + " is a buffer of another " + b.client().describe() + ", not of this executable's " + client.describe());
            }
        PjrtApi api = client.api();
        List<List<PjrtBuffer>> results = new ArrayList<>();
        // The executable and every argument stay open until the plugin is done with them (their closes wait).
        MemorySegment exe = enter("PjrtExecutable.execute");
        List<PjrtBuffer> entered = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment argLists = a.allocate(ADDRESS, nd);
            MemorySegment outLists = a.allocate(ADDRESS, nd);
            MemorySegment[] outs = new MemorySegment[nd];
            for (int d = 0; d < nd; d++) {
                MemorySegment list = a.allocate(ADDRESS, Math.max(nargs, 1));
                for (int i = 0; i < nargs; i++) {
                    PjrtBuffer b = perDevice.get(d).get(i);
                    list.setAtIndex(ADDRESS, i, b.enter("PjrtExecutable.execute", i, devices.get(d).id()));
                    entered.add(b);
                }
                argLists.setAtIndex(ADDRESS, d, list);
                outs[d] = a.allocate(ADDRESS, Math.max(numOutputs, 1));
                outLists.setAtIndex(ADDRESS, d, outs[d]);
            }
            MemorySegment events = a.allocate(ADDRESS, nd);
            MemorySegment options = Abi.EXECUTE_OPTIONS.allocate(a);   // zeroed: launch_id 0, no callbacks
            MemorySegment args = Abi.EXECUTE.allocate(a);
            args.set(ADDRESS, Abi.EXECUTE.off("executable"), exe);
            args.set(ADDRESS, Abi.EXECUTE.off("options"), options);
            args.set(ADDRESS, Abi.EXECUTE.off("argument_lists"), argLists);
            args.set(JAVA_LONG, Abi.EXECUTE.off("num_devices"), nd);
            args.set(JAVA_LONG, Abi.EXECUTE.off("num_args"), nargs);
            args.set(ADDRESS, Abi.EXECUTE.off("output_lists"), outLists);
            args.set(ADDRESS, Abi.EXECUTE.off("device_complete_events"), events);
            api.call(Fn.PJRT_LoadedExecutable_Execute, args);
            for (int d = 0; d < nd; d++) {
                List<PjrtBuffer> r = new ArrayList<>();
                for (int o = 0; o < numOutputs; o++) r.add(client.adopt(outs[d].getAtIndex(ADDRESS, o), devices.get(d)));
                results.add(List.copyOf(r));
            }
            RuntimeException failed = null;
            for (int d = 0; d < nd; d++) {
                try {
                    api.awaitAndDestroy(events.getAtIndex(ADDRESS, d), "execution on device " + devices.get(d).id());
                } catch (RuntimeException e) {
                    if (failed == null) failed = e;
                }
            }
            if (failed != null) {
                for (List<PjrtBuffer> r : results) for (PjrtBuffer b : r) b.close();
                throw failed;
            }
        } finally {
            for (PjrtBuffer b : entered) b.exit();
            exit();
        }
        return List.copyOf(results);
    }

    @Override void destroy(MemorySegment loaded) {
        client.forget(this);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.EXECUTABLE_DESTROY.allocate(a);
            args.set(ADDRESS, Abi.EXECUTABLE_DESTROY.off("executable"), loaded);
            client.api().call(Fn.PJRT_LoadedExecutable_Destroy, args);
        }
    }

    @Override String describe() { return "PJRT executable"; }
}
