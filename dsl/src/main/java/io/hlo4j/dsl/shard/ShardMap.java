package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.mlir.dialect.sdy.ManualAxes;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * JAX's {@code shard_map}, annotated form: the body runs per device on local blocks and is emitted as
 * {@code sdy.manual_computation} with every mesh axis manual (operands and results global, the body's
 * arguments and {@code sdy.return} local). The body may use {@link Collectives}, which take their replica
 * groups from this mesh. A tensor of the enclosing trace that the body uses is closed over as JAX's shard_map
 * closes over a tracer: it becomes an extra operand of the manual computation, after the arguments in the order
 * of first use, replicated (in spec {@code P()}, the whole tensor on every device); its gradient is the sum over
 * the devices, as for any replicated operand (the manual computation's VJP rule).
 * Only inside a {@link ShardedJit} trace (which declares the mesh).
 */
public final class ShardMap {
    private ShardMap() {}

    private static final ThreadLocal<Deque<Mesh>> MANUAL = ThreadLocal.withInitial(ArrayDeque::new);

    /** The mesh of the innermost shard_map body being traced, or null. */
    static Mesh currentMesh() { return MANUAL.get().peek(); }

    /**
     * Runs {@code body} with {@code mesh} as the manual mesh that {@link Collectives} read, outside any
     * {@code sdy.manual_computation}: for tracing a body as a standalone per-device function ({@link ShardMapRun}).
     */
    static <T> T withManualMesh(Mesh mesh, java.util.function.Supplier<T> body) {
        MANUAL.get().push(mesh);
        try {
            return body.get();
        } finally {
            MANUAL.get().pop();
        }
    }

    /** One in spec per argument, one out spec per result of {@code body}. */
    public static List<Tensor> shardMap(Mesh mesh, List<PartitionSpec> inSpecs, List<PartitionSpec> outSpecs,
                                        Function<List<Tensor>, List<Tensor>> body, Tensor... args) {
        Location loc = SourceLoc.here();
        String op = "shardMap";
        MeshScope scope = MeshScope.current();
        if (scope == null) throw new DslException(op, "needs a sharded jit (ShardedJit), which declares mesh @" + mesh.name(), loc);
        if (inSpecs.size() != args.length) {
            throw new DslException(op, "got " + args.length + " arguments but " + inSpecs.size() + " in_specs " + inSpecs, loc);
        }
        Trace cur = Trace.current(op, loc);
        List<Value> operands = new ArrayList<>();
        List<Type> localTypes = new ArrayList<>();
        List<TensorSharding> inS = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            Tensor a = args[i];
            if (!cur.ir().isVisible(a.value())) throw new DslException(op, "argument #" + i + " " + a.describe() + " is used outside its trace", loc);
            NamedSharding s = new NamedSharding(mesh, inSpecs.get(i));
            s.check(a.dims(), "shard_map argument #" + i + " (" + a.describe() + ")", op);
            operands.add(a.value());
            localTypes.add(TensorType.of(a.type().elementType(), s.shardShape(a.dims())));
            inS.add(s.toSdy(a.rank()));
        }
        scope.add(mesh, op, loc);

        FunctionBuilder fb = IrBuilder.function("shard_map_body", localTypes, loc);
        List<Tensor> locals = new ArrayList<>();
        for (Value v : fb.arguments()) locals.add(new Tensor(v));
        // closed-over tensors of the enclosing trace: outer value -> the body argument added for it, in order of first use
        Map<Value, Value> captures = new java.util.LinkedHashMap<>();
        java.util.function.Function<Value, Value> capture = outer -> captures.computeIfAbsent(outer, o -> fb.addArgument(o.type(), loc));
        MANUAL.get().push(mesh);
        List<Tensor> outs;
        try {
            outs = Trace.within(fb, capture, () -> body.apply(List.copyOf(locals)));
        } finally {
            MANUAL.get().pop();
        }
        for (Value outer : captures.keySet()) {
            TensorType t = (TensorType) outer.type();
            operands.add(outer);
            inS.add(NamedSharding.of(mesh).toSdy(t.rank()));
        }
        if (outs.size() != outSpecs.size()) {
            throw new DslException(op, "the body returned " + outs.size() + " tensors but " + outSpecs.size() + " out_specs " + outSpecs + " were given", loc);
        }
        List<Value> results = new ArrayList<>();
        List<Type> globalTypes = new ArrayList<>();
        List<TensorSharding> outS = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            Tensor o = outs.get(i);
            if (!fb.isVisible(o.value())) throw new DslException(op, "the body returned result #" + i + " " + o.describe() + " from outside the body", loc);
            NamedSharding s = new NamedSharding(mesh, outSpecs.get(i));
            if (outSpecs.get(i).length() > o.rank()) {
                throw new DslException(op, "result #" + i + " " + o.describe() + " has rank " + o.rank() + " but out spec " + outSpecs.get(i)
                        + " lists " + outSpecs.get(i).length() + " dimensions", loc);
            }
            long[] global = o.dims();
            for (int d = 0; d < global.length; d++) global[d] = Math.multiplyExact(global[d], s.shards(d));
            results.add(o.value());
            globalTypes.add(TensorType.of(o.type().elementType(), global));
            outS.add(s.toSdy(o.rank()));
        }
        Region region = fb.sealRegion(results, SdyOps.RETURN, loc);
        List<OpResult> r = cur.ir().emit(SdyOps.MANUAL_COMPUTATION, operands,
                Map.of("in_shardings", new TensorShardingPerValue(inS), "out_shardings", new TensorShardingPerValue(outS),
                        "manual_axes", new ManualAxes(mesh.axisNames())),
                List.of(region), globalTypes, loc);
        List<Tensor> out = new ArrayList<>();
        for (OpResult v : r) out.add(new Tensor(v));
        return out;
    }

    /** One argument, one result. */
    public static Tensor shardMap(Mesh mesh, PartitionSpec inSpec, PartitionSpec outSpec, Function<Tensor, Tensor> body, Tensor x) {
        return shardMap(mesh, List.of(inSpec), List.of(outSpec), ts -> List.of(body.apply(ts.get(0))), x).get(0);
    }
}
