package io.hlo4j.compiler.spmd;

import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.compiler.spmd.partition.PartitionOptions;
import io.hlo4j.compiler.spmd.partition.Partitioner;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.ir.Module;

/**
 * Entry points from a global, Shardy-annotated program to the explicit per-device program:
 * {@link #partition} for a module already propagated (every value carries its sharding), {@link #explicit}
 * for an annotated one (propagation first). Calls from {@code @main} to other functions of the module (at top level or
 * inside a shard_map body, a loop or a branch) are spliced in first ({@link #inlineCalls}), as XLA inlines them before
 * partitioning.
 */
public final class Spmd {
    private Spmd() {}

    /** The explicit per-device program of a propagated module (see {@code package-info} for the contract). */
    public static PartitionedProgram partition(Module propagated) { return partition(propagated, PartitionOptions.DEFAULT); }

    /** As {@link #partition(Module)}, with the partitioner's choices given ({@link PartitionOptions}). */
    public static PartitionedProgram partition(Module propagated, PartitionOptions options) {
        SdyVerifier.verifyShardingAnnotations(propagated.op());
        return Partitioner.partition(inlineCalls(propagated), options);
    }

    /** Propagates the annotated module's shardings ({@link Propagation}), then partitions it. */
    public static PartitionedProgram explicit(Module annotated) {
        // an unknown axis or a rank mismatch is refused here, at the annotation's line, not deep in propagation
        SdyVerifier.verifyShardingAnnotations(annotated.op());
        return partition(Propagation.propagate(inlineCalls(annotated)).module());
    }

    /**
     * The module with every {@code func.call} of {@code @main} replaced by its callee's body and the other functions
     * dropped (unless it has one function or no {@code @main}: the partitioner then says what it needs), and every
     * {@code sdy.named_computation} spliced into its block ({@link NamedComputations}).
     * Missing, mistyped and recursive callees are refused by name ({@link Calls#inlineAll}).
     */
    public static Module inlineCalls(Module module) {
        if (module.functions().size() <= 1 || module.symbols().lookup("main") == null) return NamedComputations.inline(module);
        return NamedComputations.inline(Calls.inlineInto(module, "main"));
    }
}
