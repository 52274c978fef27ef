package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs an explicit (per-device) program on the simulated devices of a mesh: splits each global argument into the
 * block every device holds ({@link ShardLayout}), runs {@code main} on N partitions (one replica) with
 * {@link Interpreter#runParallel}, and assembles each result from the devices' blocks, with every collective
 * executed recorded ({@link CollectiveLog}). Devices are partition ids; the mesh's device_ids say which mesh
 * position each one is.
 */
public final class SpmdRunner {
    private SpmdRunner() {}

    /** The block of {@code global} each device holds, indexed by device (partition id). */
    public static List<HostArray> split(HostArray global, MeshAttr mesh, TensorSharding sharding) {
        refuseComplex(global.type());
        ShardLayout layout = ShardLayout.of(mesh, sharding, global.shape(), "array " + global.type());
        long[] gshape = global.shape(), local = layout.localShape();
        TensorType localType = TensorType.of(global.elementType(), local);
        int n = (int) TensorType.of(global.elementType(), local).numElements();
        List<HostArray> out = new ArrayList<>();
        for (int dev = 0; dev < layout.devices(); dev++) {
            if (layout.unreducedIndex(dev) != 0) {
                out.add(HostArray.zeros(localType)); // a partial value: the block lives on unreduced index 0, zeros elsewhere
                continue;
            }
            long[] start = layout.blockStart(dev);
            long[] bits = new long[n];
            forEachElement(gshape, local, start, (k, g) -> bits[k] = global.getBits(g));
            out.add(HostArray.fromBits(localType, bits));
        }
        return out;
    }

    /**
     * The global array of {@code globalType} from each device's block. Devices holding the same block must hold the
     * same bits (an error names the two devices, the block and the first differing element); partial values along
     * unreduced axes are summed in unreduced-index order (in double or long precision, then converted).
     */
    public static HostArray assemble(List<HostArray> blocks, MeshAttr mesh, TensorSharding sharding, TensorType globalType) {
        refuseComplex(globalType);
        long[] gshape = globalType.shape();
        ShardLayout layout = ShardLayout.of(mesh, sharding, gshape, "result " + globalType);
        if (blocks.size() != layout.devices()) {
            throw new ShardingException("assemble got " + blocks.size() + " blocks but mesh " + mesh + " has " + layout.devices() + " devices");
        }
        long[] local = layout.localShape();
        TensorType localType = TensorType.of(globalType.elementType(), local);
        int total = (int) globalType.numElements();
        for (int dev = 0; dev < blocks.size(); dev++) {
            if (!blocks.get(dev).type().equals(localType)) {
                throw new ShardingException("device " + dev + " holds " + blocks.get(dev).type() + " but " + sharding + " of "
                        + globalType + " needs " + localType);
            }
        }
        int parts = layout.unreducedCount();
        if (parts > 1) return assemblePartial(blocks, layout, globalType);
        long[] bits = new long[total];
        int[] owner = new int[total];
        Arrays.fill(owner, -1);
        for (int dev = 0; dev < blocks.size(); dev++) {
            HostArray b = blocks.get(dev);
            int d = dev;
            forEachElement(gshape, local, layout.blockStart(dev), (k, g) -> {
                long v = b.getBits(k);
                if (owner[g] >= 0 && bits[g] != v) {
                    throw new ShardingException("replicas disagree: devices " + owner[g] + " and " + d + " both hold block "
                            + Arrays.toString(layout.blockIndex(d)) + " of " + globalType + " under " + sharding
                            + " but differ at local element " + k + " (bits 0x" + Long.toHexString(bits[g]) + " vs 0x" + Long.toHexString(v) + ")");
                }
                bits[g] = v;
                owner[g] = d;
            });
        }
        return HostArray.fromBits(globalType, bits);
    }

    private static HostArray assemblePartial(List<HostArray> blocks, ShardLayout layout, TensorType globalType) {
        long[] gshape = globalType.shape(), local = layout.localShape();
        int total = (int) globalType.numElements();
        boolean fp = globalType.elementType() instanceof FloatType;
        double[] fsum = new double[total];
        long[] isum = new long[total];
        // Replicas among devices with the same unreduced index must still agree: compare through a per-index copy.
        int parts = layout.unreducedCount();
        List<List<HostArray>> byIndex = new ArrayList<>();
        for (int u = 0; u < parts; u++) byIndex.add(new ArrayList<>(java.util.Collections.nCopies(blocks.size(), (HostArray) null)));
        for (int dev = 0; dev < blocks.size(); dev++) byIndex.get(layout.unreducedIndex(dev)).set(dev, blocks.get(dev));
        for (int u = 0; u < parts; u++) {
            long[] bits = new long[total];
            int[] owner = new int[total];
            Arrays.fill(owner, -1);
            for (int dev = 0; dev < blocks.size(); dev++) {
                HostArray b = byIndex.get(u).get(dev);
                if (b == null) continue;
                int d = dev, part = u;
                forEachElement(gshape, local, layout.blockStart(dev), (k, g) -> {
                    long v = b.getBits(k);
                    if (owner[g] >= 0 && bits[g] != v) {
                        throw new ShardingException("replicas disagree: devices " + owner[g] + " and " + d + " both hold partial "
                                + part + " of block " + Arrays.toString(layout.blockIndex(d)) + " of " + globalType + " but differ at local element " + k);
                    }
                    if (owner[g] < 0) {
                        if (fp) fsum[g] += b.getDouble(k);
                        else isum[g] += b.getLong(k);
                    }
                    bits[g] = v;
                    owner[g] = d;
                });
            }
        }
        return fp ? HostArray.fromDoubles(globalType, fsum) : HostArray.fromLongs(globalType, isum);
    }

    /**
     * Runs {@code main} of the explicit module on every device of {@code mesh} (partition ids 0..N-1, one replica):
     * argument i is split by {@code argShardings.get(i)}, result j assembled by {@code resultShardings.get(j)} into
     * {@code globalResultTypes.get(j)}.
     */
    public static SpmdRun run(Module explicit, MeshAttr mesh, List<HostArray> globalArgs, List<TensorSharding> argShardings,
                              List<TensorSharding> resultShardings, List<TensorType> globalResultTypes) {
        return run(explicit, mesh, null, globalArgs, argShardings, resultShardings, globalResultTypes, Long.MAX_VALUE);
    }

    /**
     * As {@link #run(Module, MeshAttr, List, List, List, List)} for a module with several meshes (a model mesh and a
     * view of it with {@code device_ids}): each argument and result sharding is resolved on the mesh it names in
     * {@code meshes} (by name; the first mesh names the axes in the collective log). Every mesh must span the same
     * devices; a sharding naming a mesh not in {@code meshes} is refused by name.
     */
    public static SpmdRun run(Module explicit, java.util.Map<String, MeshAttr> meshes, List<HostArray> globalArgs,
                              List<TensorSharding> argShardings, List<TensorSharding> resultShardings, List<TensorType> globalResultTypes) {
        return run(explicit, meshes, globalArgs, argShardings, resultShardings, globalResultTypes, Long.MAX_VALUE);
    }

    /**
     * As {@link #run(Module, java.util.Map, List, List, List, List)}, every device stopping once {@link System#nanoTime()}
     * passes {@code deadlineNanos} ({@link Interpreter#setDeadline}: a {@code DeadlineExceeded} names where each was).
     */
    public static SpmdRun run(Module explicit, java.util.Map<String, MeshAttr> meshes, List<HostArray> globalArgs,
                              List<TensorSharding> argShardings, List<TensorSharding> resultShardings, List<TensorType> globalResultTypes,
                              long deadlineNanos) {
        if (meshes.isEmpty()) throw new ShardingException("no mesh to run on");
        MeshAttr first = meshes.values().iterator().next();
        for (var e : meshes.entrySet()) {
            if (e.getValue().totalSize() != first.totalSize()) {
                throw new ShardingException("mesh @" + e.getKey() + " " + e.getValue().body() + " has " + e.getValue().totalSize() + " devices but @"
                        + meshes.keySet().iterator().next() + " " + first.body() + " has " + first.totalSize() + "; every mesh must span the same devices");
            }
        }
        return run(explicit, first, meshes, globalArgs, argShardings, resultShardings, globalResultTypes, deadlineNanos);
    }

    /** The mesh a sharding is on: its inline mesh, the named one of {@code meshes}, or {@code single} when there is no map. */
    private static MeshAttr meshOf(TensorSharding s, MeshAttr single, java.util.Map<String, MeshAttr> meshes, String what) {
        if (s.inlineMesh() != null) return s.inlineMesh();
        if (meshes == null) return single;
        MeshAttr m = meshes.get(s.meshName());
        if (m == null) throw new ShardingException(what + " is sharded on mesh @" + s.meshName() + " but the meshes are " + meshes.keySet() + ": " + s);
        return m;
    }

    private static SpmdRun run(Module explicit, MeshAttr mesh, java.util.Map<String, MeshAttr> meshes, List<HostArray> globalArgs,
                               List<TensorSharding> argShardings, List<TensorSharding> resultShardings, List<TensorType> globalResultTypes,
                               long deadlineNanos) {
        if (argShardings.size() != globalArgs.size()) {
            throw new ShardingException(globalArgs.size() + " arguments but " + argShardings.size() + " argument shardings");
        }
        if (resultShardings.size() != globalResultTypes.size()) {
            throw new ShardingException(globalResultTypes.size() + " result types but " + resultShardings.size() + " result shardings");
        }
        int n = Math.toIntExact(mesh.totalSize());
        for (String key : List.of("mhlo.num_partitions", "mhlo.num_replicas")) {
            long want = key.equals("mhlo.num_partitions") ? n : 1;
            if (explicit.attributes() != null && explicit.attributes().get(key) instanceof io.hlo4j.mlir.attr.IntegerAttr a && a.value() != want) {
                throw new ShardingException("module @" + explicit.name() + " has " + key + " = " + a.value() + " but mesh " + mesh.body()
                        + " runs on " + n + " partitions of 1 replica", explicit.op().location());
            }
        }
        List<List<RtValue>> inputs = new ArrayList<>();
        for (int d = 0; d < n; d++) inputs.add(new ArrayList<>());
        for (int i = 0; i < globalArgs.size(); i++) {
            List<HostArray> blocks;
            try {
                blocks = split(globalArgs.get(i), meshOf(argShardings.get(i), mesh, meshes, "argument " + i), argShardings.get(i));
            } catch (ShardingException e) {
                throw new ShardingException("argument " + i + ": " + e.getMessage(), e.location());
            }
            for (int d = 0; d < n; d++) inputs.get(d).add(HostArrays.toTensor(blocks.get(d)));
        }
        CollectiveLog log = new CollectiveLog(n, mesh);
        Interpreter interp = new Interpreter(explicit);
        interp.setDeadline(deadlineNanos);
        List<List<RtValue>> outs = interp.runParallel("main", 1, n, inputs, log);
        List<List<HostArray>> perDevice = new ArrayList<>();
        for (List<RtValue> o : outs) perDevice.add(HostArrays.toHost(o));
        List<HostArray> results = new ArrayList<>();
        for (int j = 0; j < globalResultTypes.size(); j++) {
            List<HostArray> blocks = new ArrayList<>();
            for (int d = 0; d < n; d++) {
                if (outs.get(d).size() != globalResultTypes.size()) {
                    throw new ShardingException("device " + d + " returned " + outs.get(d).size() + " results, expected " + globalResultTypes.size());
                }
                blocks.add(HostArrays.toHost((io.hlo4j.runtime.interp.Tensor) outs.get(d).get(j)));
            }
            try {
                results.add(assemble(blocks, meshOf(resultShardings.get(j), mesh, meshes, "result " + j), resultShardings.get(j), globalResultTypes.get(j)));
            } catch (ShardingException e) {
                throw new ShardingException("result " + j + ": " + e.getMessage(), e.location());
            }
        }
        return new SpmdRun(results, log.records(), perDevice);
    }

    @FunctionalInterface
    private interface ElementVisitor { void visit(int localIndex, int globalIndex); }

    /** Visits each element of the block of shape {@code local} at {@code start} of an array of {@code global} shape. */
    private static void forEachElement(long[] global, long[] local, long[] start, ElementVisitor v) {
        int rank = global.length;
        long n = 1;
        for (long s : local) n *= s;
        long[] stride = new long[rank];
        long acc = 1;
        for (int d = rank - 1; d >= 0; d--) { stride[d] = acc; acc *= global[d]; }
        long[] idx = new long[rank];
        for (int k = 0; k < n; k++) {
            long g = 0;
            for (int d = 0; d < rank; d++) g += (start[d] + idx[d]) * stride[d];
            v.visit(k, (int) g);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < local[d]) break;
                idx[d] = 0;
            }
        }
    }

    private static void refuseComplex(TensorType t) {
        if (t.elementType() instanceof ComplexType) throw new ShardingException("splitting complex arrays (" + t + ") is not supported");
    }
}
