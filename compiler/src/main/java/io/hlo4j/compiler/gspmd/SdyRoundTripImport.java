package io.hlo4j.compiler.gspmd;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.sdy.ManualAxes;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.gspmd.SdyRoundTripNames;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.parse.MlirParser;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shardy's round-trip form, which {@code jax.export} serializes (and {@code Exported.mlir_module()} prints), read
 * back into the sdy dialect hlo4j partitions. In that form Shardy's attributes travel as strings in
 * {@code mhlo.frontend_attributes}:
 * <ul>
 *   <li>the module's {@code xla.sdy.meshes = "{mesh = #sdy.mesh<...>}"} become {@code sdy.mesh} ops;</li>
 *   <li>an argument's {@code xla.sdy.sharding} becomes its {@code sdy.sharding} (its GSPMD {@code mhlo.sharding},
 *   the same layout, is dropped); {@code custom_call @xla.sdy.FuncResultSharding} gives the sharding of the
 *   result it feeds and is removed;</li>
 *   <li>{@code custom_call @xla.sdy.GlobalToLocalShape}, {@code call @xla.sdy.manual_computation_body...},
 *   {@code custom_call @xla.sdy.LocalToGlobalShape} (with {@code xla.sdy.in_shardings}, {@code out_shardings},
 *   {@code manual_axes} on the custom calls, or, in older exports, all three on the call) become one
 *   {@code sdy.manual_computation} whose body is the called function's;</li>
 *   <li>an op's {@code xla.sdy.sharding} and {@code xla.sdy.sharding_rule} become its {@code sdy.sharding} and
 *   {@code sdy.sharding_rule}; {@code custom_call @Sharding} with an {@code xla.sdy.sharding} becomes an
 *   {@code sdy.sharding_constraint}.</li>
 * </ul>
 * Any other {@code xla.sdy.*} custom call, and a shard_map whose three parts are not laid out so, are refused by
 * name with their location.
 */
public final class SdyRoundTripImport {
    private SdyRoundTripImport() {}

    private static final String FRONTEND = "mhlo.frontend_attributes";
    private static final String G2L = SdyRoundTripNames.GLOBAL_TO_LOCAL, L2G = SdyRoundTripNames.LOCAL_TO_GLOBAL;
    private static final String RESULT_SHARDING = SdyRoundTripNames.FUNC_RESULT_SHARDING, BODY_PREFIX = SdyRoundTripNames.BODY_PREFIX;

    /** True when {@code module} is in the round-trip form (its frontend attributes list Shardy meshes). */
    public static boolean applies(Module module) {
        return module.attributes() != null && module.attributes().get(FRONTEND) instanceof DictionaryAttr d && d.get("xla.sdy.meshes") instanceof StringAttr;
    }

    /**
     * True when {@code module} is in the round-trip form and holds a shard_map: a {@code call @xla.sdy.manual_computation_body...}
     * or a {@code @xla.sdy.GlobalToLocalShape} / {@code @xla.sdy.LocalToGlobalShape} custom call (a shard_map without
     * inputs has no {@code GlobalToLocalShape}). Such a module runs per device and needs the partitioner.
     */
    public static boolean holdsShardMap(Module module) {
        if (!applies(module)) return false;
        boolean[] found = {false};
        io.hlo4j.mlir.ir.Walker.walk(module.op(), op -> {
            String t = target(op);
            if (G2L.equals(t) || L2G.equals(t)) found[0] = true;
            if (op.name().equals("func.call") && op.attr("callee") instanceof io.hlo4j.mlir.attr.SymbolRefAttr c && c.root().startsWith(BODY_PREFIX)) {
                found[0] = true;
            }
        });
        return found[0];
    }

