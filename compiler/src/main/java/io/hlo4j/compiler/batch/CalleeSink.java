package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Operation;

/**
 * The module a batched function lives in ({@link Batching#vmap(Operation, CalleeSink, int[], int[], long, String)}): where the
 * callees are looked up and where the batched copies of the callees go. A DSL trace under {@code grad} passes its side
 * functions; {@link Batching#vmap(io.hlo4j.mlir.ir.Module, String, int[], int[], long, String)} a module.
 */
public interface CalleeSink {
    /** The function {@code name} (a callee, a custom VJP's backward function, a composite's decomposition), or null. */
    Operation lookup(String name);

    /** A name no function of the module has, built from {@code base}. */
    String freshName(String base);

    /** Adds a batched callee (named by a {@link #freshName}) to the module. */
    void add(Operation func);
}
