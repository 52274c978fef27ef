package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.ManualAxes;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Shardy's computations. {@code sdy.manual_computation} (shard_map) transposes to a manual computation on the same
 * mesh and manual axes whose body recomputes the forward body and runs its VJP; its operands are the forward
 * operands and the result cotangents (in_shardings = forward in_shardings then the forward out_shardings of the
 * differentiated results), its results the operand cotangents (out_shardings = the forward in_shardings).
 *
 * <p>Replication is handled as JAX's shard_map transpose does without its replication rewrite: the body is
 * differentiated as a per-device program (collectives by their own rules: psum to psum, all_gather to
 * reduce_scatter, ...), so a result replicated over manual axes (not named by its out_sharding) hands each of the
 * n identical copies 1/n of its cotangent, and an operand replicated over manual axes gets the sum (an all_reduce
 * over those axes) of the cotangents every device computed for its copy.
 *
 * <p>{@code sdy.named_computation} transposes to a named computation {@code "vjp_<name>"} with the same pattern of
 * shardings. Both bodies are isolated from above, so everything the backward body reads comes in as an operand.
 */
final class ShardyRules {
    private ShardyRules() {}

    static void install(VjpRules.Installer in) {
        in.rule(SdyOps.MANUAL_COMPUTATION, ShardyRules::manualComputation);
        in.rule(SdyOps.NAMED_COMPUTATION, ShardyRules::namedComputation);
        SdyCollectiveRules.install(in);
    }

    private static List<Value> manualComputation(Backward b, Operation op, List<Value> g) {
        TensorShardingPerValue inS = SdyManualComputation.inShardings(op), outS = SdyManualComputation.outShardings(op);
        ManualAxes manual = SdyManualComputation.manualAxes(op);
        Block body = op.region(0).entry();
        List<Integer> diffIn = differentiable(op.operandTypes()), diffOut = new ArrayList<>();
        for (int i = 0; i < g.size(); i++) if (g.get(i) != null && Backward.differentiable(op.result(i).type())) diffOut.add(i);
        List<Value> none = Arrays.asList(new Value[op.numOperands()]);
        if (diffIn.isEmpty() || diffOut.isEmpty()) return none;

        List<Value> operands = new ArrayList<>(op.operands());
        List<TensorSharding> bwIn = new ArrayList<>(inS.shardings());
        for (int i : diffOut) {
            TensorSharding s = outS.get(i);
            long copies = product(mesh(b, op, s), unmentioned(b, op, s, manual));
            operands.add(copies == 1 ? g.get(i) : b.scale(g.get(i), 1.0 / copies));
            bwIn.add(s);
        }
        List<TensorSharding> bwOut = new ArrayList<>();
        for (int k : diffIn) bwOut.add(inS.get(k));

        IrBuilder nb = b.ir().nested();
        List<Value> args = new ArrayList<>();
        for (Value a : body.arguments()) args.add(nb.addArgument(a.type(), b.loc()));
        Operation term = body.terminator();
        List<Value> seeds = Arrays.asList(new Value[term.numOperands()]);
        for (int i : diffOut) seeds.set(i, nb.addArgument(term.operand(i).type(), b.loc()));
        Sweep s = Regions.differentiate(nb, body, args, seeds, b.sweep());
        Backward inner = s.context();
        inner.at(b.loc());
        List<Value> outs = new ArrayList<>();
        for (int k : diffIn) {
            Value ct = Regions.ctOrZeros(s, body.argument(k), args.get(k));
            List<String> axes = unmentioned(b, op, inS.get(k), manual);
            outs.add(axes.isEmpty() ? ct : allReduceSum(inner, ct, mesh(b, op, inS.get(k)), axes));
        }
        Region region = nb.sealRegion(outs, SdyOps.RETURN, b.loc());
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        attrs.put("in_shardings", new TensorShardingPerValue(bwIn));
        attrs.put("out_shardings", new TensorShardingPerValue(bwOut));
        attrs.put("manual_axes", manual);
        List<Type> types = diffIn.stream().map(k -> op.operand(k).type()).toList();
        List<OpResult> res = b.ir().emit(SdyOps.MANUAL_COMPUTATION, operands, attrs, List.of(region), types, b.loc());
        List<Value> out = new ArrayList<>(none);
        for (int j = 0; j < diffIn.size(); j++) out.set(diffIn.get(j), res.get(j));
        return out;
    }

