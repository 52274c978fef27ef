package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.dialect.check.DenseConstantSyntax;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.registry.TypeInference;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectNoRegions;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectOperands;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectResults;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.optional;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;
import static io.hlo4j.mlir.dialect.check.OpSupport.tensor;

/**
 * chlo's elementwise ops: the unary math functions ({@code chlo.erf %x : T -> T}), the binary ones
 * ({@code chlo.next_after %x, %y : T, T -> T}), the {@code broadcast_*} family
 * ({@code chlo.broadcast_add %a, %b : (A, B) -> C}), {@code mulhi}, {@code constant} and {@code constant_like}.
 */
final class ChloElementwiseOps {
    private ChloElementwiseOps() {}

    /** Element-type families of ChloOps.td's tensor constraints. */
    enum Elements {
        FLOAT("floating-point", t -> t instanceof FloatType),
        FLOAT_OR_COMPLEX("floating-point or complex", t -> t instanceof FloatType || t instanceof ComplexType),
        COMPLEX("complex", t -> t instanceof ComplexType),
        INTEGER("integer", t -> t instanceof IntegerType i && !i.isBool()),
        PRED_OR_INTEGER("boolean or integer", t -> t instanceof IntegerType),
        ANY("any", t -> true);

        final String text;
        final Predicate<ElementType> test;

        Elements(String text, Predicate<ElementType> test) {
            this.text = text;
            this.test = test;
        }

        void require(Operation op, TensorType t, String role) {
            if (!test.test(t.elementType())) throw fail(op, role + " must be a tensor of " + text + " elements, got " + t);
        }
    }

    static void register(OpRegistry r) {
        for (String n : List.of("acos", "acosh", "asin", "asinh", "atan", "atanh", "conj", "cosh", "sinh", "tan", "square")) {
            unary(r, n, Elements.FLOAT_OR_COMPLEX, false);
        }
        for (String n : List.of("bessel_i1e", "digamma", "erf", "erf_inv", "erfc", "lgamma")) unary(r, n, Elements.FLOAT, false);
        unary(r, "_asin_acos_kernel", Elements.COMPLEX, false);
        for (String n : List.of("is_inf", "is_neg_inf", "is_pos_inf")) unary(r, n, Elements.FLOAT, true);

        binary(r, "next_after", Elements.FLOAT, Set.of(OpTrait.ELEMENTWISE));
        binary(r, "polygamma", Elements.FLOAT, Set.of(OpTrait.ELEMENTWISE));
        binary(r, "zeta", Elements.FLOAT, Set.of(OpTrait.ELEMENTWISE));
        binary(r, "mulhi", Elements.INTEGER, Set.of(OpTrait.ELEMENTWISE, OpTrait.COMMUTATIVE));

        for (String n : List.of("add", "atan2", "div", "max", "min", "mul", "pow", "rem", "shift_left",
                "shift_right_arithmetic", "shift_right_logical", "sub")) {
            broadcast(r, n, Elements.ANY, Result.SAME);
        }
        for (String n : List.of("next_after", "polygamma", "zeta")) broadcast(r, n, Elements.FLOAT, Result.SAME);
        for (String n : List.of("and", "or", "xor")) broadcast(r, n, Elements.PRED_OR_INTEGER, Result.SAME);
        broadcast(r, "complex", Elements.FLOAT, Result.COMPLEX);
        broadcast(r, "compare", Elements.ANY, Result.PRED);

        r.register(OpDef.builder("chlo.broadcast_select").summary("select with numpy-style broadcasting")
                .syntax(new BroadcastSelectSyntax()).verifier(ChloElementwiseOps::verifyBroadcastSelect)
                .inference((ts, props, regions) -> {
                    String name = "chlo.broadcast_select";
                    if (ts.size() != 3) throw ChloShapes.error(name, null, "expects 3 operands, got " + ts.size());
                    return List.of(broadcastSelectType(null, ChloShapes.tensor(name, ts, 0, "pred"), ChloShapes.tensor(name, ts, 1, "on_true"),
                            ChloShapes.tensor(name, ts, 2, "on_false")));
                })
                .traits(OpTrait.ELEMENTWISE).build());
        r.register(OpDef.builder("chlo.constant").summary("a constant tensor").inherent("value")
                .syntax(new DenseConstantSyntax()).verifier(ChloElementwiseOps::verifyConstant)
                .inference((operands, props, regions) -> List.of(((DenseElementsAttr) props.get("value")).type()))
                .resultNamer(op -> new String[] {"cst"}).build());
        r.register(OpDef.builder("chlo.constant_like").summary("a splat constant shaped like the operand").inherent("value")
                .syntax(OpSyntax.GENERIC).verifier(ChloElementwiseOps::verifyConstantLike)
                .inference((operands, props, regions) -> {
                    TensorType t = (TensorType) operands.get(0);
                    return List.of(t.withElementType((ElementType) scalarType(props.get("value"))));
                }).build());
    }