    /** The sdy-dialect form of {@code module}; a module {@link #applies} does not hold comes back as it is. */
    public static Module toShardy(Module module) {
        if (!applies(module)) return module;
        Location mloc = module.op().location();
        DictionaryAttr frontend = (DictionaryAttr) module.attributes().get(FRONTEND);
        Attribute meshes = parse(((StringAttr) frontend.get("xla.sdy.meshes")).value(), "the module's xla.sdy.meshes", mloc);
        if (!(meshes instanceof DictionaryAttr md)) throw new Hlo4jException("the module's xla.sdy.meshes is not a dictionary of meshes: " + meshes, mloc);
        List<Operation> body = new ArrayList<>();
        for (var e : md.asMap().entrySet()) {
            if (!(e.getValue() instanceof MeshAttr mesh)) throw new Hlo4jException("xla.sdy.meshes entry " + e.getKey() + " is not a mesh: " + e.getValue(), mloc);
            body.add(Operation.builder(SdyOps.MESH).property("sym_name", new StringAttr(e.getKey())).property("mesh", mesh).location(mloc).build());
        }
        Map<String, Operation> functions = new HashMap<>();
        for (Operation op : module.operations()) {
            if (op.attr("sym_name") instanceof StringAttr n) functions.put(n.value(), op);
        }
        Rewriter rw = new Rewriter(functions);
        for (Operation op : module.operations()) {
            if (op.attr("sym_name") instanceof StringAttr n && n.value().startsWith(BODY_PREFIX)) continue; // inlined where called
            body.add(rw.function(op));
        }
        for (String n : functions.keySet()) {
            if (n.startsWith(BODY_PREFIX) && !rw.inlined.contains(n)) {
                throw new Hlo4jException("function @" + n + " is a shard_map body in Shardy's round-trip form but no "
                        + "@xla.sdy.GlobalToLocalShape / @xla.sdy.LocalToGlobalShape pair calls it", functions.get(n).location());
            }
        }
        DictionaryAttr attrs = module.attributes();
        DictionaryAttr fe = frontend.without("xla.sdy.meshes");
        attrs = fe.isEmpty() ? attrs.without(FRONTEND) : attrs.with(FRONTEND, fe);
        return Module.of(module.name(), attrs, body, mloc);
    }

    static Attribute parse(String text, String what, Location loc) {
        try {
            return MlirParser.parseAttribute(text);
        } catch (RuntimeException e) {
            throw new Hlo4jException(what + " \"" + text + "\" does not parse: " + e.getMessage(), loc, e);
        }
    }

    /** The string value of frontend attribute {@code key} of {@code op}, parsed; null when absent. */
    static Attribute frontend(Operation op, String key) {
        if (op.attr(FRONTEND) instanceof DictionaryAttr d && d.get(key) instanceof StringAttr s) {
            return parse(s.value(), "xla.sdy attribute " + key + " of " + op.name(), op.location());
        }
        return null;
    }

    static <T> T frontend(Operation op, String key, Class<T> type) {
        Attribute a = frontend(op, key);
        if (a == null) throw new Hlo4jException(op.name() + " has no " + key, op.location());
        if (!type.isInstance(a)) throw new Hlo4jException(key + " of " + op.name() + " is " + a, op.location());
        return type.cast(a);
    }

    static String target(Operation op) {
        return op.name().equals("stablehlo.custom_call") && op.attr("call_target_name") instanceof StringAttr t ? t.value() : null;
    }

    /** {@code d} without {@code key} in its frontend attributes (and without them when that empties them). */
    static DictionaryAttr dropFrontend(DictionaryAttr d, String key) {
        if (!(d.get(FRONTEND) instanceof DictionaryAttr fe)) return d;
        fe = fe.without(key);
        return fe.isEmpty() ? d.without(FRONTEND) : d.with(FRONTEND, fe);
    }

    private static final class Rewriter {
        final Map<String, Operation> functions;
        final Set<String> inlined = new HashSet<>();
        final Map<Value, Value> map = new IdentityHashMap<>();
        final Map<Value, TensorSharding> resultShardings = new IdentityHashMap<>();
        final Set<Operation> done = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

        Rewriter(Map<String, Operation> functions) { this.functions = functions; }

        Operation function(Operation f) {
            if (!f.name().equals("func.func") || f.regions().isEmpty() || f.region(0).isEmpty()) return copy(f, false);
            Operation.Builder b = Cloner.shell(f, map, Cloner.Options.KEEP);
            if (f.attr("arg_attrs") instanceof ArrayAttr a) {
                List<Attribute> out = new ArrayList<>();
                for (Attribute d : a.elements()) {
                    if (d instanceof DictionaryAttr dict && dict.get(FRONTEND) instanceof DictionaryAttr fe && fe.get("xla.sdy.sharding") instanceof StringAttr s) {
                        Attribute sh = parse(s.value(), "xla.sdy.sharding of an argument of @" + name(f), f.location());
                        d = dropFrontend(dict, "xla.sdy.sharding").without("mhlo.sharding").with("sdy.sharding", sh);
                    }
                    out.add(d);
                }
                put(b, f, "arg_attrs", new ArrayAttr(out));
            }
            b.region(region(f.region(0), false));
            Operation ret = f.region(0).entry().terminator();
            if (ret != null && !resultShardings.isEmpty()) {
                List<Attribute> res = new ArrayList<>();
                ArrayAttr old = f.attr("res_attrs") instanceof ArrayAttr a ? a : null;
                boolean any = false;
                for (int i = 0; i < ret.numOperands(); i++) {
                    DictionaryAttr d = old != null && i < old.size() && old.get(i) instanceof DictionaryAttr x ? x : DictionaryAttr.EMPTY;
                    TensorSharding s = resultShardings.get(ret.operand(i));
                    if (s != null) {
                        d = d.without("mhlo.sharding").with("sdy.sharding", s);
                        any = true;
                    }
                    res.add(d);
                }
                if (any) put(b, f, "res_attrs", new ArrayAttr(res));
            }
            return b.build();
        }

