package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.OpRegistry;

final class ElementwiseOps {
    private ElementwiseOps() {}

    static void register(OpRegistry registry) {
    }
}
