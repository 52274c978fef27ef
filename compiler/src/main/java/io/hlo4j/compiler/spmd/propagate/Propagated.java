package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.mlir.ir.Module;

import java.util.List;

/** The propagated module (see {@code io.hlo4j.compiler.spmd} for the contract) and every conflict resolved on the way. */
public record Propagated(Module module, List<ShardingConflict> conflicts) {
    public Propagated { conflicts = List.copyOf(conflicts); }
}
