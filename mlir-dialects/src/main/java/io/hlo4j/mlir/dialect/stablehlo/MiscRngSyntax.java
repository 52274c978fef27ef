package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.FunctionType;

import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.Syntax.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;

/**
 * {@code stablehlo.rng %a, %b, %shape, distribution = NORMAL : (...) -> T} and
 * {@code stablehlo.rng_bit_generator %s, algorithm = THREE_FRY : (T) -> (T, U)}: the enum attribute prints as its
 * bare keyword in these forms.
 */
final class MiscRngSyntax {
    private MiscRngSyntax() {}

    static final Set<String> DISTRIBUTIONS = Set.of("UNIFORM", "NORMAL");
    static final Set<String> ALGORITHMS = Set.of("DEFAULT", "THREE_FRY", "PHILOX");

    /** The keyword of {@code #stablehlo<kind KEYWORD>} (from its canonical text), or null if {@code a} is not that enum. */
    static String enumKeyword(Attribute a, String kind) {
        String text = a.toString();
        String prefix = "#stablehlo<" + kind + " ";
        if (!text.startsWith(prefix) || !text.endsWith(">")) return null;
        String kw = text.substring(prefix.length(), text.length() - 1).trim();
        Set<String> allowed = kind.equals("rng_distribution") ? DISTRIBUTIONS : ALGORITHMS;
        return allowed.contains(kw) ? kw : null;
    }

    /** The enum attribute for a keyword written in a pretty form (an unknown case is a parse error naming the cases). */
    static Attribute enumAttribute(AsmParser p, String kind) {
        return EnumAttr.parseKeyword(p, kind.equals("rng_distribution") ? EnumAttr.Kind.RNG_DISTRIBUTION : EnumAttr.Kind.RNG_ALGORITHM);
    }

    static OpSyntax rng(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                OperandRef a = p.parseOperand();
                p.expect(",");
                OperandRef b = p.parseOperand();
                p.expect(",");
                OperandRef shape = p.parseOperand();
                p.expect(",");
                p.expectKeyword("distribution");
                p.expect("=");
                Attribute dist = enumAttribute(p, "rng_distribution");
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                p.expect(":");
                FunctionType fn = p.parseFunctionType();
                Operation.Builder op = Operation.builder(opName).operands(p.resolve(List.of(a, b, shape), fn.inputs()))
                        .resultTypes(fn.results());
                addAttrDict(op, attrs, inherent);
                return op.property("rng_distribution", dist);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                p.print(" ").printOperands(op.operands()).print(", distribution = ")
                        .print(enumKeyword(op.attr("rng_distribution"), "rng_distribution"));
                p.printOptionalAttrDict(allAttributes(op), Set.of("rng_distribution"));
                p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
            }

            @Override public boolean canPrint(Operation op) {
                return op.numOperands() == 3 && op.attr("rng_distribution") != null
                        && enumKeyword(op.attr("rng_distribution"), "rng_distribution") != null;
            }
        };
    }

    static OpSyntax rngBitGenerator(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                OperandRef state = p.parseOperand();
                p.expect(",");
                p.expectKeyword("algorithm");
                p.expect("=");
                Attribute alg = enumAttribute(p, "rng_algorithm");
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                p.expect(":");
                FunctionType fn = p.parseFunctionType();
                Operation.Builder op = Operation.builder(opName).operands(p.resolve(List.of(state), fn.inputs()))
                        .resultTypes(fn.results());
                addAttrDict(op, attrs, inherent);
                return op.property("rng_algorithm", alg);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                p.print(" ").printOperand(op.operand(0)).print(", algorithm = ")
                        .print(enumKeyword(op.attr("rng_algorithm"), "rng_algorithm"));
                p.printOptionalAttrDict(allAttributes(op), Set.of("rng_algorithm"));
                p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
            }

            @Override public boolean canPrint(Operation op) {
                return op.numOperands() == 1 && op.attr("rng_algorithm") != null
                        && enumKeyword(op.attr("rng_algorithm"), "rng_algorithm") != null;
            }
        };
    }
}
