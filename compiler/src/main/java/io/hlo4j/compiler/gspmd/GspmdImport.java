package io.hlo4j.compiler.gspmd;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.gspmd.GspmdMesh;
import io.hlo4j.mlir.gspmd.GspmdSharding;
import io.hlo4j.mlir.gspmd.SdyRoundTripNames;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A module JAX lowered before Shardy (GSPMD: {@code mhlo.sharding = "..."} strings), rewritten into the Shardy form
 * hlo4j's partitioner reads: one {@code sdy.mesh @gspmd} ({@link GspmdMesh}) over {@code mhlo.num_partitions}
 * devices, {@code sdy.sharding} on {@code @main}'s arguments and results in place of their {@code mhlo.sharding},
 * and each {@code custom_call @Sharding} (a {@code with_sharding_constraint}) as an {@code sdy.sharding_constraint}.
 * Pre-Shardy {@code shard_map} ({@code @SPMDFullToShardShape}, {@code @SPMDShardToFullShape}, {@code {manual}}) and
 * replicas ({@code mhlo.num_replicas > 1}) are refused by name with the op's location.
 */
public final class GspmdImport {
    private GspmdImport() {}

    public static final String MESH_NAME = "gspmd";

    private static final List<String> MANUAL_TARGETS = List.of("SPMDFullToShardShape", "SPMDShardToFullShape");
    private static final List<String> ROUND_TRIP_TARGETS = List.of(SdyRoundTripNames.GLOBAL_TO_LOCAL,
            SdyRoundTripNames.LOCAL_TO_GLOBAL);

    /** True when {@code module} carries GSPMD shardings and no Shardy mesh: what {@link #toShardy} rewrites. */
    public static boolean applies(Module module) {
        boolean[] gspmd = {false}, shardy = {false};
        Walker.walk(module.op(), op -> {
            if (op.name().equals(SdyOps.MESH)) shardy[0] = true;
            if (op.name().equals("stablehlo.custom_call") && op.attr("mhlo.sharding") instanceof StringAttr) gspmd[0] = true;
            if (op.name().equals("func.func")) {
                for (String key : List.of("arg_attrs", "res_attrs")) {
                    if (op.attr(key) instanceof ArrayAttr a) {
                        for (Attribute d : a.elements()) if (d instanceof DictionaryAttr dict && dict.get("mhlo.sharding") instanceof StringAttr) gspmd[0] = true;
                    }
                }
            }
        });
        return gspmd[0] && !shardy[0];
    }

    /** The Shardy form of {@code module} (see the class comment); a module {@link #applies} does not hold comes back as it is. */
    public static Module toShardy(Module module) {
        if (!applies(module)) return module;
        Location mloc = module.op().location();
        long replicas = intAttr(module, "mhlo.num_replicas", 1);
        if (replicas != 1) {
            throw new Hlo4jException("module @" + module.name() + " has mhlo.num_replicas = " + replicas + "; hlo4j imports GSPMD shardings"
                    + " for one replica of mhlo.num_partitions devices", mloc);
        }
        long devices = intAttr(module, "mhlo.num_partitions", 1);
        List<GspmdSharding> all = new ArrayList<>();
        Walker.walk(module.op(), op -> {
            if (op.name().equals("stablehlo.custom_call") && op.attr("call_target_name") instanceof StringAttr t && MANUAL_TARGETS.contains(t.value())) {
                throw new Hlo4jException("stablehlo.custom_call @" + t.value() + " is a pre-Shardy (GSPMD)"
                        + " shard_map, which hlo4j's partitioner does not import: lower it with Shardy (jax.config.update("
                        + "'jax_use_shardy_partitioner', True)) to get sdy.manual_computation", op.location());
            }
            if (op.name().equals("stablehlo.custom_call") && op.attr("call_target_name") instanceof StringAttr t && ROUND_TRIP_TARGETS.contains(t.value())) {
                throw new Hlo4jException("stablehlo.custom_call @" + t.value() + " is a shard_map in Shardy's"
                        + " round-trip form (what jax.export serializes), but the module has no xla.sdy.meshes frontend attribute to"
                        + " read it with: give hlo4j the whole exported module, or the text of jax.jit(f).lower(*args).as_text()", op.location());
            }
            if (op.name().equals("stablehlo.custom_call") && op.attr("mhlo.sharding") instanceof StringAttr s) {
                all.add(GspmdSharding.parse(s.value(), op.location()));
            }
        });
        Operation main = module.symbols().lookup("main");
        if (main == null) throw new Hlo4jException("module @" + module.name() + " has GSPMD shardings but no @main", mloc);
        for (String key : List.of("arg_attrs", "res_attrs")) {
            if (main.attr(key) instanceof ArrayAttr a) {
                for (Attribute d : a.elements()) {
                    if (d instanceof DictionaryAttr dict && dict.get("mhlo.sharding") instanceof StringAttr s && !s.value().isEmpty()) {
                        all.add(GspmdSharding.parse(s.value(), main.location()));
                    }
                }
            }
        }
        GspmdMesh mesh = GspmdMesh.derive(devices, all, mloc);
        Map<Value, Value> map = new IdentityHashMap<>();
        List<Operation> body = new ArrayList<>();
        body.add(Operation.builder(SdyOps.MESH).property("sym_name", new StringAttr(MESH_NAME)).property("mesh", mesh.mesh())
                .location(mloc).build());
        for (Operation op : module.operations()) {
            body.add(op == main ? rewrite(op, map, mesh, entryAttrs(main, mesh)) : rewrite(op, map, mesh, Map.of()));
        }
        return Module.of(module.name(), module.attributes(), body, mloc);
    }

