package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Module;

/**
 * Something that runs StableHLO modules: the embedded interpreter by default, a PJRT plugin when configured. Compiling
 * binds a module to the backend once; the {@link Executable} is then called many times.
 */
public interface Backend {
    String name();

    /** Prepares {@code module}'s entry function ({@code @main}, or its only function) for calls. */
    Executable compile(Module module);

    /** The pure-Java interpreter (always available). */
    static Backend interpreter() { return InterpreterBackend.INSTANCE; }

    /**
     * The configured backend: a {@link PjrtBackend} on the plugin named by the system property
     * {@code hlo4j.pjrt.plugin} or the environment variable {@code HLO4J_PJRT_PLUGIN} (create options from
     * {@code hlo4j.pjrt.options} / {@code HLO4J_PJRT_OPTIONS}, {@code key=value,...}); else the interpreter.
     * The PJRT client is opened once per plugin and option set and lives until the JVM exits: every caller shares it, so
     * its {@code close()} is refused (open your own {@link PjrtBackend} to own and close a client).
     */
    static Backend configured() { return ConfiguredBackend.get(); }

    /**
     * Runs {@code work} with {@link #configured()} answering {@code backend} on this thread (and only while it runs): how a
     * front end's explicit plugin flag reaches code that asks for the configured backend, such as {@code jit}.
     */
    static <T, X extends Throwable> T with(Backend backend, ScopedValue.CallableOp<T, X> work) throws X {
        return ScopedValue.where(ConfiguredBackend.CHOSEN, backend).call(work);
    }

    /** How {@link #pjrtOptions} names an option in its refusals; a front end may put its flag's name in its place. */
    String PJRT_OPTION = "PJRT option";

    /**
     * {@code KEY=VALUE} strings as PJRT create options: int64, float, bool or string by the value's form; a malformed
     * pair or a repeated key is an IllegalArgumentException naming it.
     */
    static java.util.Map<String, Object> pjrtOptions(java.util.List<String> keyValues) { return ConfiguredBackend.parseOptions(keyValues); }
}
