package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.fail;

/**
 * Shardy's rules on meshes and shardings, shared by every sdy op and by the {@code sdy.sharding}
 * attributes on other ops and on function arguments. Mesh-dependent rules need the op to sit inside a
 * module that declares the mesh; a free-standing op is checked only for what the sharding says alone.
 */
public final class SdyVerifier {
    private SdyVerifier() {}

    /** The meshes ({@code sdy.mesh @name = <...>}) of the module enclosing {@code op}, by name; empty when there is none. */
    public static Map<String, MeshAttr> meshesAround(Operation op) {
        Operation cur = op;
        while (cur != null && !cur.name().equals("builtin.module")) {
            Block b = cur.parent();
            Region r = b == null ? null : b.parent();
            cur = r == null ? null : r.parent();
        }
        return cur == null ? Map.of() : meshesOf(cur);
    }

    /** The meshes declared at the top level of {@code module}, in order. */
    public static Map<String, MeshAttr> meshesOf(Operation module) {
        Map<String, MeshAttr> m = new LinkedHashMap<>();
        if (module.regions().isEmpty() || module.region(0).isEmpty()) return m;
        for (Operation o : module.region(0).entry().operations()) {
            if (o.name().equals(SdyOps.MESH) && o.attr("mesh") instanceof MeshAttr mesh
                    && o.attr("sym_name") instanceof io.hlo4j.mlir.attr.StringAttr n) {
                m.put(n.value(), mesh);
            }
        }
        return m;
    }

    /** Whether the op sits inside a module (so an unknown mesh name is an error rather than unknowable). */
    static boolean inModule(Operation op) {
        Operation cur = op;
        while (cur != null) {
            if (cur.name().equals("builtin.module")) return true;
            Block b = cur.parent();
            Region r = b == null ? null : b.parent();
            cur = r == null ? null : r.parent();
        }
        return false;
    }

    /** A mesh's own rules: unique axis names, positive sizes, and device ids that are a permutation of iota or one maximal id. */
    public static void verifyMesh(Operation op, MeshAttr mesh) {
        Set<String> names = new HashSet<>();
        for (MeshAttr.Axis a : mesh.axes()) {
            if (!names.add(a.name())) throw fail(op, "mesh has duplicate axis name \"" + a.name() + "\"");
            if (a.size() <= 0) throw fail(op, "mesh axis \"" + a.name() + "\" must have a positive size, got " + a.size());
        }
        List<Long> ids = mesh.deviceIds();
        if (ids.isEmpty()) return;
        if (mesh.axes().isEmpty()) {
            if (ids.size() != 1) throw fail(op, "a mesh without axes may have exactly one device id (maximal mesh), got " + ids);
            if (ids.get(0) < 0) throw fail(op, "device id must be non-negative, got " + ids.get(0));
            return;
        }
        if (ids.size() != mesh.totalSize()) {
            throw fail(op, "mesh has " + ids.size() + " device ids but its axes multiply to " + mesh.totalSize());
        }
        boolean[] seen = new boolean[ids.size()];
        for (long id : ids) {
            if (id < 0 || id >= ids.size()) throw fail(op, "device ids must be a permutation of 0.." + (ids.size() - 1) + ", got " + ids);
            if (seen[(int) id]) throw fail(op, "device ids must be unique, got " + ids);
            seen[(int) id] = true;
        }
    }

    /** The mesh a sharding uses, or null when it names a mesh and {@code op} is not inside a module. */
    public static MeshAttr meshOf(Operation op, TensorSharding s, Map<String, MeshAttr> meshes, String role) {
        if (s.inlineMesh() != null) {
            verifyMesh(op, s.inlineMesh());
            return s.inlineMesh();
        }
        MeshAttr m = meshes.get(s.meshName());
        if (m == null && inModule(op)) throw fail(op, role + " refers to unknown mesh @" + s.meshName());
        return m;
    }