        private static String name(Operation f) { return f.attr("sym_name") instanceof StringAttr s ? s.value() : "?"; }

        private static void put(Operation.Builder b, Operation op, String key, Attribute v) {
            if (op.properties().contains(key)) b.property(key, v);
            else b.attribute(key, v);
        }

        Region region(Region r, boolean manualBody) {
            return Region.rebuild(r, map, op -> done.contains(op) ? null : rewrite(op, op.parent(), manualBody));
        }

        /** The rewritten op, or null when it leaves no op (its results are mapped already). */
        Operation rewrite(Operation op, Block blk, boolean manualBody) {
            String t = target(op);
            if (RESULT_SHARDING.equals(t)) {
                TensorShardingPerValue s = frontend(op, "xla.sdy.sharding", TensorShardingPerValue.class);
                for (int i = 0; i < op.numResults(); i++) {
                    map.put(op.result(i), Cloner.lookup(map, op.operand(i), op));
                    resultShardings.put(op.result(i), s.shardings().get(i));
                }
                return null;
            }
            if (G2L.equals(t)) return null; // read by the call that follows
            if (L2G.equals(t)) {
                throw new Hlo4jException("stablehlo.custom_call @" + L2G + " does not take the results of a"
                        + " call @" + BODY_PREFIX + "...: hlo4j reads a round-trip shard_map only in that layout", op.location());
            }
            if (t != null && t.startsWith("xla.sdy.")) {
                throw new Hlo4jException("stablehlo.custom_call @" + t + ": hlo4j reads the round-trip"
                        + " targets " + List.of(G2L, L2G, RESULT_SHARDING) + " only", op.location());
            }
            if (op.name().equals("func.call") && op.attr("callee") instanceof io.hlo4j.mlir.attr.SymbolRefAttr callee
                    && callee.root().startsWith(BODY_PREFIX)) {
                return manualComputation(op, callee.root(), blk);
            }
            if ("Sharding".equals(t) && frontend(op, "xla.sdy.sharding") instanceof TensorShardingPerValue s) {
                return Operation.builder(SdyOps.SHARDING_CONSTRAINT).location(op.location()).property("sharding", s.shardings().get(0))
                        .operand(Cloner.lookup(map, op.operand(0), op)).resultType(op.result(0).type()).build();
            }
            if (manualBody && op.name().equals("func.return")) {
                Operation.Builder b = Operation.builder(SdyOps.RETURN).location(op.location());
                for (Value v : op.operands()) b.operand(Cloner.lookup(map, v, op));
                return b.build();
            }
            return copy(op, false);
        }

        Operation copy(Operation op, boolean manualBody) {
            Operation.Builder b = Cloner.shell(op, map, Cloner.Options.KEEP);
            // import_shardy_attrs turns both string attributes into their sdy attributes
            Attribute s = op.attributes().contains(FRONTEND) ? frontend(op, "xla.sdy.sharding") : null;
            Attribute rule = op.attributes().contains(FRONTEND) ? frontend(op, "xla.sdy.sharding_rule") : null;
            if (rule != null && !(rule instanceof OpShardingRule)) {
                throw new Hlo4jException("xla.sdy.sharding_rule of " + op.name() + " is not an #sdy.op_sharding_rule: " + rule, op.location());
            }
            if (s != null || rule != null) {
                b.removeAttribute(FRONTEND);
                DictionaryAttr rest = dropFrontend(dropFrontend(op.attributes(), "xla.sdy.sharding"), "xla.sdy.sharding_rule");
                if (rest.get(FRONTEND) instanceof DictionaryAttr fe) b.attribute(FRONTEND, fe);
                if (s != null) b.attribute("sdy.sharding", s);
                if (rule != null) b.attribute("sdy.sharding_rule", rule);
            }
            for (Region r : op.regions()) b.region(region(r, manualBody));
            return b.build();
        }

