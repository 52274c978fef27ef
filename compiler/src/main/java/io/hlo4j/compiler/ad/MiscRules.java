package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The remaining structured ops.
 * <ul>
 *   <li>{@code composite}: differentiated through its decomposition function (like a call).</li>
 *   <li>{@code async_start}/{@code async_done}: the future is not a value with a cotangent; async_done's rule
 *   differentiates the wrapped computation of the async_start that made its future (run synchronously in the
 *   backward pass) and reports the cotangents of that async_start's operands directly.</li>
 *   <li>{@code collective_broadcast} (root to group) and {@code collective_reduce} (sum of the group to its root,
 *   zeros elsewhere) are each other's transposes over the same groups; {@code cross-replica-sum} is its own.</li>
 *   <li>{@code custom_call}: {@code @ragged_all_to_all} by {@link RaggedAllToAllRule}; any other target is opaque, so
 *   refused naming it (give it a custom VJP instead).</li>
 *   <li>{@code builtin.unrealized_conversion_cast} (one value to one value): the cotangent is cast back.</li>
 *   <li>{@code uniform_quantize}/{@code uniform_dequantize}: non-differentiable. Quantized values are integers
 *   with a scale, so quantizing rounds (zero derivative almost everywhere) and a quantized tensor cannot hold a
 *   cotangent; a straight-through estimator is a modelling choice, written as a custom VJP in user code.</li>
 * </ul>
 */
final class MiscRules {
    private MiscRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.composite", MiscRules::composite);
        // Its future carries no cotangent: the matching async_done's rule differentiates the computation.
        in.rule("stablehlo.async_start", (b, op, g) -> Arrays.asList(new Value[op.numOperands()]));
        in.rule("stablehlo.async_done", MiscRules::asyncDone);
        in.rule("stablehlo.collective_broadcast", MiscRules::collectiveBroadcast);
        in.rule("stablehlo.collective_reduce", MiscRules::collectiveReduce);
        in.rule("stablehlo.cross-replica-sum", (b, op, g) -> List.of(
                b.ir().emit("stablehlo.cross-replica-sum", g, props(op, "replica_groups"), List.of(), op.operandTypes(), b.loc()).get(0)));
        in.rule("stablehlo.custom_call", (b, op, g) -> {
            Attribute t = op.attr("call_target_name");
            String target = t instanceof StringAttr s ? s.value() : String.valueOf(t);
            if (target.equals("ragged_all_to_all")) return RaggedAllToAllRule.vjp(b, op, g);
            throw b.refuse(op, "custom_call @" + target + " is opaque to autodiff; give the function that calls it a custom VJP");
        });
        in.rule("builtin.unrealized_conversion_cast", (b, op, g) -> {
            if (op.numOperands() != 1 || op.numResults() != 1) {
                throw b.refuse(op, "only one-to-one casts are differentiated, this one maps " + op.numOperands() + " values to " + op.numResults());
            }
            if (!Backward.differentiable(op.operand(0).type())) return Arrays.asList((Value) null);
            return List.of(b.ir().emit(op.name(), g, Map.of(), List.of(), op.operandTypes(), b.loc()).get(0));
        });
        in.nonDifferentiable("quantization: rounds to integers with a scale (zero derivative almost everywhere); a quantized "
                + "tensor holds no cotangent. Use a custom VJP for a straight-through estimator", "stablehlo.uniform_quantize",
                "stablehlo.uniform_dequantize");
    }

    private static List<Value> composite(Backward b, Operation op, List<Value> g) {
        String callee = Attrs.get(op, "decomposition", SymbolRefAttr.class).root();
        Operation f = b.sweep().symbols.apply(callee);
        if (f == null) throw b.refuse(op, "its decomposition @" + callee + " is not in the module");
        Block body = f.region(0).entry();
        Sweep s = Regions.differentiate(b.ir(), body, op.operands(), g, b.sweep());
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) out.add(s.cotangent(body.argument(i)));
        return out;
    }

    private static List<Value> asyncDone(Backward b, Operation op, List<Value> g) {
        if (!(op.operand(0) instanceof OpResult r) || !r.owner().name().equals("stablehlo.async_start")) {
            throw b.refuse(op, "its future must come straight from a stablehlo.async_start in the same function");
        }
        Operation start = r.owner();
        Block body = start.region(0).entry();
        Sweep s = Regions.differentiate(b.ir(), body, start.operands(), g, b.sweep());
        for (int i = 0; i < start.numOperands(); i++) {
            Value ct = s.cotangent(body.argument(i));
            if (ct != null) b.captured(start.operand(i), ct);
        }
        return Arrays.asList((Value) null);
    }

    private static List<Value> collectiveBroadcast(Backward b, Operation op, List<Value> g) {
        if (op.numOperands() != op.numResults()) throw b.refuse(op, "a dynamic root (has_dynamic_root) has no VJP rule");
        Map<String, Attribute> p = props(op, "replica_groups", "channel_handle");
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < g.size(); i++) {
            Region sum = b.hlo().combiner("add", Backward.tensor(g.get(i)).elementType(), b.loc());
            out.add(b.ir().emit("stablehlo.collective_reduce", List.of(g.get(i)), p, List.of(sum), List.of(op.operand(i).type()), b.loc()).get(0));
        }
        return out;
    }

    private static List<Value> collectiveReduce(Backward b, Operation op, List<Value> g) {
        if (!"add".equals(ReduceRules.combiner(op.region(0)))) throw b.refuse(op, "only sum reductions have a VJP rule");
        if (op.attr("use_global_device_ids") != null) throw b.refuse(op, "use_global_device_ids has no collective_broadcast counterpart");
        Map<String, Attribute> p = props(op, "replica_groups", "channel_handle");
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < g.size(); i++) {
            out.add(b.ir().emit("stablehlo.collective_broadcast", List.of(g.get(i)), p, List.of(), List.of(op.operand(i).type()), b.loc()).get(0));
        }
        return out;
    }

    private static Map<String, Attribute> props(Operation op, String... names) {
        Map<String, Attribute> p = new TreeMap<>();
        for (String n : names) if (op.attr(n) != null) p.put(n, op.attr(n));
        return p;
    }

}