    /**
     * A sharding of a value of type {@code type}: one dimension sharding per tensor dimension, axes that exist in
     * the mesh, valid sub-axes, and no axis used twice (across dimensions, replicated and unreduced).
     */
    public static void verifySharding(Operation op, TensorSharding s, Type type, Map<String, MeshAttr> meshes, String role) {
        MeshAttr named = s.inlineMesh() != null ? s.inlineMesh() : meshes.get(s.meshName());
        if (type instanceof TensorType t && t.rank() > 0 && s.rank() == 0 && named != null && named.isMaximal()) {
            // Shardy's maximal sharding (JAX's placement on one device) has no dimension list whatever the rank
            throw fail(op, role + " " + s + " places the whole " + t + " on device " + named.deviceOrder().get(0) + " (a maximal sharding, "
                    + "mesh " + named.body() + "); hlo4j has no single-device placement: shard it on a mesh or leave it unannotated");
        }
        if (type instanceof TensorType t && s.rank() != t.rank()) {
            throw fail(op, role + " has " + s.rank() + " dimension shardings but the tensor " + t + " has rank " + t.rank());
        }
        if (!(type instanceof TensorType) && type != null && s.rank() != 0) {
            throw fail(op, role + " of a non-tensor value " + type + " must have no dimension shardings");
        }
        for (int d = 0; d < s.rank(); d++) {
            DimensionSharding ds = s.dimShardings().get(d);
            if (ds.axes().isEmpty() && ds.closed() && ds.priority() != null) {
                throw fail(op, role + " dim " + d + " is empty and closed but has a priority");
            }
        }
        MeshAttr mesh = meshOf(op, s, meshes, role);
        Set<String> fullAxes = new HashSet<>();
        Set<AxisRef> used = new HashSet<>();
        for (List<AxisRef> group : List.of(s.shardingAxes(), s.replicatedAxes(), s.unreducedAxes())) {
            for (AxisRef a : group) {
                if (!used.add(a)) throw fail(op, role + " uses axis " + a + " more than once");
                if (!a.isSubAxis()) fullAxes.add(a.name());
            }
        }
        for (AxisRef a : used) {
            if (a.isSubAxis() && fullAxes.contains(a.name())) {
                throw fail(op, role + " uses axis \"" + a.name() + "\" both whole and as sub-axis " + a);
            }
        }
        if (mesh == null) return;
        if (mesh.isMaximal() && !used.isEmpty()) throw fail(op, role + " uses axes on a maximal mesh, which has none");
        for (AxisRef a : used) verifyAxisRef(op, a, mesh, role);
    }

    static void verifyAxisRef(Operation op, AxisRef a, MeshAttr mesh, String role) {
        long size = mesh.axisSize(a.name());
        if (size < 0) throw fail(op, role + " refers to unknown axis \"" + a.name() + "\" (mesh axes " + mesh.axisNames() + ")");
        if (!a.isSubAxis()) return;
        if (a.preSize() < 1) throw fail(op, role + " sub-axis " + a + " must have a pre-size of at least 1");
        if (a.size() <= 1) throw fail(op, role + " sub-axis " + a + " must have a size greater than 1");
        long span = Math.multiplyExact(a.preSize(), a.size());
        if (size % span != 0) {
            throw fail(op, role + " sub-axis " + a + ": pre-size times size (" + span + ") must divide the axis size " + size);
        }
        if (span == size && a.preSize() == 1) throw fail(op, role + " sub-axis " + a + " covers the whole axis; write \"" + a.name() + "\"");
    }

    /** Each element of {@code shardings} against the matching type; the count must match. */
    public static void verifyPerValue(Operation op, TensorShardingPerValue shardings, List<Type> types,
                                      Map<String, MeshAttr> meshes, String role) {
        if (shardings.size() != types.size()) {
            throw fail(op, role + " has " + shardings.size() + " shardings but there are " + types.size() + " values");
        }
        for (int i = 0; i < types.size(); i++) verifySharding(op, shardings.get(i), types.get(i), meshes, role + " #" + i);
    }