        /** Frontend attribute {@code key} from the first of {@code ops} (nulls skipped) that has it; refused by name when none does. */
        private static <T> T firstOf(Class<T> type, String key, String where, Operation... ops) {
            List<String> looked = new ArrayList<>();
            for (Operation o : ops) {
                if (o == null) continue;
                Attribute a = frontend(o, key);
                if (a != null) {
                    if (!type.isInstance(a)) throw new Hlo4jException(key + " of " + describe(o, o.location()) + " is " + a, o.location());
                    return type.cast(a);
                }
                looked.add(describe(o, ops[0].location()));
            }
            throw new Hlo4jException(where + ": no " + key + " on " + String.join(", ", looked) + "; hlo4j reads a round-trip shard_map"
                    + " with it on the call (older exports) or on its @" + G2L + " / @" + L2G + " custom calls", ops[0].location());
        }

        /** The op by its target or callee, and its location unless that is {@code reported} (the error's own, printed before it). */
        private static String describe(Operation o, Location reported) {
            String t = target(o);
            String what = t != null ? "custom_call @" + t : o.attr("callee") instanceof io.hlo4j.mlir.attr.SymbolRefAttr c ? "call @" + c.root() : o.name();
            return o.location().equals(reported) ? what : what + " at " + o.location().describe();
        }

        private Operation manualComputation(Operation call, String callee, Block blk) {
            Location loc = call.location();
            String where = "call @" + callee;
            Operation g2l = null;
            List<Value> operands = new ArrayList<>();
            for (int i = 0; i < call.numOperands(); i++) {
                Value v = call.operand(i);
                Operation def = v instanceof io.hlo4j.mlir.ir.OpResult r ? r.owner() : null;
                if (def == null || !G2L.equals(target(def)) || (g2l != null && def != g2l) || ((io.hlo4j.mlir.ir.OpResult) v).index() != i) {
                    throw new Hlo4jException(where + ": operand " + i + " is not result " + i + " of one @" + G2L + "; hlo4j reads a round-trip"
                            + " shard_map only in that layout", loc);
                }
                if (def.numOperands() != def.numResults()) {
                    throw new Hlo4jException("stablehlo.custom_call @" + G2L + " has " + def.numOperands() + " operands and "
                            + def.numResults() + " results; it reshapes each operand to one result", def.location());
                }
                g2l = def;
                operands.add(Cloner.lookup(map, def.operand(i), def));
            }
            Operation l2g = null;
            for (Operation o : blk.operations()) {
                if (L2G.equals(target(o)) && o.numOperands() == call.numResults()) {
                    boolean all = true;
                    for (int i = 0; i < o.numOperands(); i++) all &= o.operand(i) == call.result(i);
                    if (all) l2g = o;
                }
            }
            if (l2g == null) throw new Hlo4jException(where + ": no @" + L2G + " takes all its results in order", loc);
            Operation fn = functions.get(callee);
            if (fn == null || fn.regions().isEmpty() || fn.region(0).isEmpty()) throw new Hlo4jException(where + ": no function @" + callee, loc);
            // Two layouts (as Shardy's shard_map import reads them): the current one puts in_shardings and manual_axes on
            // GlobalToLocalShape and out_shardings (and manual_axes again) on LocalToGlobalShape; the older one, which
            // saved exports still hold, puts all three on the call and nothing on the custom calls.
            ManualAxes axes = firstOf(ManualAxes.class, "xla.sdy.manual_axes", where, call, g2l, l2g);
            TensorShardingPerValue in = call.numOperands() == 0 ? new TensorShardingPerValue(List.of())
                    : firstOf(TensorShardingPerValue.class, "xla.sdy.in_shardings", where, call, g2l);
            TensorShardingPerValue out = firstOf(TensorShardingPerValue.class, "xla.sdy.out_shardings", where, call, l2g);
            inlined.add(callee);
            Operation.Builder b = Operation.builder(SdyOps.MANUAL_COMPUTATION).location(loc).operands(operands)
                    .resultTypes(l2g.resultTypes()).property("in_shardings", in).property("out_shardings", out).property("manual_axes", axes)
                    .region(region(fn.region(0), true));
            Operation mc = b.build();
            for (int i = 0; i < l2g.numResults(); i++) map.put(l2g.result(i), mc.result(i));
            done.add(l2g);
            return mc;
        }
    }
}
