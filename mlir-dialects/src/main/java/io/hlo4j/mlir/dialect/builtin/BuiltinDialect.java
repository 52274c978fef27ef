package io.hlo4j.mlir.dialect.builtin;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `builtin` dialect. */
public final class BuiltinDialect implements Dialect {
    @Override public String namespace() { return "builtin"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
    }
}