    // ---- unary ----------------------------------------------------------------------------------

    private static void unary(OpRegistry r, String mnemonic, Elements operands, boolean predicateResult) {
        String name = "chlo." + mnemonic;
        TypeInference inf = predicateResult
                ? (ops, props, regions) -> List.of(((TensorType) ops.get(0)).withElementType(IntegerType.I1))
                : (ops, props, regions) -> List.of(ops.get(0));
        r.register(OpDef.builder(name).summary(mnemonic + ", element-wise").syntax(new UnarySyntax())
                .verifier(op -> verifyUnary(op, operands, predicateResult)).inference(inf)
                .traits(OpTrait.ELEMENTWISE).build());
    }

    private static void verifyUnary(Operation op, Elements operands, boolean predicateResult) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType in = tensor(op, op.operand(0), "operand");
        TensorType out = tensor(op, op.result(0).type(), "result");
        operands.require(op, in, "operand");
        if (predicateResult) {
            if (!out.elementType().equals(IntegerType.I1)) throw fail(op, "result must be a tensor of i1, got " + out);
            if (!ChloShapes.compatibleShapes(in.shape(), out.shape())) {
                throw fail(op, "requires the same shape for operand and result (SameOperandsAndResultShape), got " + in + " and " + out);
            }
        } else if (!ChloShapes.compatible(in, out)) {
            throw fail(op, "requires compatible operand and result types (CompatibleOperandsAndResultType), got " + in + " and " + out);
        }
    }

    /** {@code %x attr-dict : T -> R}. */
    private static final class UnarySyntax implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            Operation.Builder b = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDict(), Set.of());
            p.expect(":");
            Type in = p.parseType();
            p.expect("->");
            Type out = p.parseType();
            return b.operand(p.resolve(x, in)).resultType(out);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).printOptionalAttrDict(allAttributes(op), Set.of());
            pr.print(" : ").printType(op.operand(0).type()).print(" -> ").printType(op.result(0).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 1 && op.numResults() == 1; }
    }

    // ---- binary (no broadcasting) ---------------------------------------------------------------

    private static void binary(OpRegistry r, String mnemonic, Elements operands, Set<OpTrait> traits) {
        r.register(OpDef.builder("chlo." + mnemonic).summary(mnemonic + ", element-wise").syntax(new BinarySyntax())
                .verifier(op -> verifyBinary(op, operands)).inference((ops, props, regions) -> List.of(ops.get(0)))
                .traits(traits.toArray(OpTrait[]::new)).build());
    }

    private static void verifyBinary(Operation op, Elements operands) {
        expectOperands(op, 2);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType a = tensor(op, op.operand(0), "first operand");
        TensorType b = tensor(op, op.operand(1), "second operand");
        TensorType out = tensor(op, op.result(0).type(), "result");
        operands.require(op, a, "first operand");
        if (!ChloShapes.compatible(a, b) || !ChloShapes.compatible(a, out)) {
            throw fail(op, "requires compatible operand and result types (CompatibleOperandsAndResultType), got " + a + ", " + b
                    + " and " + out);
        }
    }

    /** {@code %a, %b attr-dict : A, B -> R}. */
    private static final class BinarySyntax implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef a = p.parseOperand();
            p.expect(",");
            OperandRef b = p.parseOperand();
            Operation.Builder ob = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDict(), Set.of());
            p.expect(":");
            Type ta = p.parseType();
            p.expect(",");
            Type tb = p.parseType();
            p.expect("->");
            Type out = p.parseType();
            return ob.operand(p.resolve(a, ta)).operand(p.resolve(b, tb)).resultType(out);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", ").printOperand(op.operand(1));
            pr.printOptionalAttrDict(allAttributes(op), Set.of());
            pr.print(" : ").printType(op.operand(0).type()).print(", ").printType(op.operand(1).type())
                    .print(" -> ").printType(op.result(0).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 2 && op.numResults() == 1; }
    }

    // ---- broadcast_* ----------------------------------------------------------------------------

    enum Result { SAME, COMPLEX, PRED }

    private static void broadcast(OpRegistry r, String mnemonic, Elements operands, Result result) {
        Set<String> inherent = result == Result.PRED
                ? Set.of("broadcast_dimensions", "comparison_direction", "compare_type") : Set.of("broadcast_dimensions");
        String name = "chlo.broadcast_" + mnemonic;
        r.register(OpDef.builder(name).summary(mnemonic + " with numpy-style broadcasting")
                .inherent(inherent.toArray(String[]::new)).syntax(new BroadcastBinarySyntax(inherent))
                .verifier(op -> verifyBroadcastBinary(op, operands, result))
                .inference((ts, props, regions) -> {
                    if (ts.size() != 2) throw ChloShapes.error(name, null, "expects 2 operands, got " + ts.size());
                    DenseArrayAttr dims = props.get("broadcast_dimensions") instanceof DenseArrayAttr d ? d : null;
                    return List.of(broadcastBinaryType(name, null, ChloShapes.tensor(name, ts, 0, "lhs"), ChloShapes.tensor(name, ts, 1, "rhs"),
                            dims == null ? null : dims.longs(), operands, result));
                })
                .traits(OpTrait.ELEMENTWISE).build());
    }

    /**
     * The broadcast_* type rule, shared by inference ({@code op} null) and the verifier: the operands' element family,
     * one element type for both, the numpy (or broadcast_dimensions) broadcast shape and the result element type.
     */
    static TensorType broadcastBinaryType(String name, Operation op, TensorType a, TensorType b, long[] dims, Elements operands, Result result) {
        if (!operands.test.test(a.elementType())) {
            throw ChloShapes.error(name, op, "lhs must be a tensor of " + operands.text + " elements, got " + a);
        }
        if (!a.elementType().equals(b.elementType())) {
            throw ChloShapes.error(name, op, "requires lhs and rhs to have the same element type, got " + a + " and " + b);
        }
        long[] shape = ChloShapes.broadcast(name, op, a.shape(), b.shape(), dims);
        ElementType et = switch (result) {
            case SAME -> a.elementType();
            case PRED -> IntegerType.I1;
            case COMPLEX -> a.elementType() instanceof FloatType f ? new ComplexType(f) : null;
        };
        return TensorType.of(et, shape);
    }

    private static void verifyBroadcastBinary(Operation op, Elements operands, Result result) {
        expectOperands(op, 2);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType a = tensor(op, op.operand(0), "lhs");
        TensorType b = tensor(op, op.operand(1), "rhs");
        TensorType out = tensor(op, op.result(0).type(), "result");
        DenseArrayAttr dims = optional(op, "broadcast_dimensions", DenseArrayAttr.class, "an array<i64: ...>");
        TensorType want = broadcastBinaryType(op.name(), op, a, b, dims == null ? null : dims.longs(), operands, result);
        long[] shape = want.shape();
        if (!ChloShapes.compatibleShapes(shape, out.shape())) {
            throw fail(op, "inferred broadcast shape " + ChloShapes.shapeText(shape) + " is incompatible with result type " + out);
        }
        ElementType expected = want.elementType();
        if (!out.elementType().equals(expected)) {
            throw fail(op, "result element type must be " + expected + ", got " + out);
        }
        if (result == Result.PRED) {
            required(op, "comparison_direction", ChloEnumAttr.class, "a #chlo<comparison_direction ...>");
            ChloEnumAttr ct = optional(op, "compare_type", ChloEnumAttr.class, "a #chlo<comparison_type ...>");
            if (ct != null && !ct.kind().equals(ChloEnumAttr.COMPARISON_TYPE)) throw fail(op, "compare_type must be a comparison_type, got " + ct);
            if (!((ChloEnumAttr) op.attr("comparison_direction")).kind().equals(ChloEnumAttr.COMPARISON_DIRECTION)) {
                throw fail(op, "comparison_direction must be a comparison_direction, got " + op.attr("comparison_direction"));
            }
        }
    }

    /** {@code %a, %b attr-dict : (A, B) -> R}. */
    private record BroadcastBinarySyntax(Set<String> inherent) implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef a = p.parseOperand();
            p.expect(",");
            OperandRef b = p.parseOperand();
            Operation.Builder ob = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDict(), inherent);
            p.expect(":");
            p.expect("(");
            Type ta = p.parseType();
            p.expect(",");
            Type tb = p.parseType();
            p.expect(")");
            p.expect("->");
            Type out = p.parseType();
            return ob.operand(p.resolve(a, ta)).operand(p.resolve(b, tb)).resultType(out);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", ").printOperand(op.operand(1));
            pr.printOptionalAttrDict(allAttributes(op), Set.of());
            pr.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 2 && op.numResults() == 1; }
    }

    private static void verifyBroadcastSelect(Operation op) {
        expectOperands(op, 3);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType pred = tensor(op, op.operand(0), "pred");
        TensorType t = tensor(op, op.operand(1), "on_true");
        TensorType f = tensor(op, op.operand(2), "on_false");
        TensorType out = tensor(op, op.result(0).type(), "result");
        if (!t.elementType().equals(out.elementType())) {
            throw fail(op, "on_true, on_false and result must have the same element type, got " + t + ", " + f + " and " + out);
        }
        long[] shape = broadcastSelectType(op, pred, t, f).shape();
        if (!ChloShapes.compatibleShapes(shape, out.shape())) {
            throw fail(op, "inferred broadcast shape " + ChloShapes.shapeText(shape) + " is incompatible with result type " + out);
        }
    }

    /** broadcast_select's type rule ({@code op} null while inferring): an i1 pred, one branch element type, all three broadcast. */
    static TensorType broadcastSelectType(Operation op, TensorType pred, TensorType t, TensorType f) {
        String name = "chlo.broadcast_select";
        if (!pred.elementType().equals(IntegerType.I1)) throw ChloShapes.error(name, op, "pred must be a tensor of i1, got " + pred);
        if (!t.elementType().equals(f.elementType())) {
            throw ChloShapes.error(name, op, "on_true and on_false must have the same element type, got " + t + " and " + f);
        }
        long[] shape = ChloShapes.broadcast(name, op, ChloShapes.broadcast(name, op, pred.shape(), t.shape(), null), f.shape(), null);
        return TensorType.of(t.elementType(), shape);
    }

    /** {@code %p, %t, %f attr-dict : (P, T, F) -> R}. */
    private static final class BroadcastSelectSyntax implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            List<OperandRef> refs = p.parseOperandList();
            if (refs.size() != 3) throw p.error("'" + opName + "' expects 3 operands, got " + refs.size());
            Operation.Builder ob = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDict(), Set.of());
            p.expect(":");
            var ft = p.parseFunctionType();
            return ob.operands(p.resolve(refs, ft.inputs())).resultTypes(ft.results());
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperands(op.operands()).printOptionalAttrDict(allAttributes(op), Set.of());
            pr.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        }
    }

    // ---- constants ------------------------------------------------------------------------------

    private static void verifyConstant(Operation op) {
        expectOperands(op, 0);
        expectResults(op, 1);
        expectNoRegions(op);
        DenseElementsAttr v = required(op, "value", DenseElementsAttr.class, "a dense elements attribute");
        if (!v.type().equals(op.result(0).type())) {
            throw fail(op, "result type " + op.result(0).type() + " must equal the value's type " + v.type());
        }
    }

    private static void verifyConstantLike(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType in = tensor(op, op.operand(0), "operand");
        TensorType out = tensor(op, op.result(0).type(), "result");
        Attribute v = op.attr("value");
        if (v == null) throw fail(op, "requires attribute 'value' (a typed scalar)");
        Type vt = scalarType(v);
        if (vt == null) throw fail(op, "value must be a typed scalar attribute (integer or float), got " + v);
        if (!vt.equals(out.elementType())) throw fail(op, "value's type doesn't match element return type: " + vt + " vs " + out);
        if (!ChloShapes.compatibleShapes(in.shape(), out.shape())) {
            throw fail(op, "requires the same shape for operand and result (SameOperandsAndResultShape), got " + in + " and " + out);
        }
    }

    private static Type scalarType(Attribute a) {
        if (a instanceof IntegerAttr i) return i.type();
        if (a instanceof FloatAttr f) return f.type();
        return null;
    }
}
