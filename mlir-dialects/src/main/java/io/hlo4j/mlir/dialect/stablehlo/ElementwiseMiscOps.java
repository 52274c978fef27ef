package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FunctionType;
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

/** compare, select, clamp, complex, reduce_precision, constant and iota: element-wise ops with their own forms. */
final class ElementwiseMiscOps {
    private ElementwiseMiscOps() {}

    static void register(OpRegistry r) {
        r.register(OpDef.builder("stablehlo.compare").summary("element-wise comparison")
                .inherent("comparison_direction", "compare_type").syntax(COMPARE).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> List.of(((TensorType) ts.get(0)).withElementType(IntegerType.I1)))
                .verifier(ElementwiseMiscOps::verifyCompare).build());
        r.register(OpDef.builder("stablehlo.select").summary("element-wise or whole-tensor selection")
                .syntax(SELECT).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> List.of(ts.get(1)))
                .verifier(ElementwiseMiscOps::verifySelect).build());
        r.register(OpDef.builder("stablehlo.clamp").summary("clamps each element between min and max")
                .syntax(CLAMP).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> List.of(ts.get(1)))
                .verifier(ElementwiseMiscOps::verifyClamp).build());
        r.register(OpDef.builder("stablehlo.complex").summary("builds complex values from real and imaginary parts")
                .syntax(COMPLEX_SYNTAX).traits(OpTrait.ELEMENTWISE)
                .inference((ts, props, regions) -> List.of(ElementwiseOps.complexOf((TensorType) ts.get(0))))
                .verifier(op -> {
                    Verify.arity(op, 2, 1);
                    TensorType lhs = Verify.operandTensor(op, 0), rhs = Verify.operandTensor(op, 1);
                    Verify.check(ElementwiseOps.isF32OrF64(lhs.elementType()), op, "complex_i1",
                            () -> "lhs must have f32 or f64 elements, got " + lhs);
                    Verify.check(lhs.equals(rhs), op, "complex_c1", () -> "lhs and rhs must have the same type, got " + Verify.describe(op));
                    Verify.sameShapes(op, "complex_c2");
                    Type want = ElementwiseOps.complexOf(lhs);
                    Verify.check(Verify.resultTensor(op, 0).elementType().equals(((TensorType) want).elementType()), op,
                            "complex_c3", () -> "result element type must be complex<" + lhs.elementType() + ">, got " + Verify.describe(op));
                }).build());
        r.register(OpDef.builder("stablehlo.reduce_precision").summary("rounds to a smaller float format and back")
                .inherent("exponent_bits", "mantissa_bits").syntax(REDUCE_PRECISION)
                .traits(OpTrait.ELEMENTWISE, OpTrait.SAME_OPERANDS_AND_RESULT_TYPE)
                .inference(ElementwiseOps.SAME_AS_FIRST)
                .verifier(op -> {
                    Verify.arity(op, 1, 1);
                    Verify.sameTypes(op, "reduce_precision_c1");
                    Verify.elementIn(op, "reduce_precision_i1", "operand", Verify.operandTensor(op, 0), FLOAT, QUANT);
                    long e = Verify.integer(op, "exponent_bits"), m = Verify.integer(op, "mantissa_bits");
                    Verify.check(e >= 1, op, "reduce_precision_c2", () -> "exponent_bits must be >= 1, got " + e);
                    Verify.check(m >= 0, op, "reduce_precision_c3", () -> "mantissa_bits must be >= 0, got " + m);
                }).build());
        r.register(OpDef.builder("stablehlo.constant").summary("a tensor literal").inherent("value")
                .syntax(CONSTANT).inference((ts, props, regions) -> {
                    Attribute v = props.get("value");
                    if (v instanceof DenseElementsAttr d) return List.of(d.type());
                    throw new IllegalArgumentException("stablehlo.constant needs a dense 'value' to infer its type, got " + v);
                })
                .resultNamer(op -> new String[]{op.result().type() instanceof TensorType t
                        && t.elementType() instanceof IntegerType ? "c" : "cst"})
                .verifier(ElementwiseMiscOps::verifyConstant).build());
        r.register(OpDef.builder("stablehlo.iota").summary("values counting up along one dimension")
                .inherent("iota_dimension").syntax(IOTA)
                .verifier(op -> {
                    Verify.arity(op, 0, 1);
                    TensorType out = Verify.resultTensor(op, 0);
                    Verify.elementIn(op, "iota_c1", "output", out, INT, FLOAT, COMPLEX, QUANT);
                    Verify.check(out.hasStaticShape(), op, "iota_c1", () -> "output must have a static shape, got " + out);
                    long d = Verify.integer(op, "iota_dimension");
                    Verify.check(d >= 0 && d < out.rank(), op, "iota_c1",
                            () -> "iota_dimension " + d + " is out of range [0, " + out.rank() + ") of " + out);
                }).build());
    }

    // ---- compare ------------------------------------------------------------------------------------

    /** {@code  EQ, %a, %b,  FLOAT : (T, T) -> R}: upstream prints two spaces before each enum keyword. */
    static final OpSyntax COMPARE = Syntax.of((p, b) -> {
        b.property("comparison_direction", EnumAttr.parseKeyword(p, EnumAttr.Kind.COMPARISON_DIRECTION));
        p.expect(",");
        List<OperandRef> refs = ElementwiseOps.twoOperands(p);
        if (p.consumeIf(",")) b.property("compare_type", EnumAttr.parseKeyword(p, EnumAttr.Kind.COMPARISON_TYPE));
        Syntax.parseAttrDict(p, b, Set.of("comparison_direction", "compare_type"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        p.print("  ").print(((EnumAttr) op.properties().get("comparison_direction")).value()).print(", ")
                .printOperands(op.operands());
        if (op.properties().get("compare_type") instanceof EnumAttr ct) p.print(",  ").print(ct.value());
        Syntax.printAttrDict(p, op, "comparison_direction", "compare_type");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(2, 1, "comparison_direction", EnumAttr.class, "?compare_type", EnumAttr.class));

    private static void verifyCompare(Operation op) {
        Verify.arity(op, 2, 1);
        Verify.sameShapes(op, "compare_c2");
        TensorType lhs = Verify.operandTensor(op, 0), rhs = Verify.operandTensor(op, 1);
        Verify.check(Verify.sameElement(lhs.elementType(), rhs.elementType()), op, "compare_c1",
                () -> "lhs and rhs must have the same element type, got " + Verify.describe(op));
        Verify.check(Verify.isBool(Verify.resultTensor(op, 0).elementType()), op, "compare_c2",
                () -> "result must have i1 elements, got " + Verify.describe(op));
        Verify.enumAttr(op, "comparison_direction", EnumAttr.Kind.COMPARISON_DIRECTION, true);
        EnumAttr ct = Verify.enumAttr(op, "compare_type", EnumAttr.Kind.COMPARISON_TYPE, false);
        if (ct != null) {
            ElementType e = lhs.elementType();
            boolean fp = Verify.isFloat(e) || Verify.isComplex(e);
            boolean ok = switch (ct.value()) {
                case "FLOAT", "TOTALORDER" -> fp || Verify.isQuant(e);
                case "SIGNED", "UNSIGNED" -> !fp;
                default -> true;
            };
            Verify.check(ok, op, "compare_c3", () -> "compare_type " + ct.value() + " does not fit element type " + e);
        }
    }

    // ---- select / clamp -----------------------------------------------------------------------------

    /** {@code %p, %t, %f : PredT, T} when branches and result agree, else the functional type. */
    static final OpSyntax SELECT = Syntax.of((p, b) -> {
        List<OperandRef> refs = p.parseOperandList();
        if (refs.size() != 3) throw p.error("'stablehlo.select' expects 3 operands, got " + refs.size());
        Syntax.parseAttrDict(p, b, Set.of());
        p.expect(":");
        List<Type> types = p.parseTypeList();
        if (types.size() == 1 && types.get(0) instanceof FunctionType f) {
            if (f.inputs().size() != 3) throw p.error("3 operands present, but expected " + f.inputs().size());
            b.operands(p.resolve(refs, f.inputs())).resultTypes(f.results());
        } else if (types.size() == 2) {
            b.operands(p.resolve(refs, List.of(types.get(0), types.get(1), types.get(1)))).resultType(types.get(1));
        } else {
            throw p.error("expected functional type or list of two types");
        }
    }, (op, p) -> {
        p.print(" ").printOperands(op.operands());
        Syntax.printAttrDict(p, op);
        p.print(" : ");
        Type r = op.result().type();
        if (op.operand(1).type().equals(r) && op.operand(2).type().equals(r)) {
            p.printType(op.operand(0).type()).print(", ").printType(r);
        } else {
            p.printFunctionalType(op.operandTypes(), op.resultTypes());
        }
    }, Syntax.form(3, 1));

    private static void verifySelect(Operation op) {
        Verify.arity(op, 3, 1);
        TensorType pred = Verify.operandTensor(op, 0), t = Verify.operandTensor(op, 1), f = Verify.operandTensor(op, 2);
        TensorType res = Verify.resultTensor(op, 0);
        Verify.check(Verify.isBool(pred.elementType()), op, "select_i1", () -> "pred must have i1 elements, got " + pred);
        Verify.check(pred.rank() == 0 || Verify.compatibleShapes(pred, t), op, "select_c1",
                () -> "pred must be a scalar or have the shape of on_true, got " + Verify.describe(op));
        Verify.check(Verify.compatible(t, f) && Verify.compatible(t, res), op, "select_c2",
                () -> "on_true, on_false and result must have the same type, got " + Verify.describe(op));
    }

    static final OpSyntax CLAMP = Syntax.of((p, b) -> {
        List<OperandRef> refs = p.parseOperandList();
        if (refs.size() != 3) throw p.error("'stablehlo.clamp' expects 3 operands, got " + refs.size());
        Syntax.parseAttrDict(p, b, Set.of());
        p.expect(":");
        Syntax.parseSameOperandsAndResultType(p, refs, b);
    }, (op, p) -> {
        p.print(" ").printOperands(op.operands());
        Syntax.printAttrDict(p, op);
        Syntax.printColonSameType(p, op);
    }, Syntax.form(3, 1));

    private static void verifyClamp(Operation op) {
        Verify.arity(op, 3, 1);
        TensorType min = Verify.operandTensor(op, 0), x = Verify.operandTensor(op, 1), max = Verify.operandTensor(op, 2);
        Verify.check(min.rank() == 0 || Verify.compatibleShapes(min, x), op, "clamp_c1",
                () -> "min must be a scalar or have the shape of operand, got " + Verify.describe(op));
        Verify.check(max.rank() == 0 || Verify.compatibleShapes(max, x), op, "clamp_c2",
                () -> "max must be a scalar or have the shape of operand, got " + Verify.describe(op));
        Verify.check(Verify.sameElement(min.elementType(), x.elementType())
                        && Verify.sameElement(max.elementType(), x.elementType()), op, "clamp_c3",
                () -> "min, operand and max must have the same element type, got " + Verify.describe(op));
        Verify.check(Verify.compatible(x, Verify.resultTensor(op, 0)), op, "clamp_c4",
                () -> "result must have the operand's type, got " + Verify.describe(op));
    }

    /** custom&lt;ComplexOpType&gt;: the result type alone when both operands have its real counterpart. */
    static final OpSyntax COMPLEX_SYNTAX = Syntax.of((p, b) -> {
        List<OperandRef> refs = ElementwiseOps.twoOperands(p);
        Syntax.parseAttrDict(p, b, Set.of());
        p.expect(":");
        Type t = p.parseType();
        if (t instanceof FunctionType f) {
            if (f.inputs().size() != 2) throw p.error("2 operands present, but expected " + f.inputs().size());
            b.operands(p.resolve(refs, f.inputs())).resultTypes(f.results());
            return;
        }
        if (!(t instanceof TensorType tt) || !(tt.elementType() instanceof ComplexType c)) {
            throw p.error("expected tensor with complex element type, got " + t);
        }
        Type real = tt.withElementType(c.elementType());
        b.operands(p.resolve(refs, List.of(real, real))).resultType(t);
    }, (op, p) -> {
        p.print(" ").printOperands(op.operands());
        Syntax.printAttrDict(p, op);
        p.print(" : ");
        Type r = op.result().type();
        Type real = r instanceof TensorType t && t.elementType() instanceof ComplexType c ? t.withElementType(c.elementType()) : null;
        if (real != null && op.operand(0).type().equals(real) && op.operand(1).type().equals(real)) p.printType(r);
        else p.printFunctionalType(op.operandTypes(), op.resultTypes());
    }, Syntax.form(2, 1));

    /** {@code %x, format = e8m7 : T}. */
    static final OpSyntax REDUCE_PRECISION = Syntax.of((p, b) -> {
        OperandRef x = p.parseOperand();
        p.expect(",");
        Syntax.expectKeyEquals(p, "format");
        String f = p.parseKeyword();
        var m = java.util.regex.Pattern.compile("e([0-9]+)m([0-9]+)").matcher(f);
        if (!m.matches()) throw p.error("expected exponent mantissa in format e#m#, saw " + f);
        b.property("exponent_bits", IntegerAttr.i32(Long.parseLong(m.group(1))));
        b.property("mantissa_bits", IntegerAttr.i32(Long.parseLong(m.group(2))));
        Syntax.parseAttrDict(p, b, Set.of("exponent_bits", "mantissa_bits"));
        p.expect(":");
        Syntax.parseSameOperandsAndResultType(p, List.of(x), b);
    }, (op, p) -> {
        p.print(" ").printOperand(op.operand(0)).print(", format = e").print(Long.toString(Syntax.intValue(op, "exponent_bits")))
                .print("m").print(Long.toString(Syntax.intValue(op, "mantissa_bits")));
        Syntax.printAttrDict(p, op, "exponent_bits", "mantissa_bits");
        Syntax.printColonSameType(p, op);
    }, Syntax.form(1, 1, "exponent_bits", IntegerAttr.class, "mantissa_bits", IntegerAttr.class));

    // ---- constant / iota ----------------------------------------------------------------------------

    /** {@code attr-dict dense<...> : T}; falls back to generic form when the value's type is not the result's. */
    static final OpSyntax CONSTANT = new OpSyntax() {
        @Override public Operation.Builder parse(io.hlo4j.mlir.asm.AsmParser p, String opName) {
            Operation.Builder b = Operation.builder(opName);
            Syntax.parseAttrDict(p, b, Set.of());
            Attribute v = p.parseAttribute();
            if (!(v instanceof DenseElementsAttr d)) throw p.error("'stablehlo.constant' expects a dense elements value, got " + v);
            b.property("value", v).resultType(d.type());
            return b;
        }

        @Override public void print(Operation op, AsmPrinter p) {
            Syntax.printAttrDict(p, op, "value");
            p.print(" ").printAttribute(op.properties().get("value"));
        }

        @Override public boolean canPrint(Operation op) {
            return op.numResults() == 1 && op.attr("value") instanceof DenseElementsAttr d && d.type().equals(op.result().type());
        }
    };

    private static void verifyConstant(Operation op) {
        Verify.arity(op, 0, 1);
        TensorType out = Verify.resultTensor(op, 0);
        DenseElementsAttr v = Verify.attr(op, "value", DenseElementsAttr.class, true);
        TensorType expect = out.elementType() instanceof QuantizedType q ? out.withElementType(q.storageType()) : out;
        Verify.check(v.type().equals(expect) || v.type().equals(out), op, "constant_c1",
                () -> "value type " + v.type() + " does not match result type " + out);
    }

    static final OpSyntax IOTA = Syntax.of((p, b) -> {
        Syntax.expectKeyEquals(p, "dim");
        b.property("iota_dimension", Syntax.i64(p.parseInteger()));
        Syntax.parseAttrDict(p, b, Set.of("iota_dimension"));
        p.expect(":");
        b.resultType(p.parseType());
    }, (op, p) -> {
        p.print(" dim = ").print(Long.toString(Syntax.intValue(op, "iota_dimension")));
        Syntax.printAttrDict(p, op, "iota_dimension");
        p.print(" : ").printType(op.result().type());
    }, Syntax.form(0, 1, "iota_dimension", IntegerAttr.class));
}
