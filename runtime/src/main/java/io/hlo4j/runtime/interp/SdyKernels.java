package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * Shardy's explicit collectives on the GLOBAL program. A value in a global program is its logical value; a sharding
 * only says how that value is laid out (or, for unreduced axes, that the per-device pieces still have to be summed
 * to give it). Read that way, every one of these ops maps the logical value to itself:
 * <ul>
 *   <li>{@code sdy.all_gather}, {@code sdy.all_slice}, {@code sdy.all_to_all}, {@code sdy.collective_permute}: only
 *   the layout changes (axes leave a dimension, join one, move between dimensions, or are swapped for others).</li>
 *   <li>{@code sdy.all_reduce}, {@code sdy.reduce_scatter}: the operand is the partial result whose pending
 *   reduction (sum, max or min) over the axes gives the logical value; the result holds that value, reduced (and,
 *   for reduce_scatter, sharded over the axes). The global operand already is the reduced value.</li>
 *   <li>{@code sdy.sharded_to_unreduced}, {@code sdy.replicated_to_unreduced}: only the representation changes;
 *   Shardy's own laws say so: {@code all_gather(x) = all_reduce(sharded_to_unreduced(x))} and
 *   {@code all_reduce(replicated_to_unreduced(x)) = x} on the same axes, with all_reduce the identity above.</li>
 *   <li>{@code sdy.sharding_constraint}, {@code sdy.reshard}: a layout request on the value; {@code
 *   sdy.propagation_barrier}, {@code sdy.data_flow_edge}, {@code sdy.func_data_flow_edge}: markers for sharding
 *   propagation. None of them changes the value, so a global annotated program runs as written.</li>
 *   <li>{@code sdy.named_computation} runs its body; {@code sdy.constant} is its value.</li>
 * </ul>
 * So each kernel returns its operand. On more than one process the per-device meaning differs (data moves between
 * devices), which these kernels do not implement: they refuse there, and the SPMD partitioner must lower the ops
 * first.
 */
final class SdyKernels {
    private SdyKernels() {}

    static final List<String> OPS = List.of("sdy.all_gather", "sdy.all_slice", "sdy.all_to_all", "sdy.collective_permute",
            "sdy.all_reduce", "sdy.reduce_scatter", "sdy.sharded_to_unreduced", "sdy.replicated_to_unreduced",
            "sdy.sharding_constraint", "sdy.reshard", "sdy.propagation_barrier", "sdy.data_flow_edge", "sdy.func_data_flow_edge");

    static void register() {
        for (String name : OPS) Kernels.put(name, SdyKernels::identity);
        // A named computation is its body applied to its operands (the name only groups ops for propagation);
        // sdy.constant is stablehlo.constant kept apart from constant folding during propagation.
        Kernels.put("sdy.named_computation", (op, args, f) -> f.region(op.region(0), args));
        Kernels.put("sdy.constant", ShapeKernels::constant);
    }

    private static List<RtValue> identity(Operation op, List<RtValue> args, Frame frame) {
        ProcessGrid grid = frame.process().grid();
        if (grid.numReplicas() * grid.numPartitions() != 1) {
            throw InterpreterException.at(op, op.name() + " is a collective of the global program; the interpreter runs it on one"
                    + " process only, not on " + grid.numReplicas() + " replica(s) x " + grid.numPartitions()
                    + " partition(s): partition the program (lowering the sdy collectives) before running it per device");
        }
        if (args.size() != 1) throw InterpreterException.at(op, op.name() + " takes one tensor, got " + args.size() + " operands");
        return List.of(args.get(0));
    }
}
