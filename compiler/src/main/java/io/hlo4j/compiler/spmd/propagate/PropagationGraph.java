package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.compiler.spmd.rule.RuleBuilder;
import io.hlo4j.compiler.spmd.rule.ShardingRules;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.SdyManualComputation;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The module seen as propagation edges: one {@link Edge} per op (its rule over the states of its operands and
 * results), plus identity edges for what links values without an op rule: a function result annotation and
 * the returned value, a call's operands and the callee's arguments (and the callee's returns and the call's
 * results), while/case/if regions and their op, a manual computation's operands and its in_shardings. User
 * annotations seed the states: argument shardings, sharding_constraint/reshard/collective results, manual
 * computation results, and any {@code sdy.sharding} already on an op.
 */
final class PropagationGraph {
    /** One op (or link) to propagate through: a rule over tensor states, operands then results. */
    record Edge(Operation op, OpShardingRule rule, List<TensorState> operands, List<TensorState> results) {}

    /** Ops whose regions are the program itself (propagation follows them); other regions compute on scalars. */
    static final Set<String> CONTROL_FLOW = Set.of("stablehlo.while", "stablehlo.case", "stablehlo.if");

    final Map<String, MeshAttr> meshes;
    final Map<Value, TensorState> states = new IdentityHashMap<>();
    final List<Edge> edges = new ArrayList<>();
    /** Function result annotations by function, as states (fixed where the user closed them). */
    final Map<Operation, List<TensorState>> funcResults = new IdentityHashMap<>();
    private final SymbolTable symbols;

    PropagationGraph(Module module, Map<String, MeshAttr> meshes) {
        this.meshes = meshes;
        this.symbols = module.symbols();
        for (Operation f : module.operations()) if (f.name().equals("func.func")) seedFunction(f);
        for (Operation f : module.operations()) {
            if (f.name().equals("func.func") && !f.regions().isEmpty() && !f.region(0).isEmpty()) walkBlock(f, f.region(0).entry());
        }
    }

