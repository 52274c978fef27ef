package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.OpRegistry;

final class RegionOps {
    private RegionOps() {}

    static void register(OpRegistry registry) {
    }
}