    /**
     * Checks every {@code sdy.sharding} annotation in {@code module} against the module's meshes and the
     * annotated types: on function arguments and results (a {@code #sdy.sharding}) and on ops (a
     * {@code #sdy.sharding_per_value} with one sharding per result). Op verifiers see only their own op, so
     * this is the pass that catches a bad {@code sdy.sharding} on, say, a {@code stablehlo.add}.
     */
    public static void verifyShardingAnnotations(Operation module) {
        Map<String, MeshAttr> meshes = meshesOf(module);
        io.hlo4j.mlir.ir.Walker.walk(module, op -> {
            if (op.name().equals("func.func") && op.attr("function_type") instanceof io.hlo4j.mlir.attr.TypeAttr ta
                    && ta.value() instanceof io.hlo4j.mlir.types.FunctionType ft) {
                checkEntries(op, op.attr("arg_attrs"), ft.inputs(), meshes, "argument");
                checkEntries(op, op.attr("res_attrs"), ft.results(), meshes, "result");
                return;
            }
            io.hlo4j.mlir.attr.Attribute a = op.attributes().get("sdy.sharding");
            if (a == null) return;
            if (!(a instanceof TensorShardingPerValue perValue)) {
                throw fail(op, "sdy.sharding on an op must be a #sdy.sharding_per_value<[...]>, got " + a);
            }
            verifyPerValue(op, perValue, op.resultTypes(), meshes, "sdy.sharding");
        });
    }

    private static void checkEntries(Operation func, io.hlo4j.mlir.attr.Attribute entries, List<Type> types,
                                     Map<String, MeshAttr> meshes, String role) {
        if (!(entries instanceof io.hlo4j.mlir.attr.ArrayAttr arr)) return;
        for (int i = 0; i < arr.size() && i < types.size(); i++) {
            if (!(arr.get(i) instanceof io.hlo4j.mlir.attr.DictionaryAttr d)) continue;
            io.hlo4j.mlir.attr.Attribute a = d.get("sdy.sharding");
            if (a == null) continue;
            try {
                if (!(a instanceof TensorSharding s)) throw fail(func, role + " #" + i + ": sdy.sharding must be a #sdy.sharding<...>, got " + a);
                verifySharding(func, s, types.get(i), meshes, role + " #" + i + " sdy.sharding");
            } catch (io.hlo4j.mlir.ir.VerificationException e) {
                throw e.location() instanceof io.hlo4j.mlir.ir.Location.Unknown ? e.at(valueLocation(func, role.equals("argument"), i)) : e;
            }
        }
    }

    /**
     * Where argument or result {@code i} of {@code func} is written, for an error about its sharding when the function's
     * own location is unknown (JAX's exports write loc(unknown) on functions): the argument's location, or the location of
     * the op defining the value returned as result {@code i}. Unknown when there is none.
     */
    private static io.hlo4j.mlir.ir.Location valueLocation(Operation func, boolean argument, int i) {
        if (func.regions().isEmpty() || func.region(0).isEmpty()) return io.hlo4j.mlir.ir.Location.UNKNOWN;
        Block entry = func.region(0).entry();
        if (argument) return i < entry.arguments().size() ? entry.arguments().get(i).location() : io.hlo4j.mlir.ir.Location.UNKNOWN;
        List<Operation> ops = entry.operations();
        if (ops.isEmpty()) return io.hlo4j.mlir.ir.Location.UNKNOWN;
        Operation ret = ops.get(ops.size() - 1);
        if (!(ret.location() instanceof io.hlo4j.mlir.ir.Location.Unknown) || i >= ret.numOperands()) return ret.location();
        io.hlo4j.mlir.ir.Value v = ret.operand(i);
        if (v instanceof io.hlo4j.mlir.ir.OpResult r) return r.owner().location();
        if (v instanceof io.hlo4j.mlir.ir.BlockArgument b) return b.location();
        return io.hlo4j.mlir.ir.Location.UNKNOWN;
    }
}
