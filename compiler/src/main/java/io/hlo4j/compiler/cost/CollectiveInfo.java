package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.dialect.sdy.AllToAllParams;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.AxisRefList;
import io.hlo4j.mlir.dialect.sdy.AxisRefListPerDim;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One collective op: its kind (for a {@code ragged_all_to_all} custom call, that target name, as the run log says),
 * the function it is in, its replica groups (each a list of device / replica ids; for {@code collective_permute}
 * the source-target pairs), the group size, and two byte counts per device:
 * <ul>
 *   <li>{@code bytesPerDevice}: what the busiest device receives from the others, by {@link CollectiveTraffic}'s
 *   definitions, the same the runtime's run log measures (-1 when the group size is unknown; an upper bound when
 *   {@code bytesBound}, for ragged_all_to_all and sdy.collective_permute);</li>
 *   <li>{@code bufferBytes}: the larger of one device's operand and result, the buffer it holds (the whole gathered
 *   tensor of an all_gather, the whole input of a reduce_scatter).</li>
 * </ul>
 * Shardy collectives ({@code sdy.*}) name mesh axes instead of groups; their group size is the product of those
 * axes' sizes when the mesh is known, and as their types are global, their bytes are those of one device's shard
 * (operand and out sharding). {@code meshAxes}: for a StableHLO collective in a module that declares a mesh, the
 * mesh axes its groups span ({@link MeshAxes}); null otherwise.
 */
public record CollectiveInfo(String op, String function, String location, List<List<Long>> replicaGroups,
                             long groupSize, long bytesPerDevice, boolean bytesBound, long bufferBytes, String axes,
                             MeshAxes meshAxes) {

    static CollectiveInfo of(Operation op, String function, Map<String, MeshAttr> meshes, CollectiveTraffic.Processes procs) {
        long operandBytes = op.operandTypes().stream().mapToLong(TensorBytes::of).sum();
        long resultBytes = op.resultTypes().stream().mapToLong(TensorBytes::of).sum();
        long buffer = Math.max(operandBytes, resultBytes);
        List<List<Long>> groups = List.of();
        long groupSize;
        String axes = null;
        MeshAxes meshAxes = null;
        String name = op.name();
        CollectiveTraffic.Received received;
        if (op.dialect().equals("sdy")) {
            axes = sdyAxes(op);
            groupSize = sdyGroupSize(op, meshes);
            // Shardy collectives carry global types: size one device's shard of each side instead.
            long in = ShardBytes.of(op.operand(0), meshes);
            long out = op.attr("out_sharding") instanceof TensorSharding s
                    ? ShardBytes.of(op.result(0).type(), s, meshes) : TensorBytes.of(op.result(0).type());
            buffer = Math.max(in, out);
            received = CollectiveTraffic.sdy(name, groupSize, in, out);
        } else {
            Attribute g = op.attr("replica_groups");
            if (g == null) g = op.attr("source_target_pairs");
            if (CollectiveTraffic.isRaggedAllToAll(op)) {
                g = CollectiveTraffic.raggedGroups(op);
                name = CollectiveTraffic.RAGGED;
                // its buffers are the input and output; the offset and size operands are bookkeeping
                buffer = Math.max(TensorBytes.of(op.operand(0).type()), resultBytes);
            }
            if (g instanceof DenseElementsAttr d) groups = rows(d);
            groupSize = op.name().equals("stablehlo.collective_permute")
                    ? (groups.isEmpty() ? 0 : groups.get(0).size()) : CollectiveTraffic.groupSize(op, groups, procs);
            received = CollectiveTraffic.stablehlo(op, groupSize, groups);
            meshAxes = MeshAxes.of(op, groups, meshes, procs);
        }
        return new CollectiveInfo(name, function, op.location().describe(), groups, groupSize, received.bytes(),
                received.bound(), buffer, axes, meshAxes);
    }

    /** The rows of a rank-2 integer attribute ({@code dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>}). */
    static List<List<Long>> rows(DenseElementsAttr d) {
        long[] v = TensorBytes.intValues(d);
        if (d.type().rank() != 2) return List.of(boxed(v, 0, v.length));
        int cols = (int) d.type().dim(1);
        List<List<Long>> out = new ArrayList<>();
        for (int r = 0; r * cols < v.length && cols > 0; r++) out.add(boxed(v, r * cols, r * cols + cols));
        return out;
    }

    private static List<Long> boxed(long[] v, int from, int to) {
        List<Long> l = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) l.add(v[i]);
        return List.copyOf(l);
    }

    /** The axes text of a Shardy collective (its first inherent attribute other than the out sharding). */
    private static String sdyAxes(Operation op) {
        for (var e : op.properties().asMap().entrySet()) {
            if (!e.getKey().equals("out_sharding") && !e.getKey().equals("reduction_op")) return e.getValue().toString();
        }
        return null;
    }

    /**
     * Devices that take part together: the product of the sizes of the axes the op names, in the mesh of its
     * out sharding (0 when that mesh is unknown; 1 for collective_permute, which names no axes).
     */
    private static long sdyGroupSize(Operation op, Map<String, MeshAttr> meshes) {
        if (!(op.attr("out_sharding") instanceof TensorSharding s)) return 0;
        MeshAttr mesh = s.resolveMesh(meshes);
        if (mesh == null) return 0;
        List<AxisRef> axes = new ArrayList<>();
        for (Attribute a : op.properties().asMap().values()) {
            switch (a) {
                case AxisRefList l -> axes.addAll(l.axes());
                case AxisRefListPerDim pd -> pd.dims().forEach(l -> axes.addAll(l.axes()));
                case AllToAllParams p -> p.params().forEach(x -> axes.addAll(x.axes()));
                default -> { }
            }
        }
        long size = 1;
        for (AxisRef r : axes) size *= r.size(mesh);
        return size;
    }

    static long bytes(List<Type> types) { return types.stream().mapToLong(TensorBytes::of).reduce(0, Math::addExact); }
}
