package io.hlo4j.compiler.cost;

import java.util.List;
import java.util.Map;

/**
 * What one function costs, unfused: every op reads its operands from memory and writes its results (the
 * upper bound XLA's fusion then lowers). {@code flopsBound} is set when some count is an upper bound
 * (a ragged_dot with group sizes that are not constant). Loop and branch bodies are counted once.
 * {@code dynamic}: some value has a dynamic dimension, counted as size 1.
 */
public record FunctionCost(String name, Map<String, Integer> ops, int parameters, long parameterBytes,
                           long flops, boolean flopsBound, long bytesRead, long bytesWritten,
                           long peakBytes, String peakAtOp, long collectiveBytes, boolean dynamic,
                           List<OpShare> topOps) {

    /** One op's FLOPs, for the list of the costliest ops (most first). */
    public record OpShare(String op, String location, long flops) {}

    /** Read plus written; {@link CostAnalysis} refuses a function where this passes 64 bits, so it never wraps. */
    public long bytes() { return Math.addExact(bytesRead, bytesWritten); }

    /** FLOPs per byte of memory traffic (0 when nothing moves). */
    public double intensity() { return bytes() == 0 ? 0 : (double) flops / bytes(); }

    public int opCount() { return ops.values().stream().mapToInt(Integer::intValue).sum(); }
}
