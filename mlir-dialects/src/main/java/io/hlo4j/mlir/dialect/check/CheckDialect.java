package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `check` dialect: assertions the StableHLO interpreter tests make about computed tensors. */
public final class CheckDialect implements Dialect {
    @Override public String namespace() { return "check"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        CheckOps.register(ops);
    }
}
