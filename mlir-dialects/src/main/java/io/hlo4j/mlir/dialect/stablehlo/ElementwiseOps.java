package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.dialect.stablehlo.Verify.Category;
import io.hlo4j.mlir.dialect.stablehlo.attr.ResultAccuracy;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.registry.OpVerifier;
import io.hlo4j.mlir.registry.TypeInference;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.BOOL;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.COMPLEX;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.FLOAT;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.INT;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.QUANT;

/**
 * The unary and binary element-wise ops of the spec (abs ... xor), with their pretty forms
 * {@code %r = stablehlo.add %a, %b : tensor<4xf32>} (the SameOperandsAndResultType rule) and constraints.
 * Select, clamp, compare, constant and the other non-uniform element-wise ops live in {@link ElementwiseMiscOps}.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static final String RESULT_ACCURACY = "result_accuracy";

    static void register(OpRegistry registry) {
        // Same-type unary ops: name, allowed element kinds, whether the op carries result_accuracy.
        unary(registry, "cbrt", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "cosine", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "exponential", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "exponential_minus_one", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "log", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "log_plus_one", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "logistic", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "rsqrt", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "sine", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "sqrt", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "tan", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "tanh", true, FLOAT, COMPLEX, QUANT);
        unary(registry, "ceil", false, FLOAT, QUANT);
        unary(registry, "floor", false, FLOAT, QUANT);
        unary(registry, "round_nearest_afz", false, FLOAT, QUANT);
        unary(registry, "round_nearest_even", false, FLOAT, QUANT);
        unary(registry, "count_leading_zeros", false, INT);
        unary(registry, "popcnt", false, INT);
        unary(registry, "not", false, BOOL, INT);
        unary(registry, "negate", false, INT, FLOAT, COMPLEX, QUANT);
        unary(registry, "sign", false, INT, FLOAT, COMPLEX, QUANT);

        // Unary ops whose result element type differs from the operand's.
        unaryMapped(registry, "abs", ElementwiseOps::realOfComplex, INT, FLOAT, COMPLEX, QUANT);
        unaryMapped(registry, "real", ElementwiseOps::realOfComplex, FLOAT, COMPLEX);
        unaryMapped(registry, "imag", ElementwiseOps::realOfComplex, FLOAT, COMPLEX);
        registry.register(OpDef.builder("stablehlo.convert").summary("element-wise type conversion")
                .syntax(unarySyntax(Set.of())).traits(OpTrait.ELEMENTWISE)
                .verifier(op -> {
                    Verify.arity(op, 1, 1);
                    Verify.sameShapes(op, "convert_c1");
                    Verify.check(!Verify.isQuant(Verify.operandTensor(op, 0).elementType())
                                    && !Verify.isQuant(Verify.resultTensor(op, 0).elementType()),
                            op, "convert_c1", () -> "operand and result must not be quantized (use uniform_quantize), got " + Verify.describe(op));
                }).build());
        registry.register(OpDef.builder("stablehlo.uniform_quantize").summary("quantizes a float or re-quantizes a quantized tensor")
                .syntax(unarySyntax(Set.of())).traits(OpTrait.ELEMENTWISE)
                .verifier(op -> {
                    Verify.arity(op, 1, 1);
                    Verify.sameShapes(op, "uniform_quantize_c1");
                    Verify.elementIn(op, "uniform_quantize_i1", "operand", Verify.operandTensor(op, 0), FLOAT, QUANT);
                    Verify.elementIn(op, "uniform_quantize_c1", "result", Verify.resultTensor(op, 0), QUANT);
                }).build());
        registry.register(OpDef.builder("stablehlo.uniform_dequantize").summary("converts a quantized tensor to its expressed type")
                .syntax(unarySyntax(Set.of())).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> {
                    TensorType t = (TensorType) ts.get(0);
                    return List.of(t.withElementType(((QuantizedType) t.elementType()).expressedType()));
                })
                .verifier(op -> {
                    Verify.arity(op, 1, 1);
                    Verify.sameShapes(op, "uniform_dequantize_c1");
                    TensorType in = Verify.operandTensor(op, 0);
                    Verify.elementIn(op, "uniform_dequantize_i1", "operand", in, QUANT);
                    ElementType expressed = ((QuantizedType) in.elementType()).expressedType();
                    Verify.check(Verify.resultTensor(op, 0).elementType().equals(expressed), op, "uniform_dequantize_c2",
                            () -> "result element type must be the operand's expressed type " + expressed + ", got " + Verify.describe(op));
                }).build());
        registry.register(OpDef.builder("stablehlo.is_finite").summary("element-wise check for finite values")
                .syntax(functionalSyntax(Set.of())).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> List.of(((TensorType) ts.get(0)).withElementType(IntegerType.I1)))
                .verifier(op -> {
                    Verify.arity(op, 1, 1);
                    Verify.sameShapes(op, "is_finite_c1");
                    Verify.elementIn(op, "is_finite_i1", "operand", Verify.operandTensor(op, 0), FLOAT, QUANT);
                    Verify.check(Verify.isBool(Verify.resultTensor(op, 0).elementType()), op, "is_finite_c1",
                            () -> "result must have i1 elements, got " + Verify.describe(op));
                }).build());

        // Binary ops.
        binary(registry, "add", true, BOOL, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "multiply", true, BOOL, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "maximum", true, BOOL, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "minimum", true, BOOL, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "subtract", false, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "divide", false, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "remainder", false, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "power", false, INT, FLOAT, COMPLEX, QUANT);
        binary(registry, "atan2", false, FLOAT, COMPLEX, QUANT);
        binary(registry, "and", true, BOOL, INT);
        binary(registry, "or", true, BOOL, INT);
        binary(registry, "xor", true, BOOL, INT);
        binary(registry, "shift_left", false, INT);
        binary(registry, "shift_right_arithmetic", false, INT);
        binary(registry, "shift_right_logical", false, INT);

        ElementwiseMiscOps.register(registry);
    }

    // ---- declarations -------------------------------------------------------------------------------

    private static void unary(OpRegistry r, String mnemonic, boolean accuracy, Category... allowed) {
        String name = "stablehlo." + mnemonic;
        Set<String> inherent = accuracy ? Set.of(RESULT_ACCURACY) : Set.of();
        OpVerifier v = op -> {
            Verify.arity(op, 1, 1);
            Verify.sameTypes(op, mnemonic + "_c1");
            Verify.elementIn(op, mnemonic + "_i1", "operand", Verify.operandTensor(op, 0), allowed);
            if (accuracy) Verify.attr(op, RESULT_ACCURACY, ResultAccuracy.class, false);
        };
        r.register(OpDef.builder(name).summary("element-wise " + mnemonic).inherent(inherent.toArray(String[]::new))
                .syntax(unarySyntax(inherent)).verifier(v).inference(SAME_AS_FIRST)
                .traits(OpTrait.ELEMENTWISE, OpTrait.SAME_OPERANDS_AND_RESULT_TYPE).build());
    }

    /** abs/real/imag: result element is the real part type of a complex operand, else the operand's. */
    private static void unaryMapped(OpRegistry r, String mnemonic, java.util.function.UnaryOperator<ElementType> map,
                                    Category... allowed) {
        r.register(OpDef.builder("stablehlo." + mnemonic).summary("element-wise " + mnemonic)
                .syntax(unarySyntax(Set.of())).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> {
                    TensorType t = (TensorType) ts.get(0);
                    return List.of(t.withElementType(map.apply(t.elementType())));
                })
                .verifier(op -> {
                    Verify.arity(op, 1, 1);
                    Verify.sameShapes(op, mnemonic + "_c1");
                    TensorType in = Verify.operandTensor(op, 0);
                    Verify.elementIn(op, mnemonic + "_i1", "operand", in, allowed);
                    ElementType want = map.apply(in.elementType());
                    ElementType got = Verify.resultTensor(op, 0).elementType();
                    Verify.check(Verify.sameElement(want, got), op, mnemonic + "_c2",
                            () -> "result element type must be " + want + ", got " + Verify.describe(op));
                }).build());
    }

    static ElementType realOfComplex(ElementType e) { return e instanceof ComplexType c ? c.elementType() : e; }

    private static void binary(OpRegistry r, String mnemonic, boolean commutative, Category... allowed) {
        OpVerifier v = op -> {
            Verify.arity(op, 2, 1);
            Verify.sameTypes(op, mnemonic + "_c1");
            Verify.elementIn(op, mnemonic + "_i1", "lhs", Verify.operandTensor(op, 0), allowed);
        };
        OpTrait[] traits = commutative
                ? new OpTrait[]{OpTrait.ELEMENTWISE, OpTrait.SAME_OPERANDS_AND_RESULT_TYPE, OpTrait.COMMUTATIVE}
                : new OpTrait[]{OpTrait.ELEMENTWISE, OpTrait.SAME_OPERANDS_AND_RESULT_TYPE};
        r.register(OpDef.builder("stablehlo." + mnemonic).summary("element-wise " + mnemonic)
                .syntax(binarySyntax()).verifier(v).inference(SAME_AS_FIRST).traits(traits).build());
    }

    static final TypeInference SAME_AS_FIRST = (ts, props, regions) -> List.of(ts.get(0));

    // ---- syntaxes -----------------------------------------------------------------------------------

    /** {@code %x attr-dict : T} or {@code : (T) -> R}; a default result_accuracy is not printed. */
    static OpSyntax unarySyntax(Set<String> inherent) {
        return Syntax.of((p, b) -> {
            OperandRef x = p.parseOperand();
            Syntax.parseAttrDict(p, b, inherent);
            p.expect(":");
            Syntax.parseSameOperandsAndResultType(p, List.of(x), b);
        }, (op, p) -> {
            p.print(" ").printOperand(op.operand(0));
            Syntax.printAttrDict(p, op, defaultAccuracy(op) ? Set.of(RESULT_ACCURACY) : Set.of());
            Syntax.printColonSameType(p, op);
        }, Syntax.form(1, 1));
    }

    static boolean defaultAccuracy(Operation op) {
        return ResultAccuracy.DEFAULT.equals(op.properties().get(RESULT_ACCURACY));
    }

    /** {@code %a, %b attr-dict : T} or the functional type. */
    static OpSyntax binarySyntax() {
        return Syntax.of((p, b) -> {
            List<OperandRef> refs = twoOperands(p);
            Syntax.parseAttrDict(p, b, Set.of());
            p.expect(":");
            Syntax.parseSameOperandsAndResultType(p, refs, b);
        }, (op, p) -> {
            p.print(" ").printOperands(op.operands());
            Syntax.printAttrDict(p, op);
            Syntax.printColonSameType(p, op);
        }, Syntax.form(2, 1));
    }

    static List<OperandRef> twoOperands(AsmParser p) {
        OperandRef a = p.parseOperand();
        p.expect(",");
        return List.of(a, p.parseOperand());
    }

    /** {@code operands attr-dict : functional-type(operands, results)}. */
    static OpSyntax functionalSyntax(Set<String> inherent) {
        return Syntax.of((p, b) -> {
            List<OperandRef> refs = p.parseOperandList();
            Syntax.parseAttrDict(p, b, inherent);
            p.expect(":");
            Syntax.parseFunctionalType(p, refs, b);
        }, (op, p) -> {
            Syntax.printOperands(p, op.operands());
            Syntax.printAttrDict(p, op);
            Syntax.printColonFunctionalType(p, op);
        }, Syntax.form(-1, 1));
    }

    static boolean isF32OrF64(ElementType e) { return e.equals(FloatType.F32) || e.equals(FloatType.F64); }

    static Type complexOf(TensorType t) { return t.withElementType(new ComplexType((FloatType) t.elementType())); }
}
