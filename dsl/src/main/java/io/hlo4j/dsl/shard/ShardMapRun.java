package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A fully manual {@code shard_map} run directly, without a partitioner: the body is traced once on local shapes
 * as a standalone per-device module ({@code mhlo.num_partitions} = the mesh's device count; its collectives
 * already carry global replica groups), the global arguments are split by their in specs
 * ({@link ShardedArrays#split}), every device runs the module on the interpreter ({@code runParallel}, partition
 * id = device id) and the results are assembled by their out specs ({@link ShardedArrays#assemble}, which refuses
 * replicas that disagree). This is what an SPMD partitioner makes of a {@code sdy.manual_computation} over all
 * axes, so the two routes can be compared.
 */
public final class ShardMapRun {
    private final Mesh mesh;
    private final List<NamedSharding> in;
    private final List<NamedSharding> out;
    private final List<long[]> globalIn;
    private final List<long[]> globalOut;
    private final List<TensorType> globalOutTypes;
    private final Module module;

    private ShardMapRun(Mesh mesh, List<NamedSharding> in, List<NamedSharding> out, List<long[]> globalIn, List<TensorType> globalOutTypes,
                        Module module) {
        this.mesh = mesh;
        this.in = in;
        this.out = out;
        this.globalIn = globalIn;
        this.globalOutTypes = List.copyOf(globalOutTypes);
        this.globalOut = globalOutTypes.stream().map(TensorType::shape).toList();
        this.module = module;
    }

    /**
     * Traces {@code body} on the local blocks of arguments with the given global specs ({@link Spec} or
     * {@link HostArray}); one in spec per argument, one out spec per result.
     */
    public static ShardMapRun trace(String name, Mesh mesh, List<PartitionSpec> inSpecs, List<PartitionSpec> outSpecs,
                                    Function<List<Tensor>, List<Tensor>> body, List<?> globalArgs) {
        Location loc = SourceLoc.here();
        String op = "ShardMapRun";
        if (inSpecs.size() != globalArgs.size()) {
            throw new DslException(op, "@" + name + " got " + globalArgs.size() + " arguments but " + inSpecs.size() + " in_specs " + inSpecs, loc);
        }
        List<NamedSharding> in = new ArrayList<>();
        List<long[]> globalIn = new ArrayList<>();
        List<Type> localTypes = new ArrayList<>();
        for (int i = 0; i < globalArgs.size(); i++) {
            TensorType t = switch (globalArgs.get(i)) {
                case Spec s -> s.tensorType();
                case HostArray h -> h.type();
                default -> throw new DslException(op, "argument #" + i + " " + globalArgs.get(i) + " is neither a Spec nor a HostArray", loc);
            };
            NamedSharding s = new NamedSharding(mesh, inSpecs.get(i));
            s.check(t.shape(), "shard_map argument #" + i + " (" + t + ") of @" + name);
            in.add(s);
            globalIn.add(t.shape());
            localTypes.add(TensorType.of(t.elementType(), s.shardShape(t.shape())));
        }
        FunctionBuilder fb = IrBuilder.function("main", localTypes, loc).visibility("public");
        List<Tensor> locals = new ArrayList<>();
        for (Value v : fb.arguments()) locals.add(new Tensor(v));
        List<Tensor> outs = ShardMap.withManualMesh(mesh, () -> Trace.within(fb, () -> body.apply(List.copyOf(locals))));
        if (outs.size() != outSpecs.size()) {
            throw new DslException(op, "the body of @" + name + " returned " + outs.size() + " tensors but " + outSpecs.size() + " out_specs "
                    + outSpecs + " were given", loc);
        }
        List<NamedSharding> outS = new ArrayList<>();
        List<TensorType> globalOut = new ArrayList<>();
        List<Value> results = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            Tensor o = outs.get(i);
            if (!fb.isVisible(o.value())) throw new DslException(op, "the body of @" + name + " returned result #" + i + " from outside the body", loc);
            if (outSpecs.get(i).length() > o.rank()) {
                throw new DslException(op, "result #" + i + " " + o.describe() + " has rank " + o.rank() + " but out spec " + outSpecs.get(i)
                        + " lists " + outSpecs.get(i).length() + " dimensions", loc);
            }
            NamedSharding s = new NamedSharding(mesh, outSpecs.get(i));
            long[] g = o.dims();
            for (int d = 0; d < g.length; d++) g[d] = Math.multiplyExact(g[d], s.shards(d));
            outS.add(s);
            globalOut.add(TensorType.of(o.type().elementType(), g));
            results.add(o.value());
        }
        Operation func = fb.finish(results, loc);
        DictionaryAttr attrs = DictionaryAttr.of(Map.<String, Attribute>of(
                "mhlo.num_partitions", IntegerAttr.i32(mesh.size()), "mhlo.num_replicas", IntegerAttr.i32(1)));
        Module m = Module.of("shard_map_" + name, attrs, List.of(func), loc);
        ModuleVerifier.verify(m);
        return new ShardMapRun(mesh, List.copyOf(in), List.copyOf(outS), List.copyOf(globalIn), List.copyOf(globalOut), m);
    }

    /** The global types of the results (local shapes times the shards of their out specs). */
    public List<TensorType> resultTypes() { return globalOutTypes; }

    /** The per-device module (local shapes, explicit collectives). */
    public Module module() { return module; }

    public Mesh mesh() { return mesh; }

    public List<NamedSharding> inShardings() { return in; }

    public List<NamedSharding> outShardings() { return out; }

    /** Splits the global arguments, runs every device, assembles the global results. */
    public List<HostArray> run(List<HostArray> globalArgs) {
        return assemble(runPerDevice(globalArgs));
    }

    /** Each device's local results, indexed by device id. */
    public List<List<HostArray>> runPerDevice(List<HostArray> globalArgs) {
        if (globalArgs.size() != in.size()) {
            throw Mesh.fail("ShardMapRun: " + globalArgs.size() + " arguments given, the module takes " + in.size());
        }
        int n = mesh.size();
        List<List<RtValue>> perDevice = new ArrayList<>();
        for (int d = 0; d < n; d++) perDevice.add(new ArrayList<>());
        for (int i = 0; i < globalArgs.size(); i++) {
            HostArray g = globalArgs.get(i);
            if (!java.util.Arrays.equals(g.shape(), globalIn.get(i))) {
                throw Mesh.fail("ShardMapRun: argument #" + i + " has shape " + java.util.Arrays.toString(g.shape()) + ", traced for "
                        + java.util.Arrays.toString(globalIn.get(i)));
            }
            List<HostArray> blocks = ShardedArrays.split(g, in.get(i));
            for (int d = 0; d < n; d++) perDevice.get(d).add(HostArrays.toTensor(blocks.get(d)));
        }
        List<List<RtValue>> res = new Interpreter(module).runParallel("main", 1, n, perDevice);
        List<List<HostArray>> out = new ArrayList<>();
        for (List<RtValue> r : res) out.add(HostArrays.toHost(r));
        return out;
    }

    /** The global results from each device's local results (indexed by device id). */
    public List<HostArray> assemble(List<List<HostArray>> perDevice) {
        List<HostArray> global = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            List<HostArray> shards = new ArrayList<>();
            for (List<HostArray> d : perDevice) shards.add(d.get(i));
            global.add(ShardedArrays.assemble(shards, out.get(i), globalOut.get(i)));
        }
        return global;
    }
}
