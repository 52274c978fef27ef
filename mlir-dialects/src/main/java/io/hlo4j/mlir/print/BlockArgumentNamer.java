package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;

/**
 * Name stems an op gives the entry-block arguments of its regions in pretty form (MLIR's
 * {@code getAsmBlockArgumentNames}; {@code stablehlo.while} names them {@code iterArg}). Attach one with
 * {@code OpDef.attach(BlockArgumentNamer.class, ...)}; ops without one get {@code %argN}.
 */
@FunctionalInterface
public interface BlockArgumentNamer {
    /** One stem per argument of {@code region}'s entry block (null entries keep the default), or null. */
    String[] names(Operation op, Region region);
}
