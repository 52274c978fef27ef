package io.hlo4j.compiler.graph;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dataflow graph of one function as Graphviz DOT: one node per argument, per top-level op (labelled with
 * the op's name, filled by {@link OpKind}, collectives with a bold red border) and one for the results;
 * an edge per use, labelled with the value's shape. Ops nested in regions (reducer bodies, loop bodies)
 * are drawn as part of the op that holds them; a value they use from outside gets an edge to that op.
 */
public final class DataflowGraph {
    private DataflowGraph() {}

    /** The function named {@code name}, or the module's entry (main, else the first) when null. */
    public static Operation function(Module module, String name) {
        List<Operation> fs = module.functions();
        if (fs.isEmpty()) throw new IllegalArgumentException("the module has no functions");
        if (name == null) {
            return fs.stream().filter(f -> "main".equals(nameOf(f))).findFirst().orElse(fs.get(0));
        }
        String n = name.startsWith("@") ? name.substring(1) : name;
        return fs.stream().filter(f -> n.equals(nameOf(f))).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no function @" + n + "; the module has " + fs.stream().map(f -> "@" + nameOf(f)).toList()));
    }

    static String nameOf(Operation f) { return f.attr("sym_name") instanceof StringAttr s ? s.value() : "?"; }

    public static String dot(Operation func) {
        if (func.regions().isEmpty() || func.region(0).isEmpty()) {
            throw new IllegalArgumentException("@" + nameOf(func) + " is a declaration: it has no body to draw");
        }
        Block body = func.region(0).entry();
        Map<Value, String> producer = new IdentityHashMap<>();
        StringBuilder sb = new StringBuilder();
        sb.append("digraph ").append(Dot.quote(nameOf(func))).append(" {\n");
        sb.append("  rankdir=TB;\n  labelloc=t;\n  label=").append(Dot.quote("@" + nameOf(func))).append(";\n");
        sb.append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
        for (BlockArgument a : body.arguments()) {
            String id = "arg" + a.index();
            producer.put(a, id);
            sb.append("  ").append(id).append(" [shape=ellipse, fillcolor=\"#fffde7\", label=")
                    .append(Dot.quote("%arg" + a.index() + "\n" + a.type())).append("];\n");
        }
        Set<OpKind> used = EnumSet.noneOf(OpKind.class);
        List<Operation> ops = body.operations();
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            if (op == body.terminator() && op.name().endsWith("return")) {
                sb.append("  out [shape=ellipse, fillcolor=\"#fffde7\", label=\"results\"];\n");
                edges(sb, op, "out", producer);
                continue;
            }
            String id = "n" + i;
            OpKind kind = OpKind.of(op);
            used.add(kind);
            sb.append("  ").append(id).append(" [fillcolor=\"").append(kind.fill).append('"');
            if (kind == OpKind.COLLECTIVE) sb.append(", color=\"#c62828\", penwidth=3, fontcolor=\"#b71c1c\"");
            sb.append(", label=").append(Dot.quote(label(op))).append("];\n");
            edges(sb, op, id, producer);
            for (OpResult r : op.results()) producer.put(r, id);
        }
        legend(sb, used);
        sb.append("}\n");
        return sb.toString();
    }

    /**
     * The op's name; for ops without operands (constants, iota) the result type, since no edge shows it; for
     * reductions and reducing collectives, the op their body applies.
     */
    static String label(Operation op) {
        StringBuilder l = new StringBuilder(op.name());
        if (OpKind.of(op) != OpKind.CONTROL && op.regions().size() == 1 && !op.region(0).isEmpty()) {
            List<Operation> body = op.region(0).entry().operations();
            if (body.size() == 2 && body.get(1).name().endsWith("return")) l.append("\napplies ").append(body.get(0).name());
        }
        if (op.name().equals("stablehlo.constant") || op.numOperands() == 0) {
            for (OpResult r : op.results()) l.append('\n').append(shape(r.type()));
        }
        return l.toString();
    }

    /** One edge per distinct value the op (or anything nested in it) reads from outside. */
    private static void edges(StringBuilder sb, Operation op, String to, Map<Value, String> producer) {
        Set<Value> seen = new LinkedHashSet<>();
        Walker.walk(op, o -> { for (Value v : o.operands()) if (producer.containsKey(v)) seen.add(v); });
        for (Value v : seen) {
            String label = shape(v.type());
            if (v instanceof OpResult r && r.owner().numResults() > 1) label = "#" + r.index() + " " + label;
            sb.append("  ").append(producer.get(v)).append(" -> ").append(to).append(" [label=").append(Dot.quote(label)).append("];\n");
        }
    }

    /** {@code 8x16xf32} for {@code tensor<8x16xf32>}. */
    static String shape(Type t) {
        String s = t.toString();
        return t instanceof TensorType && s.startsWith("tensor<") && s.endsWith(">") ? s.substring(7, s.length() - 1) : s;
    }

    private static void legend(StringBuilder sb, Set<OpKind> used) {
        if (used.isEmpty()) return;
        sb.append("  subgraph cluster_legend {\n    label=\"op kinds\";\n    fontsize=10;\n    style=dashed;\n");
        for (OpKind k : used) {
            sb.append("    legend_").append(k.name().toLowerCase()).append(" [fillcolor=\"").append(k.fill).append('"')
                    .append(k == OpKind.COLLECTIVE ? ", color=\"#c62828\", penwidth=3" : "")
                    .append(", fontsize=9, label=").append(Dot.quote(k.label)).append("];\n");
        }
        sb.append("  }\n");
    }
}