    /** Every state the edges touch (values and annotations), in edge order. */
    java.util.Set<TensorState> allStates() {
        java.util.Set<TensorState> all = java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>());
        for (Edge e : edges) {
            all.addAll(e.operands());
            all.addAll(e.results());
        }
        all.addAll(states.values());
        return all;
    }

    TensorState state(Value v) {
        return states.computeIfAbsent(v, k -> new TensorState(describe(k), k.type()));
    }

    private static String describe(Value v) {
        if (v instanceof io.hlo4j.mlir.ir.OpResult r) return "result " + r.index() + " of " + r.owner().name();
        io.hlo4j.mlir.ir.BlockArgument a = (io.hlo4j.mlir.ir.BlockArgument) v;
        Operation owner = a.owner().parent() == null ? null : a.owner().parent().parent();
        if (owner != null && owner.name().equals("func.func")) return "argument " + a.index() + " of @" + SymbolTable.symbolName(owner);
        return "argument " + a.index() + (owner == null ? "" : " of " + owner.name());
    }

    private MeshRef mesh(Operation op, TensorSharding s) {
        try {
            return MeshRef.of(s, meshes);
        } catch (IllegalArgumentException e) {
            throw new Hlo4jException("'" + op.name() + "': " + e.getMessage(), op.location());
        }
    }

    private void seed(Operation op, TensorState st, TensorSharding s) {
        try {
            st.seed(s, mesh(op, s));
        } catch (IllegalArgumentException e) {
            throw new Hlo4jException("'" + op.name() + "': " + e.getMessage(), op.location());
        }
    }

    /** A state for an annotation that is not a value (a result annotation, an in_sharding): fixed by the user. */
    private TensorState annotation(Operation op, String label, Type type, TensorSharding s) {
        TensorState st = new TensorState(label, type);
        seed(op, st, s);
        return st;
    }

    private void seedFunction(Operation f) {
        if (f.regions().isEmpty() || f.region(0).isEmpty()) return;
        Block entry = f.region(0).entry();
        List<TensorSharding> args = entryShardings(f.attr("arg_attrs"));
        for (int i = 0; i < entry.arguments().size(); i++) {
            TensorState st = state(entry.argument(i));
            if (i < args.size() && args.get(i) != null) seed(f, st, args.get(i));
        }
        List<TensorSharding> res = entryShardings(f.attr("res_attrs"));
        Operation ret = entry.terminator();
        List<TensorState> rs = new ArrayList<>();
        for (int i = 0; ret != null && i < ret.numOperands(); i++) {
            TensorSharding s = i < res.size() ? res.get(i) : null;
            rs.add(s == null ? null : annotation(f, "result " + i + " of @" + SymbolTable.symbolName(f), ret.operand(i).type(), s));
        }
        funcResults.put(f, rs);
    }

    static List<TensorSharding> entryShardings(Attribute entries) {
        List<TensorSharding> out = new ArrayList<>();
        if (!(entries instanceof ArrayAttr arr)) return out;
        for (Attribute e : arr.elements()) {
            out.add(e instanceof DictionaryAttr d && d.get("sdy.sharding") instanceof TensorSharding s ? s : null);
        }
        return out;
    }

    private void walkBlock(Operation func, Block block) {
        for (Operation op : block.operations()) walkOp(func, op);
    }

    private void walkOp(Operation func, Operation op) {
        String name = op.name();
        switch (name) {
            case "func.return" -> {
                List<TensorState> rs = funcResults.get(func);
                for (int i = 0; i < op.numOperands(); i++) {
                    TensorState ann = rs == null || i >= rs.size() ? null : rs.get(i);
                    if (ann != null) link(op, state(op.operand(i)), ann);
                }
                return;
            }
            case "stablehlo.return", "sdy.return" -> { return; } // linked by the region's owner
            case "func.call" -> { call(op); return; }
            case "sdy.manual_computation" -> { manual(op); return; }
            default -> { }
        }
        for (int i = 0; i < op.numResults(); i++) state(op.result(i));
        seedOwnShardings(op);
        edges.add(new Edge(op, ShardingRules.of(op), op.operands().stream().map(this::state).toList(),
                op.results().stream().map(this::state).toList()));
        if (CONTROL_FLOW.contains(name)) regions(func, op);
    }

    /** Shardings the op itself fixes on its results. */
    private void seedOwnShardings(Operation op) {
        Attribute own = switch (op.name()) {
            case "sdy.sharding_constraint", "sdy.reshard" -> op.attr("sharding");
            default -> op.name().startsWith("sdy.") ? op.attr("out_sharding") : null;
        };
        if (own instanceof TensorSharding s) seed(op, state(op.result(0)), s);
        if (op.attributes().get("sdy.sharding") instanceof TensorShardingPerValue pv) {
            for (int i = 0; i < pv.size() && i < op.numResults(); i++) seed(op, state(op.result(i)), pv.get(i));
        }
    }

    /** while: operand i, the regions' argument i, the body's return i and result i are one value; case/if: returns i and result i. */
    private void regions(Operation func, Operation op) {
        boolean isWhile = op.name().equals("stablehlo.while");
        for (int r = 0; r < op.regions().size(); r++) {
            Region region = op.region(r);
            if (region.isEmpty()) continue;
            Block b = region.entry();
            if (isWhile) for (int i = 0; i < b.arguments().size(); i++) link(op, state(op.operand(i)), state(b.argument(i)));
            walkBlock(func, b);
            Operation ret = b.terminator();
            boolean linksResults = !isWhile || r == 1;
            for (int i = 0; linksResults && ret != null && i < ret.numOperands() && i < op.numResults(); i++) {
                link(op, state(ret.operand(i)), state(op.result(i)));
            }
        }
    }

    private void call(Operation op) {
        for (int i = 0; i < op.numResults(); i++) state(op.result(i));
        seedOwnShardings(op);
        Operation callee = op.attr("callee") instanceof SymbolRefAttr s ? symbols.lookup(s.root()) : null;
        if (callee == null) {
            throw new Hlo4jException("'func.call': callee " + op.attr("callee") + " is not a function of this module", op.location());
        }
        if (callee.regions().isEmpty() || callee.region(0).isEmpty()) {
            // a declaration: nothing to propagate through; its results are sharded by their users only
            edges.add(new Edge(op, ShardingRules.of(op), op.operands().stream().map(this::state).toList(),
                    op.results().stream().map(this::state).toList()));
            return;
        }
        Block entry = callee.region(0).entry();
        for (int i = 0; i < op.numOperands(); i++) link(op, state(op.operand(i)), state(entry.argument(i)));
        Operation ret = entry.terminator();
        for (int i = 0; i < op.numResults(); i++) link(op, state(ret.operand(i)), state(op.result(i)));
    }

    /** The body is opaque: operands meet their in_shardings, results are the out_shardings. */
    private void manual(Operation op) {
        TensorShardingPerValue in = SdyManualComputation.inShardings(op), out = SdyManualComputation.outShardings(op);
        for (int i = 0; i < op.numOperands(); i++) {
            link(op, state(op.operand(i)), annotation(op, "in_sharding " + i, op.operand(i).type(), in.get(i)));
        }
        for (int i = 0; i < op.numResults(); i++) seed(op, state(op.result(i)), out.get(i));
    }

    /** An identity edge: the two tensors (same shape) share one factor per dimension. */
    private void link(Operation op, TensorState a, TensorState b) {
        RuleBuilder rb = new RuleBuilder(List.of(typeOf(a)), List.of(typeOf(b)));
        rb.pointwise(a.shape);
        edges.add(new Edge(op, rb.build(), List.of(a), List.of(b)));
    }

    private static Type typeOf(TensorState s) {
        return io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, s.shape);
    }
}