    private static long intAttr(Module m, String key, long dflt) {
        return m.attributes() != null && m.attributes().get(key) instanceof IntegerAttr a ? a.value() : dflt;
    }

    /** A copy of {@code op} with every {@code custom_call @Sharding} inside turned into {@code sdy.sharding_constraint}. */
    private static Operation rewrite(Operation op, Map<Value, Value> map, GspmdMesh mesh, Map<String, Attribute> replaced) {
        if (op.name().equals("stablehlo.custom_call") && op.attr("call_target_name") instanceof StringAttr t && t.value().equals("Sharding")) {
            if (op.numOperands() != 1 || op.numResults() != 1 || !(op.result(0).type() instanceof TensorType tt)) {
                throw new Hlo4jException("stablehlo.custom_call @Sharding takes one tensor, got "
                        + op.operandTypes() + " -> " + op.resultTypes(), op.location());
            }
            GspmdSharding s = GspmdSharding.parse(((StringAttr) op.attr("mhlo.sharding")).value(), op.location());
            TensorSharding sdy = openUnspecified(op, mesh.toSdy(s, tt.rank(), MESH_NAME, "stablehlo.custom_call @Sharding",
                    op.location()));
            return Operation.builder(SdyOps.SHARDING_CONSTRAINT).location(op.location()).property("sharding", sdy)
                    .operand(Cloner.lookup(map, op.operand(0), op)).resultType(tt).build();
        }
        Operation.Builder b = Cloner.shell(op, map, Cloner.Options.KEEP);
        for (var e : replaced.entrySet()) {
            if (op.properties().contains(e.getKey())) b.property(e.getKey(), e.getValue());
            else b.attribute(e.getKey(), e.getValue());
        }
        for (var r : op.regions()) b.region(Cloner.rebuild(r, map, inner -> rewrite(inner, map, mesh, Map.of())));
        return b.build();
    }

    private static final java.util.regex.Pattern UNSPECIFIED = java.util.regex.Pattern.compile("unspecified_dims=\\[([0-9,\\s]*)]");

    /**
     * {@code sdy} with the dims named in the op's {@code backend_config = "unspecified_dims=[...]"} open: JAX writes it for a
     * {@code with_sharding_constraint} whose spec has {@code P.UNCONSTRAINED} dims, and XLA's import makes those dims
     * open ({@code {?}}) so propagation may shard them, rather than replicated.
     */
    static TensorSharding openUnspecified(Operation op, TensorSharding sdy) {
        if (!(op.attr("backend_config") instanceof StringAttr cfg) || cfg.value().isEmpty()) return sdy;
        String where = "stablehlo.custom_call @Sharding";
        var m = UNSPECIFIED.matcher(cfg.value().strip());
        if (!m.matches()) {
            throw new Hlo4jException(where + " has backend_config \"" + cfg.value() + "\"; hlo4j reads only \"unspecified_dims=[d, ...]\""
                    + " there (JAX's unconstrained dims of a sharding constraint)", op.location());
        }
        List<io.hlo4j.mlir.dialect.sdy.DimensionSharding> dims = new ArrayList<>(sdy.dimShardings());
        for (String part : m.group(1).split(",")) {
            if (part.isBlank()) continue;
            // digits only (the pattern), but possibly past int: compare as text length first, then as a long
            String digits = part.strip();
            long d = digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
            if (d < 0 || d >= dims.size()) {
                throw new Hlo4jException(where + ": backend_config \"" + cfg.value() + "\" names dim " + digits + " but the value has rank "
                        + dims.size(), op.location());
            }
            var old = dims.get((int) d);
            dims.set((int) d, new io.hlo4j.mlir.dialect.sdy.DimensionSharding(old.axes(), false, old.priority()));
        }
        return new TensorSharding(sdy.meshName(), sdy.inlineMesh(), dims, sdy.replicatedAxes(), sdy.unreducedAxes(), sdy.reduction());
    }

    /** @main's arg_attrs and res_attrs with each mhlo.sharding written as sdy.sharding. */
    private static Map<String, Attribute> entryAttrs(Operation main, GspmdMesh mesh) {
        Map<String, Attribute> out = new java.util.HashMap<>();
        var entry = main.region(0).entry();
        List<Type> argTypes = entry.arguments().stream().map(Value::type).toList();
        List<Type> resTypes = entry.terminator() == null ? List.of() : entry.terminator().operandTypes();
        for (String key : List.of("arg_attrs", "res_attrs")) {
            if (!(main.attr(key) instanceof ArrayAttr a)) continue;
            List<Type> types = key.equals("arg_attrs") ? argTypes : resTypes;
            List<Attribute> list = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                Attribute d = a.get(i);
                if (d instanceof DictionaryAttr dict && dict.get("mhlo.sharding") instanceof StringAttr s) {
                    dict = dict.without("mhlo.sharding");
                    if (!s.value().isEmpty()) {
                        String what = (key.equals("arg_attrs") ? "argument " : "result ") + i + " of @main";
                        if (!(types.get(i) instanceof TensorType tt)) throw new Hlo4jException(what + " is not a tensor", main.location());
                        dict = dict.with("sdy.sharding", mesh.toSdy(GspmdSharding.parse(s.value(), main.location()), tt.rank(), MESH_NAME, what,
                                main.location()));
                    }
                    d = dict;
                }
                list.add(d);
            }
            out.put(key, new ArrayAttr(list));
        }
        return out;
    }
}