    private static List<Value> namedComputation(Backward b, Operation op, List<Value> g) {
        Block body = op.region(0).entry();
        List<Integer> diffIn = differentiable(op.operandTypes()), diffOut = new ArrayList<>();
        for (int i = 0; i < g.size(); i++) if (g.get(i) != null && Backward.differentiable(op.result(i).type())) diffOut.add(i);
        List<Value> none = Arrays.asList(new Value[op.numOperands()]);
        if (diffIn.isEmpty() || diffOut.isEmpty()) return none;
        List<Value> operands = new ArrayList<>(op.operands());
        for (int i : diffOut) operands.add(g.get(i));

        IrBuilder nb = b.ir().nested();
        List<Value> args = new ArrayList<>();
        for (Value a : body.arguments()) args.add(nb.addArgument(a.type(), b.loc()));
        Operation term = body.terminator();
        List<Value> seeds = Arrays.asList(new Value[term.numOperands()]);
        for (int i : diffOut) seeds.set(i, nb.addArgument(term.operand(i).type(), b.loc()));
        Sweep s = Regions.differentiate(nb, body, args, seeds, b.sweep());
        List<Value> outs = new ArrayList<>();
        for (int k : diffIn) outs.add(Regions.ctOrZeros(s, body.argument(k), args.get(k)));
        Region region = nb.sealRegion(outs, SdyOps.RETURN, b.loc());

        Map<String, Attribute> attrs = new LinkedHashMap<>();
        attrs.put("name", new StringAttr("vjp_" + Attrs.get(op, "name", StringAttr.class).value()));
        if (op.attr("in_shardings") instanceof TensorShardingPerValue inS && op.attr("out_shardings") instanceof TensorShardingPerValue outS) {
            List<TensorSharding> bwIn = new ArrayList<>(inS.shardings()), bwOut = new ArrayList<>();
            for (int i : diffOut) bwIn.add(outS.get(i));
            for (int k : diffIn) bwOut.add(inS.get(k));
            attrs.put("in_shardings", new TensorShardingPerValue(bwIn));
            attrs.put("out_shardings", new TensorShardingPerValue(bwOut));
        }
        List<Type> types = diffIn.stream().map(k -> op.operand(k).type()).toList();
        List<OpResult> res = b.ir().emit(SdyOps.NAMED_COMPUTATION, operands, attrs, List.of(region), types, b.loc());
        List<Value> out = new ArrayList<>(none);
        for (int j = 0; j < diffIn.size(); j++) out.set(diffIn.get(j), res.get(j));
        return out;
    }

    private static List<Integer> differentiable(List<Type> types) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) if (Backward.differentiable(types.get(i))) out.add(i);
        return out;
    }

    /** The mesh a sharding names: inline, or the module's {@code sdy.mesh} symbol. */
    private static MeshAttr mesh(Backward b, Operation op, TensorSharding s) {
        if (s.inlineMesh() != null) return s.inlineMesh();
        Operation decl;
        try {
            decl = b.sweep().symbols.apply(s.meshName());
        } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
            throw b.refuse(op, "sharding " + s + " names mesh @" + s.meshName() + ": differentiate the module (not a lone function) so its"
                    + " sdy.mesh resolves");
        }
        if (decl != null && decl.attr("mesh") instanceof MeshAttr m) return m;
        throw b.refuse(op, "sharding " + s + " names mesh @" + s.meshName() + ", which the module does not declare");
    }

    /** The manual axes the sharding does not split any dimension over: the value is replicated over them. */
    private static List<String> unmentioned(Backward b, Operation op, TensorSharding s, ManualAxes manual) {
        List<String> named = new ArrayList<>();
        for (AxisRef a : s.shardingAxes()) {
            if (a.isSubAxis() && manual.contains(a.name())) {
                throw b.refuse(op, "sharding " + s + " splits manual axis \"" + a.name() + "\" into sub-axes; only whole manual axes are supported");
            }
            named.add(a.name());
        }
        for (AxisRef a : s.unreducedAxes()) {
            if (manual.contains(a.name())) throw b.refuse(op, "sharding " + s + " has manual axis \"" + a.name() + "\" unreduced");
        }
        List<String> out = new ArrayList<>();
        for (String a : manual.axes()) if (!named.contains(a)) out.add(a);
        return out;
    }

    private static long product(MeshAttr mesh, List<String> axes) {
        long n = 1;
        for (String a : axes) n = Math.multiplyExact(n, mesh.axisSize(a));
        return n;
    }

    /** {@code stablehlo.all_reduce} (sum) of {@code x} over the devices that differ only in {@code axes}. */
    private static Value allReduceSum(Backward b, Value x, MeshAttr mesh, List<String> axes) {
        Map<String, Attribute> p = new TreeMap<>();
        p.put("replica_groups", replicaGroups(mesh, axes));
        p.put("channel_handle", new ChannelHandle(1, 1));
        p.put("use_global_device_ids", UnitAttr.INSTANCE);
        Region sum = b.hlo().combiner("add", Backward.tensor(x).elementType(), b.loc());
        return b.ir().emit("stablehlo.all_reduce", List.of(x), p, List.of(sum), List.of(x.type()), b.loc()).get(0);
    }

    /**
     * One group per position on the other axes, listing the devices along {@code axes} (row-major over them, in
     * the mesh's axis order), as device ids of the mesh's device order.
     */
    static io.hlo4j.mlir.attr.DenseElementsAttr replicaGroups(MeshAttr mesh, List<String> axes) {
        List<MeshAttr.Axis> all = mesh.axes();
        int n = all.size();
        long total = mesh.totalSize(), groupSize = 1;
        for (MeshAttr.Axis a : all) if (axes.contains(a.name())) groupSize *= a.size();
        List<Long> ids = mesh.deviceOrder();
        Map<List<Long>, List<Long>> groups = new LinkedHashMap<>();
        for (long lin = 0; lin < total; lin++) {
            long rest = lin;
            long[] coord = new long[n];
            for (int d = n - 1; d >= 0; d--) { coord[d] = rest % all.get(d).size(); rest /= all.get(d).size(); }
            List<Long> key = new ArrayList<>();
            for (int d = 0; d < n; d++) key.add(axes.contains(all.get(d).name()) ? -1 : coord[d]);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(ids.get((int) lin));
        }
        long[] flat = new long[(int) total];
        int i = 0;
        for (List<Long> grp : groups.values()) for (long d : grp) flat[i++] = d;
        return Constants.ofLongs(TensorType.of(IntegerType.I64, groups.size(), groupSize), flat);
    }
}
