package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpRegistry;

/** The `chlo` dialect (client HLO): math functions, broadcasting ops, top_k, scan and ragged_dot. */
public final class ChloDialect implements Dialect {
    @Override public String namespace() { return "chlo"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        ChloAttributes.register(attributes);
        ChloElementwiseOps.register(ops);
        ChloTopKOp.register(ops);
        ChloScanOp.register(ops);
        ChloRaggedDotOp.register(ops);
    }
}
