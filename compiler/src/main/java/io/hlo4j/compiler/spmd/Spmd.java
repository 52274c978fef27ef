package io.hlo4j.compiler.spmd;

import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.compiler.spmd.partition.Partitioner;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.ir.Module;

/**
 * Entry points from a global, Shardy-annotated program to the explicit per-device program:
 * {@link #partition} for a module already propagated (every value carries its sharding), {@link #explicit}
 * for an annotated one (propagation first).
 */
public final class Spmd {
    private Spmd() {}

    /** The explicit per-device program of a propagated module (see {@code package-info} for the contract). */
    public static PartitionedProgram partition(Module propagated) { return Partitioner.partition(propagated); }

    /** Propagates the annotated module's shardings ({@link Propagation}), then partitions it. */
    public static PartitionedProgram explicit(Module annotated) { return partition(Propagation.propagate(annotated).module()); }
}
