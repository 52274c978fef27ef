package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.gspmd.SdyRoundTripNames;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code custom_call} targets JAX writes into the programs it lowers that do not compute anything: they annotate
 * a value for XLA (its sharding, its memory space, a shape check). On the interpreter, which runs the program as
 * the global computation it describes, each annotation returns its operands:
 * <ul>
 *   <li>{@code @Sharding} ({@code jax.lax.with_sharding_constraint} before Shardy; the layout request is in its
 *   {@code mhlo.sharding} string), {@code @xla.sdy.FuncResultSharding} (a result's sharding in Shardy's
 *   round-trip form of {@code jax.export});</li>
 *   <li>{@code @annotate_device_placement}, {@code @MoveToHost}, {@code @MoveToDevice} (memory kinds and
 *   {@code jax.device_put} placements: where the bytes live, not what they are);</li>
 *   <li>{@code @SPMDFullToShardShape}, {@code @SPMDShardToFullShape} (pre-Shardy {@code shard_map}) and
 *   {@code @xla.sdy.GlobalToLocalShape}, {@code @xla.sdy.LocalToGlobalShape} (Shardy's exported
 *   {@code shard_map}) only where the op has one operand and one result of the same type (the global and the
 *   local shape agree); otherwise the body is a per-device program and the kernel refuses by name: it needs the
 *   partitioner, not the interpreter.</li>
 * </ul>
 * {@code @shape_assertion} (shape polymorphism's checks) evaluates: its first operand is the condition; when it is
 * false the run fails with the op's {@code error_message}, its {@code {0}}, {@code {1}}, ... replaced by the values
 * of the further (integer scalar) operands.
 */
final class JaxCustomCalls {
    private JaxCustomCalls() {}

    /** Targets whose result is their operand, with the same type. */
    static final List<String> ANNOTATIONS = List.of("Sharding", SdyRoundTripNames.FUNC_RESULT_SHARDING, "annotate_device_placement",
            "MoveToHost", "MoveToDevice");

    /** Targets that change a value's shape between its global and its per-device form. */
    static final List<String> SHAPE_CHANGES = List.of("SPMDFullToShardShape", "SPMDShardToFullShape",
            SdyRoundTripNames.GLOBAL_TO_LOCAL, SdyRoundTripNames.LOCAL_TO_GLOBAL);

    static void register() {
        for (String t : ANNOTATIONS) ControlKernels.CUSTOM_CALLS.put(t, JaxCustomCalls::identity);
        for (String t : SHAPE_CHANGES) ControlKernels.CUSTOM_CALLS.put(t, JaxCustomCalls::shapeChange);
        ControlKernels.CUSTOM_CALLS.put("shape_assertion", JaxCustomCalls::shapeAssertion);
    }

    private static String target(Operation op) { return "@" + Attrs.string(op, "call_target_name"); }

    private static List<RtValue> identity(Operation op, List<RtValue> args, Frame f) {
        if (args.size() != op.numResults()) {
            throw InterpreterException.at(op, target(op) + " annotates its operands and returns them, but it has " + args.size()
                    + " operand(s) and " + op.numResults() + " result(s)");
        }
        for (int i = 0; i < args.size(); i++) {
            Type in = op.operand(i).type(), out = op.result(i).type();
            if (!in.equals(out)) {
                throw InterpreterException.at(op, target(op) + " annotates its operands and returns them, but operand " + i + " is "
                        + in + " and result " + i + " is " + out);
            }
        }
        return args;
    }

    private static List<RtValue> shapeChange(Operation op, List<RtValue> args, Frame f) {
        if (args.size() == 1 && op.numResults() == 1 && op.operand(0).type().equals(op.result(0).type())) return args;
        String t = target(op);
        throw InterpreterException.at(op, t + " turns " + op.operandTypes() + " into " + op.resultTypes() + ": it marks the edge of a"
                + " shard_map body, which runs per device; the interpreter runs the global program and cannot. "
                + (t.contains("xla.sdy") ? "This is a shard_map in Shardy's round-trip form (what jax.export serializes): 'hlo4j run' partitions"
                        + " it (SdyRoundTripImport reads it as sdy.manual_computation)"
                        : "This is a pre-Shardy (GSPMD) shard_map, which hlo4j's partitioner does not import: lower it with Shardy"
                        + " (jax.config.update('jax_use_shardy_partitioner', True)) and run it with 'hlo4j run --spmd'"));
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\d+)}");

    private static List<RtValue> shapeAssertion(Operation op, List<RtValue> args, Frame f) {
        if (args.isEmpty() || !(args.get(0) instanceof Tensor cond) || cond.shape.length != 0 || !cond.elem.isInt()) {
            throw InterpreterException.at(op, "stablehlo.custom_call @shape_assertion takes a tensor<i1> condition first, got "
                    + op.operandTypes());
        }
        if (cond.ints[0] != 0) return List.of();
        String message = Attrs.string(op, "error_message");
        if (message == null) message = "shape assertion failed (the op has no error_message)";
        Matcher m = PLACEHOLDER.matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            int k = Integer.parseInt(m.group(1)) + 1;
            String v = k < args.size() && args.get(k) instanceof Tensor t && t.shape.length == 0 && t.elem.isInt()
                    ? Long.toString(t.ints[0]) : m.group();
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        throw InterpreterException.at(op, "@shape_assertion failed: " + sb);
    }
}
