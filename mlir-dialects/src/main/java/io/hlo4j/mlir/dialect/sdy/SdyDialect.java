package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `sdy` (Shardy) dialect: meshes, shardings, manual computations and Shardy's explicit collectives. */
public final class SdyDialect implements Dialect {
    @Override public String namespace() { return "sdy"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        SdyAttributeParser.register(attributes);
        SdyOps.register(ops);
        SdyCollectiveOps.register(ops);
    }
}
