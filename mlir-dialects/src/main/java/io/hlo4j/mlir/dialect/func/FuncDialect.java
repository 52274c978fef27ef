package io.hlo4j.mlir.dialect.func;

import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpTrait;

/** The `func` dialect: {@code func.func}, {@code func.call}, {@code func.return}. */
public final class FuncDialect implements Dialect {
    @Override public String namespace() { return "func"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        ops.register(OpDef.builder(FuncOps.FUNC)
                .summary("a function: a symbol with a signature and (unless external) a body")
                .inherent(FuncOps.FUNC_INHERENT.toArray(String[]::new))
                .syntax(FuncSyntax.FUNC)
                .verifier(FuncOps::verifyFunc)
                .traits(OpTrait.ISOLATED_FROM_ABOVE, OpTrait.SYMBOL)
                .build());
        ops.register(OpDef.builder(FuncOps.CALL)
                .summary("calls a function of the enclosing module by symbol")
                .inherent(FuncOps.CALL_INHERENT.toArray(String[]::new))
                .syntax(FuncSyntax.CALL)
                .verifier(FuncOps::verifyCallLocal)
                .build());
        ops.register(OpDef.builder(FuncOps.RETURN)
                .summary("returns from a function")
                .syntax(FuncSyntax.RETURN)
                .verifier(FuncOps::verifyReturn)
                .traits(OpTrait.TERMINATOR)
                .build());
    }
}
