package io.hlo4j.mlir.dialect.func;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `func` dialect. */
public final class FuncDialect implements Dialect {
    @Override public String namespace() { return "func"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
    }
}
