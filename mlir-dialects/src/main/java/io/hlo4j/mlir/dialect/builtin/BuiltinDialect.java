package io.hlo4j.mlir.dialect.builtin;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.Dialect;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;

import java.util.List;
import java.util.Set;

/** The `builtin` dialect: {@code builtin.module} and {@code builtin.unrealized_conversion_cast}. */
public final class BuiltinDialect implements Dialect {
    @Override public String namespace() { return "builtin"; }

    @Override public void register(OpRegistry ops, AttributeRegistry attributes) {
        ops.register(OpDef.builder(Module.OP_NAME)
                .summary("a top-level container of functions and other symbols")
                .inherent("sym_name", "sym_visibility")
                .syntax(MODULE_SYNTAX)
                .verifier(BuiltinDialect::verifyModule)
                .traits(OpTrait.ISOLATED_FROM_ABOVE, OpTrait.SYMBOL)
                .build());
        ops.register(OpDef.builder("builtin.unrealized_conversion_cast")
                .summary("a cast between types left behind by a partial conversion; any operands to any results")
                .syntax(OpSyntax.GENERIC)
                .verifier(op -> { })
                .build());
    }

    private static final Set<String> MODULE_ELIDED = Set.of("sym_name", "sym_visibility");

    /** {@code module @name attributes {...} { ... }}: the name and the attribute dictionary are optional. */
    static final OpSyntax MODULE_SYNTAX = new OpSyntax() {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            Operation.Builder b = Operation.builder(opName);
            if (p.peekSymbolName()) b.property("sym_name", new StringAttr(p.parseSymbolName()));
            DictionaryAttr attrs = p.parseOptionalAttrDictWithKeyword();
            for (var e : attrs.asMap().entrySet()) {
                if (MODULE_ELIDED.contains(e.getKey())) b.property(e.getKey(), e.getValue());
                else b.attribute(e.getKey(), e.getValue());
            }
            if (!p.peekRegion()) throw p.error("expected '{' to begin the module body");
            Region body = p.parseRegion(List.of());
            // A module always has its one block, even when written as {}.
            b.region(body.isEmpty() ? Region.of(Block.builder().build()) : body);
            return b;
        }

        @Override public void print(Operation op, AsmPrinter p) {
            if (op.properties().get("sym_name") instanceof StringAttr s) p.print(" ").printSymbolName(s.value());
            DictionaryAttr all = op.attributes();
            for (var e : op.properties().asMap().entrySet()) {
                if (!MODULE_ELIDED.contains(e.getKey())) all = all.with(e.getKey(), e.getValue());
            }
            p.printOptionalAttrDictWithKeyword(all, MODULE_ELIDED);
            p.print(" ");
            p.printRegion(op.region(0), false);
        }
    };

    static void verifyModule(Operation op) {
        if (op.numOperands() != 0 || op.numResults() != 0) {
            throw new VerificationException(op.name(), "takes no operands and has no results", op.location());
        }
        if (op.regions().size() != 1 || op.region(0).blocks().size() != 1) {
            throw new VerificationException(op.name(), "requires one region with exactly one block", op.location());
        }
        if (!op.region(0).entry().arguments().isEmpty()) {
            throw new VerificationException(op.name(), "body block must not have arguments", op.location());
        }
        Attribute name = op.attr("sym_name");
        if (name != null && !(name instanceof StringAttr)) {
            throw new VerificationException(op.name(), "'sym_name' must be a string, got " + name, op.location());
        }
    }
}
