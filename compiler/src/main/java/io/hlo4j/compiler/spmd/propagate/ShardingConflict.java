package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.mlir.ir.Location;

import java.util.List;

/**
 * One decision propagation had to make between incompatible shardings, or a sharding it could not carry
 * through an op: the op, where it is, the factor (Shardy symbol and size), the candidates it saw and what it
 * chose, with the reason.
 */
public record ShardingConflict(Kind kind, String op, Location location, String factor, List<String> candidates, String choice,
                               String reason) {
    public enum Kind {
        /** Two tensors of the op propose axes for one factor that neither extends. */
        FACTOR_CONFLICT,
        /** An axis is already used by another dimension of the same tensor. */
        AXIS_REUSED,
        /** An axis (or axes) does not divide the factor it would shard. */
        NOT_DIVISIBLE,
        /** A minor factor is sharded while a major one of the same dimension is not fully sharded. */
        NOT_EXPRESSIBLE,
        /** The op's tensors are sharded on different meshes; nothing flows between them. */
        MESH_MISMATCH
    }

    public ShardingConflict { candidates = List.copyOf(candidates); }

    /** One line: {@code stablehlo.add at f.mlir:3:5: FACTOR_CONFLICT on factor i (size 8): candidates [...]; chose ...: reason}. */
    public String describe() {
        return op + " at " + location.describe() + ": " + kind + " on " + factor + ": candidates " + candidates + "; chose "
                + choice + ": " + reason;
    }

    @Override public String toString() { return describe(); }
}
