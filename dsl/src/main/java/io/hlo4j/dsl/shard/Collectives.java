package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collectives inside a {@link ShardMap} body, as JAX's {@code lax.psum}, {@code all_gather},
 * {@code psum_scatter} and {@code all_to_all} lower them in SPMD programs: replica groups from the mesh
 * ({@link Mesh#replicaGroups}: devices differing only in the named axes, ordered row-major over them),
 * {@code channel_handle = <handle = 1, type = 1>} (so the ids are partition ids), and
 * {@code use_global_device_ids} where the op has it. All are the tiled forms.
 */
public final class Collectives {
    private Collectives() {}

    /** The channel handle JAX gives every SPMD collective (handle 1, DEVICE_TO_DEVICE). */
    public static final ChannelHandle CHANNEL = new ChannelHandle(1, 1);

    /** {@code psum}: the sum over the devices of the named axes; every member gets it. */
    public static Tensor psum(Tensor x, String... axes) {
        Location loc = SourceLoc.here();
        Mesh mesh = manualMesh("psum", loc);
        Trace cur = Trace.current("psum", loc);
        Region add = cur.hlo().combiner("add", x.type().elementType(), loc);
        Map<String, Attribute> p = common(mesh, axes, "psum", loc);
        p.put("use_global_device_ids", UnitAttr.INSTANCE);
        return emit("stablehlo.all_reduce", x, p, List.of(add), null, "psum", loc);
    }

    /** {@code all_gather(x, axes, axis=dim, tiled=True)}: blocks concatenated along {@code dim} in group order. */
    public static Tensor allGather(Tensor x, int dim, String... axes) {
        Location loc = SourceLoc.here();
        Mesh mesh = manualMesh("allGather", loc);
        checkDim(x, dim, "allGather", loc);
        int n = mesh.axisSize(List.of(axes));
        long[] shape = x.dims();
        shape[dim] = Math.multiplyExact(shape[dim], n);
        Map<String, Attribute> p = common(mesh, axes, "allGather", loc);
        p.put("all_gather_dim", IntegerAttr.i64(dim));
        p.put("use_global_device_ids", UnitAttr.INSTANCE);
        return emit("stablehlo.all_gather", x, p, List.of(), List.of(TensorType.of(x.type().elementType(), shape)), "allGather", loc);
    }

    /** {@code psum_scatter(x, axes, scatter_dimension=dim, tiled=True)}: the sum, member i keeps block i of {@code dim}. */
    public static Tensor psumScatter(Tensor x, int dim, String... axes) {
        Location loc = SourceLoc.here();
        Mesh mesh = manualMesh("psumScatter", loc);
        checkDim(x, dim, "psumScatter", loc);
        int n = mesh.axisSize(List.of(axes));
        long[] shape = x.dims();
        if (shape[dim] % n != 0) {
            throw new DslException("psumScatter", "dimension " + dim + " of " + x.describe() + " is not divisible by the " + n
                    + " devices of axes " + List.of(axes), loc);
        }
        shape[dim] /= n;
        Trace cur = Trace.current("psumScatter", loc);
        Region add = cur.hlo().combiner("add", x.type().elementType(), loc);
        Map<String, Attribute> p = common(mesh, axes, "psumScatter", loc);
        p.put("scatter_dimension", IntegerAttr.i64(dim));
        p.put("use_global_device_ids", UnitAttr.INSTANCE);
        return emit("stablehlo.reduce_scatter", x, p, List.of(add), List.of(TensorType.of(x.type().elementType(), shape)), "psumScatter", loc);
    }

    /**
     * {@code all_to_all(x, axes, split_axis, concat_axis, tiled=True)}: each member splits {@code splitDim} into
     * group-size blocks, sends block j to member j, and concatenates what it receives along {@code concatDim}.
     */
    public static Tensor allToAll(Tensor x, int splitDim, int concatDim, String... axes) {
        Location loc = SourceLoc.here();
        Mesh mesh = manualMesh("allToAll", loc);
        checkDim(x, splitDim, "allToAll", loc);
        checkDim(x, concatDim, "allToAll", loc);
        int n = mesh.axisSize(List.of(axes));
        if (x.dims()[splitDim] % n != 0) {
            throw new DslException("allToAll", "split dimension " + splitDim + " of " + x.describe() + " is not divisible by the " + n
                    + " devices of axes " + List.of(axes), loc);
        }
        Map<String, Attribute> p = common(mesh, axes, "allToAll", loc);
        p.put("split_dimension", IntegerAttr.i64(splitDim));
        p.put("concat_dimension", IntegerAttr.i64(concatDim));
        p.put("split_count", IntegerAttr.i64(n));
        return emit("stablehlo.all_to_all", x, p, List.of(), null, "allToAll", loc);
    }

    /**
     * {@code ppermute(x, axis, perm)}: within each group over {@code axis}, member {@code src} sends to member
     * {@code dst} for each pair {@code {src, dst}} of {@code perm} (axis indices); a member nobody sends to gets
     * zeros. Source-target pairs are device ids, group by group, as JAX builds them.
     */
    public static Tensor ppermute(Tensor x, String axis, int[][] perm) {
        Location loc = SourceLoc.here();
        Mesh mesh = manualMesh("ppermute", loc);
        Map<String, Attribute> p = common(mesh, new String[] {axis}, "ppermute", loc);
        p.remove("replica_groups");
        int n = mesh.axisSize(axis);
        boolean[] src = new boolean[n], dst = new boolean[n];
        for (int[] pr : perm) {
            if (pr.length != 2 || pr[0] < 0 || pr[0] >= n || pr[1] < 0 || pr[1] >= n) {
                throw new DslException("ppermute", "pair " + java.util.Arrays.toString(pr) + " is not two indices in [0, " + n + ") of axis \"" + axis + "\"", loc);
            }
            if (src[pr[0]] || dst[pr[1]]) throw new DslException("ppermute", "perm repeats a source or a target: " + java.util.Arrays.deepToString(perm), loc);
            src[pr[0]] = true;
            dst[pr[1]] = true;
        }
        int[][] groups = mesh.replicaGroups(axis);
        long[] flat = new long[groups.length * perm.length * 2];
        int k = 0;
        for (int[] g : groups) for (int[] pr : perm) { flat[k++] = g[pr[0]]; flat[k++] = g[pr[1]]; }
        p.put("source_target_pairs", io.hlo4j.runtime.array.HostArray.fromLongs(
                TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, (long) groups.length * perm.length, 2), flat).toDense());
        return emit("stablehlo.collective_permute", x, p, List.of(), null, "ppermute", loc);
    }

    /**
     * {@code ragged_all_to_all(operand, output, input_offsets, send_sizes, output_offsets, recv_sizes, axis_name=axes)}
     * as JAX lowers it: {@code stablehlo.custom_call @ragged_all_to_all} with {@code api_version = 4} and a
     * {@code backend_config} dictionary holding {@code replica_groups} (from the mesh, as for the other collectives)
     * and {@code channel_id = 1}. Member j of a group sends rows {@code [input_offsets[i], +send_sizes[i])} of
     * {@code operand} (dimension 0) to member i, where they land at row {@code output_offsets[i]} of i's copy of
     * {@code output} (sender-side offsets into the receiver's buffer); rows nobody writes keep {@code output}'s
     * values. The four index vectors are 1-D integers of the group size.
     */
    public static Tensor raggedAllToAll(Tensor operand, Tensor output, Tensor inputOffsets, Tensor sendSizes, Tensor outputOffsets,
                                        Tensor recvSizes, String... axes) {
        Location loc = SourceLoc.here();
        String op = "raggedAllToAll";
        Mesh mesh = manualMesh(op, loc);
        Map<String, Attribute> groups = common(mesh, axes, op, loc);
        int n = mesh.axisSize(List.of(axes));
        if (operand.rank() < 1 || output.rank() != operand.rank() || operand.dtype() != output.dtype()
                || !java.util.Arrays.equals(java.util.Arrays.copyOfRange(operand.dims(), 1, operand.rank()),
                        java.util.Arrays.copyOfRange(output.dims(), 1, output.rank()))) {
            throw new DslException(op, "operand " + operand.describe() + " and output " + output.describe()
                    + " must have the same element type and the same shape past dimension 0", loc);
        }
        Tensor[] idx = {inputOffsets, sendSizes, outputOffsets, recvSizes};
        String[] names = {"input_offsets", "send_sizes", "output_offsets", "recv_sizes"};
        for (int i = 0; i < idx.length; i++) {
            if (idx[i].rank() != 1 || idx[i].dim(0) != n || !idx[i].dtype().isInteger()) {
                throw new DslException(op, names[i] + " " + idx[i].describe() + " must be a 1-D integer vector of the group size " + n
                        + " (axes " + List.of(axes) + ")", loc);
            }
        }
        Trace cur = Trace.current(op, loc);
        List<io.hlo4j.mlir.ir.Value> operands = new java.util.ArrayList<>();
        for (Tensor t : List.of(operand, output, inputOffsets, sendSizes, outputOffsets, recvSizes)) {
            if (!cur.ir().isVisible(t.value())) throw new DslException(op, "tensor " + t.describe() + " is used outside its trace", loc);
            operands.add(t.value());
        }
        Map<String, Attribute> cfg = new TreeMap<>();
        cfg.put("channel_id", IntegerAttr.i64(CHANNEL.handle()));
        cfg.put("replica_groups", groups.get("replica_groups"));
        Map<String, Attribute> p = new TreeMap<>();
        p.put("call_target_name", new io.hlo4j.mlir.attr.StringAttr("ragged_all_to_all"));
        p.put("api_version", IntegerAttr.i32(4));
        p.put("backend_config", io.hlo4j.mlir.attr.DictionaryAttr.of(cfg));
        try {
            return new Tensor(cur.ir().emit("stablehlo.custom_call", operands, p, List.of(), List.of(output.type()), loc).get(0));
        } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
            throw new DslException(op, "invalid operands " + operand.describe() + ", " + output.describe() + ": " + e.getMessage(), loc, e);
        }
    }

    /**
     * {@code axis_index(axis)}: this device's coordinate on {@code axis}, as {@code tensor<i32>}, lowered as JAX
     * does: {@code partition_id}, divided by the axis stride and taken modulo its size. Needs the mesh's device
     * order to be iota (then partition id = mesh position); other orders are refused.
     */
    public static Tensor axisIndex(String axis) {
        Location loc = SourceLoc.here();
        Mesh mesh = manualMesh("axisIndex", loc);
        if (!mesh.hasAxis(axis)) throw new DslException("axisIndex", "unknown mesh axis \"" + axis + "\" (mesh @" + mesh.name() + " axes " + mesh.axisNames() + ")", loc);
        if (!mesh.isIota()) {
            throw new DslException("axisIndex", "mesh @" + mesh.name() + " " + mesh.describe() + " has a non-iota device order; axisIndex "
                    + "supports only iota meshes so far", loc);
        }
        int ai = mesh.axisIndex(axis);
        long stride = 1;
        for (int i = ai + 1; i < mesh.rank(); i++) stride *= mesh.sizes()[i];
        Trace cur = Trace.current("axisIndex", loc);
        var h = cur.hlo();
        TensorType u32 = TensorType.of(io.hlo4j.mlir.types.IntegerType.UI32);
        try {
            io.hlo4j.mlir.ir.Value pid = cur.ir().emit("stablehlo.partition_id", List.of(), Map.of(), List.of(), List.of(u32), loc).get(0);
            io.hlo4j.mlir.ir.Value q = h.binary("divide", pid, h.constant(u32, stride, loc), loc);
            io.hlo4j.mlir.ir.Value r = h.binary("remainder", q, h.constant(u32, mesh.axisSize(axis), loc), loc);
            return new Tensor(h.convert(r, io.hlo4j.mlir.types.IntegerType.I32, loc));
        } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
            throw new DslException("axisIndex", e.getMessage(), loc, e);
        }
    }

    private static Mesh manualMesh(String op, Location loc) {
        Mesh m = ShardMap.currentMesh();
        if (m == null) throw new DslException(op, "collectives need a shardMap body (they name the axes of its mesh)", loc);
        return m;
    }

    private static void checkDim(Tensor x, int dim, String op, Location loc) {
        if (dim < 0 || dim >= x.rank()) throw new DslException(op, "dimension " + dim + " is out of range for " + x.describe(), loc);
    }

    private static Map<String, Attribute> common(Mesh mesh, String[] axes, String op, Location loc) {
        if (axes.length == 0) throw new DslException(op, "name at least one mesh axis (mesh axes " + mesh.axisNames() + ")", loc);
        for (String a : axes) {
            if (!mesh.hasAxis(a)) throw new DslException(op, "unknown mesh axis \"" + a + "\" (mesh @" + mesh.name() + " axes " + mesh.axisNames() + ")", loc);
        }
        Map<String, Attribute> p = new TreeMap<>();
        p.put("replica_groups", mesh.replicaGroupsAttr(List.of(axes)));
        p.put("channel_handle", CHANNEL);
        return p;
    }

    private static Tensor emit(String opName, Tensor x, Map<String, Attribute> props, List<Region> regions, List<TensorType> types,
                               String op, Location loc) {
        Trace cur = Trace.current(op, loc);
        if (!cur.ir().isVisible(x.value())) throw new DslException(op, "tensor " + x.describe() + " is used outside its trace", loc);
        try {
            List<OpResult> r = cur.ir().emit(opName, List.of(x.value()), props, regions, types, loc);
            return new Tensor(r.get(0));
        } catch (DslException e) {
            throw e;
        } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
            throw new DslException(op, "invalid operand " + x.describe() + ": " + e.getMessage(), loc, e);
        }
    }
}
