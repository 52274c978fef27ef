package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpSyntax;

import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;

/**
 * {@code attr-dict dense<...> : T}, as stablehlo.constant prints: the pretty form chlo.constant and sdy.constant
 * share. The value is the inherent {@code value}; the result type is the value's type.
 */
public final class DenseConstantSyntax implements OpSyntax {
    @Override public Operation.Builder parse(AsmParser p, String opName) {
        Operation.Builder b = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDict(), Set.of("value"));
        Attribute v = p.parseAttribute();
        if (!(v instanceof DenseElementsAttr d)) throw p.error("'" + opName + "' expects a dense elements value, got " + v);
        return b.property("value", v).resultType(d.type());
    }

    @Override public void print(Operation op, AsmPrinter pr) {
        pr.printOptionalAttrDict(allAttributes(op), Set.of("value"));
        pr.print(" ").printAttribute(op.attr("value"));
    }

    @Override public boolean canPrint(Operation op) { return op.attr("value") instanceof DenseElementsAttr; }
}
