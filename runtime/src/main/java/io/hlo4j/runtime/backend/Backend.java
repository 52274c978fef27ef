package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Module;

/**
 * Something that runs StableHLO modules: the embedded interpreter by default, a PJRT device later. Compiling
 * binds a module to the backend once; the {@link Executable} is then called many times.
 */
public interface Backend {
    String name();

    /** Prepares {@code module}'s entry function ({@code @main}, or its only function) for calls. */
    Executable compile(Module module);

    /** The pure-Java interpreter (always available). */
    static Backend interpreter() { return InterpreterBackend.INSTANCE; }
}
