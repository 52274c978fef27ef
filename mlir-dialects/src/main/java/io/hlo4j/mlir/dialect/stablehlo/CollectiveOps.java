package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.accumulatorTypes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.block;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.compatibleDims;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.expectRegions;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.fail;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensor;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensors;

/**
 * The collectives (generic form only upstream) and the process-id ops. Replica groups may be a dense
 * {@code N x G} i64 tensor (checked here) or a {@code #stablehlo.replica_group_mesh_axes<...>} (checked by
 * whoever lowers meshes). A channel handle's {@code handle} is the spec's {@code channel_id}.
 */
final class CollectiveOps {
    private CollectiveOps() {}

    static void register(OpRegistry registry) {
        registry.register(OpDef.builder("stablehlo.all_gather").summary("AllGather operation")
                .inherent("all_gather_dim", "replica_groups", "channel_handle", "use_global_device_ids")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyAllGather).traits(OpTrait.COLLECTIVE).build());
        registry.register(OpDef.builder("stablehlo.all_reduce").summary("AllReduce operation")
                .inherent("replica_groups", "channel_handle", "use_global_device_ids")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyAllReduce).traits(OpTrait.COLLECTIVE)
                .inference((operands, props, regions) -> sameShapeAccumulated(operands, regions)).build());
        registry.register(OpDef.builder("stablehlo.reduce_scatter").summary("ReduceScatter operation")
                .inherent("scatter_dimension", "replica_groups", "channel_handle", "use_global_device_ids")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyReduceScatter).traits(OpTrait.COLLECTIVE).build());
        registry.register(OpDef.builder("stablehlo.all_to_all").summary("AllToAll operation")
                .inherent("split_dimension", "concat_dimension", "split_count", "replica_groups", "channel_handle")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyAllToAll).traits(OpTrait.COLLECTIVE)
                .inference(CollectiveOps::inferAllToAll).build());
        registry.register(OpDef.builder("stablehlo.collective_permute").summary("CollectivePermute operation")
                .inherent("source_target_pairs", "channel_handle")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyCollectivePermute).traits(OpTrait.COLLECTIVE)
                .inference((operands, props, regions) -> List.copyOf(operands)).build());
        registry.register(OpDef.builder("stablehlo.collective_broadcast").summary("CollectiveBroadcast operation")
                .inherent("replica_groups", "channel_handle", "has_dynamic_root")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyCollectiveBroadcast).traits(OpTrait.COLLECTIVE)
                .inference((operands, props, regions) -> props.contains("has_dynamic_root")
                        ? List.copyOf(operands.subList(0, operands.size() - 1)) : List.copyOf(operands)).build());
        registry.register(OpDef.builder("stablehlo.collective_reduce").summary("CollectiveReduce operation")
                .inherent("replica_groups", "channel_handle", "use_global_device_ids", "has_dynamic_root")
                .syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyCollectiveReduce).traits(OpTrait.COLLECTIVE)
                .inference((operands, props, regions) -> sameShapeAccumulated(props.contains("has_dynamic_root")
                        ? operands.subList(0, operands.size() - 1) : operands, regions)).build());
        registry.register(OpDef.builder("stablehlo.cross-replica-sum").summary("CrossReplicaSum operation (legacy all_reduce-add)")
                .inherent("replica_groups").syntax(OpSyntax.GENERIC).verifier(CollectiveOps::verifyCrossReplicaSum)
                .traits(OpTrait.COLLECTIVE).inference((operands, props, regions) -> List.copyOf(operands)).build());
        TensorTypeInference ui32 = new TensorTypeInference(TensorType.scalar(IntegerType.UI32));
        registry.register(OpDef.builder("stablehlo.partition_id").summary("PartitionId operation")
                .syntax(MiscSyntax.attrDictColonResultType(Set.of())).verifier(op -> verifyProcessId(op, "partition_id"))
                .inference(ui32::infer).build());
        registry.register(OpDef.builder("stablehlo.replica_id").summary("ReplicaId operation")
                .syntax(MiscSyntax.attrDictColonResultType(Set.of())).verifier(op -> verifyProcessId(op, "replica_id"))
                .inference(ui32::infer).build());
    }

    /** A fixed result type, whatever the operands. */
    record TensorTypeInference(Type type) {
        List<Type> infer(List<Type> operands, DictionaryAttr props, List<Region> regions) { return List.of(type); }
    }

    private static void verifyProcessId(Operation op, String name) {
        if (op.numOperands() != 0) throw fail(op, name, "takes no operands, but has " + op.numOperands());
        if (op.numResults() != 1 || !RegionChecks.isScalarOf(op.resultTypes().get(0), IntegerType.UI32)) {
            throw fail(op, name, "result must be tensor<ui32>, but got " + op.resultTypes());
        }
    }

    // ---- replica groups ----------------------------------------------------------------------

    /**
     * Upstream's verifyReplicaGroups: a rank-2 tensor whose ids (ignoring -1 padding where groups may differ in
     * size) are unique and cover 0..k-1; with {@code expectedGroupSize}, every group has that size.
     */
    static void verifyReplicaGroups(Operation op, String prefix, boolean sameSize, boolean globalIds, Long expectedGroupSize) {
        String inputRule = switch (prefix) {
            case "all_gather", "reduce_scatter" -> prefix + "_i3";
            case "all_to_all" -> "all_to_all_i5";
            default -> prefix + "_i2";
        };
        Attribute a = op.attr("replica_groups");
        if (a == null) throw fail(op, inputRule, "requires attribute 'replica_groups'");
        if (!(a instanceof DenseElementsAttr d)) {
            if (a.toString().startsWith("#stablehlo.replica_group_mesh_axes<")) return;
            throw fail(op, inputRule, "replica_groups must be a dense i64 tensor or #stablehlo.replica_group_mesh_axes, but got " + a);
        }
        RegionChecks.DenseInts g = RegionChecks.denseInts(d);
        if (g == null) throw fail(op, inputRule, "replica_groups must hold integers, but got " + a);
        String rule = prefix.equals("all_to_all") ? "all_to_all_c5" : prefix.equals("all_reduce") ? "all_reduce_c1" : prefix + "_c2";
        if (g.shape().length != 2) throw fail(op, rule, "replica groups should be a rank 2 tensor");
        if (globalIds && g.shape()[0] * g.shape()[1] == 0) {
            throw fail(op, rule, "if `use_global_device_ids` is set, the replica groups cannot be empty");
        }
        Set<Long> seen = new HashSet<>();
        for (long id : g.values()) {
            if (id == -1) {
                if (!sameSize) continue;
                throw fail(op, prefix.equals("all_gather") ? "all_gather_c4" : rule, "Invalid replica id -1");
            }
            if (!seen.add(id)) throw fail(op, rule, "replica id #" + id + " seen more than once");
        }
        String coverRule = switch (prefix) {
            case "all_gather" -> "all_gather_c4";
            case "all_reduce" -> "all_reduce_c3";
            case "all_to_all" -> "all_to_all_c7";
            case "reduce_scatter" -> "reduce_scatter_c4";
            default -> prefix + "_c3";
        };
        for (long id = 0; id < seen.size(); id++) {
            if (!seen.contains(id)) throw fail(op, coverRule, "replica id #" + id + " not seen in replica groups");
        }
        if (sameSize && expectedGroupSize != null && (g.shape()[0] == 0 || g.values().length / g.shape()[0] != expectedGroupSize)) {
            throw fail(op, "all_to_all_c8", "group size of replica_groups must be " + expectedGroupSize);
        }
    }

    /**
     * use_global_device_ids needs channel_id > 0 (the spec's all_gather_c5, all_reduce_c4, reduce_scatter_c6; upstream's
     * all_gather verifier only rejects a negative id, the spec is followed here).
     */
    private static void checkGlobalIds(Operation op, String rule) {
        if (!RegionChecks.unit(op, "use_global_device_ids", rule)) return;
        long channelId = RegionChecks.channelId(op, rule);
        if (channelId <= 0) {
            throw fail(op, rule, "channel_id must be positive when useGlobalDeviceIds is set but got: " + channelId);
        }
    }

    // ---- all_gather / all_reduce / reduce_scatter --------------------------------------------

    private static void verifyAllGather(Operation op) {
        if (op.numOperands() == 0) throw fail(op, "all_gather_i1", "expects at least one operand");
        boolean global = RegionChecks.unit(op, "use_global_device_ids", "all_gather_i5");
        verifyReplicaGroups(op, "all_gather", true, global, null);
        checkGlobalIds(op, "all_gather_c5");
        long dim = RegionChecks.requiredInteger(op, "all_gather_dim", "all_gather_i2");
        if (dim < 0) throw fail(op, "all_gather_c1", "all_gather_dim must be non-negative, but got " + dim);
        if (op.numResults() != op.numOperands()) {
            throw fail(op, "all_gather_c6", "expects one result per operand, but has " + op.numResults() + " for " + op.numOperands());
        }
        for (int i = 0; i < op.numOperands(); i++) {
            TensorType in = tensor(op, op.operand(i).type(), "operand #" + i, "all_gather_i1");
            TensorType out = tensor(op, op.resultTypes().get(i), "result #" + i, "all_gather_c6");
            if (dim >= in.rank()) throw fail(op, "all_gather_c1", "all_gather_dim must be a valid index of operand");
            if (in.dim((int) dim) == 0) throw fail(op, "all_gather_c1", "dimension size of operand at 'all_gather_dim' cannot be zero");
            if (out.rank() != in.rank()) throw fail(op, "all_gather_c6", "operand and result must have the same rank");
            if (!in.elementType().equals(out.elementType())) {
                throw fail(op, "all_gather_c6", "operand and result must have the same element type, but got " + in + " and " + out);
            }
            for (int k = 0; k < in.rank(); k++) {
                if (k != dim && !compatibleDims(in.dim(k), out.dim(k))) {
                    throw fail(op, "all_gather_c6", "operand and result should have the same shape except for the dimension size"
                            + " at 'all_gather_dim'");
                }
            }
            long id = in.dim((int) dim), od = out.dim((int) dim);
            if (id != TensorType.DYNAMIC && od != TensorType.DYNAMIC && od % id != 0) {
                throw fail(op, "all_gather_c6", "result gather dimension has size " + od
                        + ", expected to be a multiple of operand gather dimension size " + id);
            }
        }
    }

    private static void verifyAllReduce(Operation op) {
        boolean global = RegionChecks.unit(op, "use_global_device_ids", "all_reduce_i4");
        verifyReplicaGroups(op, "all_reduce", false, global, null);
        checkGlobalIds(op, "all_reduce_c4");
        List<TensorType> inputs = tensors(op, op.operands(), "operand", "all_reduce_i1");
        verifyComputation(op, inputs, "all_reduce_i5", "all_reduce_c5");
        checkResults(op, inputs, "all_reduce_c6");
    }

    private static void verifyReduceScatter(Operation op) {
        if (op.numOperands() != 1 || op.numResults() != 1) {
            throw fail(op, "reduce_scatter_i1", "expects one operand and one result, but has " + op.numOperands() + " and " + op.numResults());
        }
        boolean global = RegionChecks.unit(op, "use_global_device_ids", "reduce_scatter_i5");
        verifyReplicaGroups(op, "reduce_scatter", true, global, null);
        TensorType in = tensor(op, op.operand(0).type(), "operand", "reduce_scatter_i1");
        verifyComputation(op, List.of(in), "reduce_scatter_i6", "reduce_scatter_c7");
        TensorType out = tensor(op, op.resultTypes().get(0), "result", "reduce_scatter_c8");
        long dim = RegionChecks.requiredInteger(op, "scatter_dimension", "reduce_scatter_i2");
        if (in.rank() != out.rank()) throw fail(op, "reduce_scatter_c8", "operand and result should have same rank");
        if (dim < 0 || dim >= in.rank()) throw fail(op, "reduce_scatter_c2", "scatter dim should be less than operand/result rank");
        checkGlobalIds(op, "reduce_scatter_c6");
        long id = in.dim((int) dim), od = out.dim((int) dim);
        if (id != TensorType.DYNAMIC && od != TensorType.DYNAMIC) {
            if (od == 0) throw fail(op, "reduce_scatter_c8", "result dimension size at scatter_dimension cannot be zero");
            if (id == 0) throw fail(op, "reduce_scatter_c8", "operand dimension size at scatter_dimension cannot be zero");
            if (id % od != 0) {
                throw fail(op, "reduce_scatter_c8", "operand scatter dimension has size " + id
                        + ", expected to be a multiple of result scatter dimension size " + od);
            }
        }
        for (int k = 0; k < in.rank(); k++) {
            if (k != dim && !compatibleDims(in.dim(k), out.dim(k))) {
                throw fail(op, "reduce_scatter_c8", "non scatter dimensions should be same for operand (" + in.dim(k)
                        + ") and result (" + out.dim(k) + ")");
            }
        }
        TensorType acc = accumulatorTypes(op.regions(), 0, List.of(in)).get(0);
        if (!out.elementType().equals(acc.elementType())) {
            throw fail(op, "reduce_scatter_c9", "result element-type is expected to be " + acc.elementType() + ", but got "
                    + out.elementType());
        }
    }

    /** The computation region combines two scalars of each operand's element type (all_reduce_c5 etc.). */
    private static void verifyComputation(Operation op, List<TensorType> inputs, String regionRule, String rule) {
        expectRegions(op, 1, regionRule);
        Block b = block(op, 0, "computation", regionRule);
        for (TensorType in : inputs) {
            RegionChecks.verifyReducer(op, b, List.of(in), List.of(TensorType.scalar(in.elementType())), new long[0], rule);
        }
    }

    /** Results have the operands' shapes and the computation's element type. */
    private static void checkResults(Operation op, List<TensorType> inputs, String rule) {
        if (op.numResults() != inputs.size()) {
            throw fail(op, rule, "expects " + inputs.size() + " results, but has " + op.numResults());
        }
        List<TensorType> acc = accumulatorTypes(op.regions(), 0, inputs);
        for (int i = 0; i < inputs.size(); i++) {
            TensorType r = tensor(op, op.resultTypes().get(i), "result #" + i, rule);
            TensorType expected = RegionChecks.sameShape(inputs.get(i), acc.get(0).elementType());
            if (!RegionChecks.compatible(r, expected)) {
                throw fail(op, rule, "result #" + i + " is " + r + " but expected " + expected);
            }
        }
    }

    private static List<Type> sameShapeAccumulated(List<Type> operands, List<Region> regions) {
        List<TensorType> inputs = new ArrayList<>();
        for (Type t : operands) inputs.add((TensorType) t);
        List<Type> out = new ArrayList<>();
        for (TensorType in : inputs) {
            TensorType acc = accumulatorTypes(regions, 0, List.of(in)).get(0);
            out.add(RegionChecks.sameShape(in, acc.elementType()));
        }
        return out;
    }

    // ---- all_to_all --------------------------------------------------------------------------

    private static void verifyAllToAll(Operation op) {
        if (op.numOperands() == 0) throw fail(op, "all_to_all_i1", "expects at least one operand");
        long split = RegionChecks.requiredInteger(op, "split_dimension", "all_to_all_i2");
        long concat = RegionChecks.requiredInteger(op, "concat_dimension", "all_to_all_i3");
        long count = RegionChecks.requiredInteger(op, "split_count", "all_to_all_i4");
        if (split < 0) throw fail(op, "all_to_all_c1", "split_dimension must be non-negative, but got " + split);
        if (concat < 0) throw fail(op, "all_to_all_c3", "concat_dimension must be non-negative, but got " + concat);
        if (count <= 0) throw fail(op, "all_to_all_c4", "split_count must be positive, but got " + count);
        verifyReplicaGroups(op, "all_to_all", true, false, count);
        RegionChecks.channelId(op, "all_to_all_i6");
        if (op.numResults() != op.numOperands()) {
            throw fail(op, "all_to_all_c9", "expects one result per operand, but has " + op.numResults() + " for " + op.numOperands());
        }
        for (int i = 0; i < op.numOperands(); i++) {
            TensorType in = tensor(op, op.operand(i).type(), "operand #" + i, "all_to_all_i1");
            TensorType expected = allToAllResult(op, in, split, concat, count);
            TensorType r = tensor(op, op.resultTypes().get(i), "result #" + i, "all_to_all_c9");
            if (!RegionChecks.compatible(r, expected)) {
                throw fail(op, "all_to_all_c9", "result #" + i + " is " + r + " but splitting " + in + " along " + split
                        + " into " + count + " parts and concatenating along " + concat + " gives " + expected);
            }
        }
    }

    private static TensorType allToAllResult(Operation op, TensorType in, long split, long concat, long count) {
        if (split >= in.rank()) {
            throw fail(op, "all_to_all_c1", "AllToAll split_dimension " + split + " is out-of-bounds for input rank " + in.rank());
        }
        if (concat >= in.rank()) {
            throw fail(op, "all_to_all_c3", "AllToAll concat_dimension " + concat + " is out-of-bounds for input rank " + in.rank());
        }
        long[] shape = in.shape();
        if (shape[(int) split] != TensorType.DYNAMIC) {
            if (shape[(int) split] % count != 0) {
                throw fail(op, "all_to_all_c2", "split dimension has size " + shape[(int) split]
                        + ", expected to be a multiple of split_count " + count);
            }
            shape[(int) split] /= count;
        }
        if (shape[(int) concat] != TensorType.DYNAMIC) shape[(int) concat] *= count;
        return TensorType.of(in.elementType(), shape);
    }

    private static List<Type> inferAllToAll(List<Type> operands, DictionaryAttr props, List<Region> regions) {
        Operation probe = Operation.builder("stablehlo.all_to_all").properties(props).build();
        long split = RegionChecks.requiredInteger(probe, "split_dimension", "all_to_all_i2");
        long concat = RegionChecks.requiredInteger(probe, "concat_dimension", "all_to_all_i3");
        long count = RegionChecks.requiredInteger(probe, "split_count", "all_to_all_i4");
        List<Type> out = new ArrayList<>();
        for (Type t : operands) out.add(allToAllResult(probe, (TensorType) t, split, concat, count));
        return out;
    }

    // ---- collective_permute / broadcast / reduce ---------------------------------------------

    private static void verifyCollectivePermute(Operation op) {
        if (op.numOperands() != 1 || op.numResults() != 1) {
            throw fail(op, "collective_permute_i1", "expects one operand and one result, but has " + op.numOperands()
                    + " and " + op.numResults());
        }
        tensor(op, op.operand(0).type(), "operand", "collective_permute_i1");
        RegionChecks.DenseInts pairs = RegionChecks.denseInts(op, "source_target_pairs", "collective_permute_i2");
        if (pairs == null) throw fail(op, "collective_permute_i2", "requires attribute 'source_target_pairs'");
        if (pairs.shape().length != 2) {
            throw fail(op, "collective_permute_i2", "expect source_target_pairs attribute to be of rank 2, but got rank "
                    + pairs.shape().length);
        }
        if (pairs.shape()[1] != 2) {
            throw fail(op, "collective_permute_c1", "expect source_target_pairs attribute of shape (N, 2), but got ("
                    + pairs.shape()[0] + ", " + pairs.shape()[1] + ")");
        }
        Set<Long> sources = new HashSet<>();
        Set<Long> targets = new HashSet<>();
        long[] v = pairs.values();
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0) throw fail(op, "collective_permute_c4", "replica ids in source_target_pairs must be >= 0.");
            if (i % 2 == 0 && !sources.add(v[i])) throw fail(op, "collective_permute_c2", "duplicate sources not allowed.");
            if (i % 2 == 1 && !targets.add(v[i])) throw fail(op, "collective_permute_c3", "duplicate targets not allowed.");
        }
        RegionChecks.channelId(op, "collective_permute_i3");
        if (!op.resultTypes().equals(op.operandTypes())) {
            throw fail(op, "collective_permute_c5", "result type " + op.resultTypes().get(0) + " must equal operand type "
                    + op.operandTypes().get(0));
        }
    }

    /** When has_dynamic_root is set, the last operand is a rank-1 i32 tensor with one root index per data operand. */
    private static List<TensorType> dataOperands(Operation op, String name, String rule) {
        boolean dynamicRoot = RegionChecks.unit(op, "has_dynamic_root", rule);
        if (!dynamicRoot && op.numOperands() == 0) throw fail(op, rule, name + " requires at least one data operand");
        List<TensorType> all = tensors(op, op.operands(), "operand", rule);
        if (!dynamicRoot) return all;
        if (all.size() < 2) {
            throw fail(op, rule, name + " with has_dynamic_root=true requires at least two operands (data + root)");
        }
        TensorType root = all.get(all.size() - 1);
        if (!root.elementType().equals(IntegerType.I32) || root.rank() != 1) {
            throw fail(op, rule, "last operand of " + name + " with has_dynamic_root=true must be a rank-1 i32 tensor, but got " + root);
        }
        if (root.dim(0) != all.size() - 1) {
            throw fail(op, rule, "last operand of " + name + " with has_dynamic_root=true must have the same number of elements as"
                    + " data operands (" + (all.size() - 1) + "), but got " + root.dim(0));
        }
        return all.subList(0, all.size() - 1);
    }

    private static void verifyCollectiveBroadcast(Operation op) {
        Attribute a = op.attr("replica_groups");
        if (a == null) throw fail(op, "collective_broadcast_i2", "requires attribute 'replica_groups'");
        if (a instanceof DenseElementsAttr d) {
            RegionChecks.DenseInts g = RegionChecks.denseInts(d);
            if (g == null || g.shape().length != 2) {
                throw fail(op, "collective_broadcast_i2", "replica groups should be a rank 2 tensor,but instead it is of rank "
                        + (g == null ? "?" : g.shape().length));
            }
            Set<Long> seen = new HashSet<>();
            for (long id : g.values()) {
                if (id < 0) throw fail(op, "collective_broadcast_c2", "replica_groups values must be positive, but was given " + id);
                if (!seen.add(id)) throw fail(op, "collective_broadcast_c1", "replica id #" + id + " seen more than once");
            }
        }
        List<TensorType> data = dataOperands(op, "collective_broadcast", "collective_broadcast_i4");
        RegionChecks.channelId(op, "collective_broadcast_i3");
        List<Type> expected = new ArrayList<>(data);
        if (!op.resultTypes().equals(expected)) {
            throw fail(op, "collective_broadcast_c3", "result types " + op.resultTypes() + " must equal the data operand types " + expected);
        }
    }

    private static void verifyCollectiveReduce(Operation op) {
        boolean global = RegionChecks.unit(op, "use_global_device_ids", "collective_reduce_i4");
        verifyReplicaGroups(op, "collective_reduce", false, global, null);
        checkGlobalIds(op, "collective_reduce_c4");
        List<TensorType> data = dataOperands(op, "collective_reduce", "collective_reduce_i5");
        expectRegions(op, 1, "collective_reduce_i6");
        Block b = block(op, 0, "computation", "collective_reduce_i6");
        for (TensorType in : data) {
            RegionChecks.verifyReducer(op, b, List.of(in), List.of(TensorType.scalar(in.elementType())), new long[0], "collective_reduce_c5");
        }
        checkResults(op, data, "collective_reduce_c6");
    }

    private static void verifyCrossReplicaSum(Operation op) {
        if (op.numOperands() != 1 || op.numResults() != 1) {
            throw fail(op, "cross-replica-sum", "expects one operand and one result");
        }
        verifyReplicaGroups(op, "all_reduce", false, false, null);
        if (!RegionChecks.compatible(op.operand(0).type(), op.resultTypes().get(0))) {
            throw fail(op, "cross-replica-sum", "result type " + op.resultTypes().get(0) + " must match operand type " + op.operand(0).type());
        }
    }
}
