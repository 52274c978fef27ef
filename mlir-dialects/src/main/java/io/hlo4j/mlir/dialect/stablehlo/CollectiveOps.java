package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.OpRegistry;

final class CollectiveOps {
    private CollectiveOps() {}

    static void register(OpRegistry registry) {
    }
}
