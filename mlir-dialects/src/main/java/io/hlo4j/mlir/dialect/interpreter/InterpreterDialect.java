package io.hlo4j.mlir.dialect.interpreter;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `interpreter` dialect: run_parallel, probe and print, as the reference interpreter's tests use them. */
public final class InterpreterDialect implements Dialect {
    @Override public String namespace() { return "interpreter"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        InterpreterOps.register(ops);
    }
}
