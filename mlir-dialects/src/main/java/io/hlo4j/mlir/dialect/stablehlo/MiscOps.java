package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.OpRegistry;

final class MiscOps {
    private MiscOps() {}

    static void register(OpRegistry registry) {
    }
}
