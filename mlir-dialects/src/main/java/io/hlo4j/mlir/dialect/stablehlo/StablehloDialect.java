package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `stablehlo` dialect: every op of the StableHLO spec, its attributes and types. */
public final class StablehloDialect implements Dialect {
    @Override public String namespace() { return "stablehlo"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        StablehloAttributes.register(attributes);
        ElementwiseOps.register(ops);
        DataMovementOps.register(ops);
        RegionOps.register(ops);
        CollectiveOps.register(ops);
        MiscOps.register(ops);
    }
}
