package io.hlo4j.dsl.jit;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.transform.DeadCode;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.runtime.backend.Backend;

import java.util.List;

/**
 * Stage 2: the StableHLO module ({@code module @jit_<name> { func.func public @<name> ... }}; {@code @main} for
 * {@code Jit.jit(fn)}, and always for a {@code ShardedJit}, whose module keeps the jit's name).
 */
public record Lowered(Traced traced, Module module) {
    /** Dead code (values nothing returned depends on, such as an unused gradient) is removed here, as JAX's lowering does. */
    static Lowered of(Traced t) {
        Operation f = DeadCode.eliminate(t.function());
        return new Lowered(t, Module.of("jit_" + f.attr("sym_name").toString().replace("\"", ""), null, List.of(f), f.location()));
    }

    /** The module as StableHLO text (pretty form, no locations). */
    public String asText() { return MlirPrinter.print(module); }

    /** With {@code loc(...)} on every op: the user's source lines. */
    public String asTextWithLocations() { return MlirPrinter.print(module, new PrintOptions(false, true)); }

    /** On {@link Backend#configured()}, the backend {@code jit}'s calls use: PJRT when a plugin is configured, else the interpreter. */
    public Compiled compile() { return compile(Backend.configured()); }

    /** On an explicit backend, e.g. {@link Backend#interpreter()} whatever is configured. */
    public Compiled compile(Backend backend) { return new Compiled(this, backend.compile(module)); }
}
