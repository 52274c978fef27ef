package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.AttributeRegistry;

final class StablehloAttributes {
    private StablehloAttributes() {}

    static void register(AttributeRegistry registry) {
    }
}
