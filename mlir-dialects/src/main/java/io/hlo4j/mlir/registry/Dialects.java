package io.hlo4j.mlir.registry;

import io.hlo4j.mlir.dialect.builtin.BuiltinDialect;
import io.hlo4j.mlir.dialect.check.CheckDialect;
import io.hlo4j.mlir.dialect.chlo.ChloDialect;
import io.hlo4j.mlir.dialect.func.FuncDialect;
import io.hlo4j.mlir.dialect.interpreter.InterpreterDialect;
import io.hlo4j.mlir.dialect.sdy.SdyDialect;
import io.hlo4j.mlir.dialect.stablehlo.StablehloDialect;

import java.util.List;
import java.util.function.Supplier;

/** The dialects hlo4j's IR module ships, in registration order. */
public final class Dialects {
    private Dialects() {}

    public static final Supplier<List<Dialect>> ALL = () -> List.of(
            new BuiltinDialect(), new FuncDialect(), new StablehloDialect(), new ChloDialect(), new SdyDialect(),
            new CheckDialect(), new InterpreterDialect());
}
