package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.OpRegistry;

final class DataMovementOps {
    private DataMovementOps() {}

    static void register(OpRegistry registry) {
    }
}
