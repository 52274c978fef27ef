package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;

/**
 * Checks shared by StableHLO verifiers. Every failure is a {@link VerificationException} whose message starts
 * with the spec's constraint label, e.g. {@code 'stablehlo.add' op (add_c1) ...}.
 */
public final class Verify {
    private Verify() {}

    public static VerificationException fail(Operation op, String rule, String message) {
        return new VerificationException(op.name(), "(" + rule + ") " + message, op.location());
    }

    public static void check(boolean ok, Operation op, String rule, String message) {
        if (!ok) throw fail(op, rule, message);
    }

    /** As {@link #check(boolean, Operation, String, String)}, the message built only on failure. */
    public static void check(boolean ok, Operation op, String rule, java.util.function.Supplier<String> message) {
        if (!ok) throw fail(op, rule, message.get());
    }

    // ---- arity ------------------------------------------------------------------------------------

    public static void operands(Operation op, int n) {
        if (op.numOperands() != n) throw fail(op, "arity", "expects " + n + " operand(s), got " + op.numOperands());
    }

    public static void operandsAtLeast(Operation op, int n) {
        if (op.numOperands() < n) throw fail(op, "arity", "expects at least " + n + " operand(s), got " + op.numOperands());
    }

    public static void results(Operation op, int n) {
        if (op.numResults() != n) throw fail(op, "arity", "expects " + n + " result(s), got " + op.numResults());
    }

    public static void arity(Operation op, int operands, int results) {
        operands(op, operands);
        results(op, results);
    }

    // ---- types ------------------------------------------------------------------------------------

    /** Operand {@code i} as a tensor; anything else fails naming it. */
    public static TensorType operandTensor(Operation op, int i) {
        Type t = op.operand(i).type();
        if (t instanceof TensorType tt) return tt;
        throw fail(op, "type", "operand #" + i + " must be a tensor, got " + t);
    }

    public static TensorType resultTensor(Operation op, int i) {
        Type t = op.result(i).type();
        if (t instanceof TensorType tt) return tt;
        throw fail(op, "type", "result #" + i + " must be a tensor, got " + t);
    }

    public static boolean isBool(ElementType e) { return e instanceof IntegerType i && i.isBool(); }
    public static boolean isInt(ElementType e) { return e instanceof IntegerType i && !i.isBool(); }
    public static boolean isFloat(ElementType e) { return e instanceof FloatType; }
    public static boolean isComplex(ElementType e) { return e instanceof ComplexType; }
    public static boolean isQuant(ElementType e) { return e instanceof QuantizedType; }

    /** Element type categories as the spec's operand constraints name them. */
    public enum Category {
        BOOL, INT, FLOAT, COMPLEX, QUANT;

        static Category of(ElementType e) {
            if (isBool(e)) return BOOL;
            if (isInt(e)) return INT;
            if (isFloat(e)) return FLOAT;
            if (isComplex(e)) return COMPLEX;
            if (isQuant(e)) return QUANT;
            return null;
        }
    }

    /** The element type of operand/result type {@code t} belongs to one of {@code allowed}. */
    public static void elementIn(Operation op, String rule, String what, TensorType t, Category... allowed) {
        Category c = Category.of(t.elementType());
        for (Category a : allowed) if (a == c) return;
        throw fail(op, rule, what + " must have element type of " + List.of(allowed).toString().toLowerCase()
                + " kind, got " + t);
    }

    /** Two shapes are compatible when equal in rank and in every static dimension. */
    public static boolean compatibleShapes(TensorType a, TensorType b) {
        if (a.rank() != b.rank()) return false;
        for (int i = 0; i < a.rank(); i++) {
            if (!a.isDynamicDim(i) && !b.isDynamicDim(i) && a.dim(i) != b.dim(i)) return false;
        }
        return true;
    }

    /** Types are compatible: same element type (quantized types compare by storage) and compatible shapes. */
    public static boolean compatible(TensorType a, TensorType b) {
        return compatibleShapes(a, b) && sameElement(a.elementType(), b.elementType());
    }

    public static boolean sameElement(ElementType a, ElementType b) {
        if (a.equals(b)) return true;
        // Quantization parameters may differ between operands and results of the same op.
        return a instanceof QuantizedType qa && b instanceof QuantizedType qb
                && qa.storageType().equals(qb.storageType()) && qa.expressedType().equals(qb.expressedType());
    }

    /** Every operand and result is a tensor with compatible shape; element types equal unless quantized. */
    public static void sameShapes(Operation op, String rule) {
        TensorType first = null;
        for (int i = 0; i < op.numOperands(); i++) {
            TensorType t = operandTensor(op, i);
            if (first == null) first = t;
            else if (!compatibleShapes(first, t)) throw fail(op, rule, "requires the same shape for all operands and results, got " + describe(op));
        }
        for (int i = 0; i < op.numResults(); i++) {
            TensorType t = resultTensor(op, i);
            if (first == null) first = t;
            else if (!compatibleShapes(first, t)) throw fail(op, rule, "requires the same shape for all operands and results, got " + describe(op));
        }
    }

    /** All operands and results have compatible tensor types (element types may differ for quantized ones). */
    public static void sameTypes(Operation op, String rule) {
        sameShapes(op, rule);
        int n = op.numOperands() + op.numResults();
        ElementType first = null;
        boolean mismatch = false;
        for (int i = 0; i < n; i++) {
            ElementType e = ((TensorType) (i < op.numOperands() ? op.operand(i).type() : op.result(i - op.numOperands()).type())).elementType();
            // Quantization parameters may differ between operands and results of the same op.
            if (isQuant(e)) return;
            if (first == null) first = e;
            else if (!first.equals(e)) mismatch = true;
        }
        if (mismatch) throw fail(op, rule, "requires the same element type for all operands and results, got " + describe(op));
    }

    /** {@code (T1, T2) -> R} for messages. */
    public static String describe(Operation op) {
        return new io.hlo4j.mlir.types.FunctionType(op.operandTypes(), op.resultTypes()).toString();
    }

    // ---- attributes -------------------------------------------------------------------------------

    public static DenseArrayAttr i64Array(Operation op, String name, boolean required) {
        Attribute a = op.attr(name);
        if (a == null) {
            if (required) throw fail(op, "attributes", "requires attribute '" + name + "'");
            return null;
        }
        if (a instanceof DenseArrayAttr d && d.elementType().equals(IntegerType.I64)) return d;
        throw fail(op, "attributes", "attribute '" + name + "' must be array<i64: ...>, got " + a);
    }

    public static long integer(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof IntegerAttr i) return i.value();
        if (a == null) throw fail(op, "attributes", "requires attribute '" + name + "'");
        throw fail(op, "attributes", "attribute '" + name + "' must be an integer, got " + a);
    }

    /** A boolean attribute, or {@code dflt} when absent. */
    public static boolean bool(Operation op, String name, boolean dflt) {
        Attribute a = op.attr(name);
        if (a == null) return dflt;
        if (a instanceof BoolAttr b) return b.value();
        throw fail(op, "attributes", "attribute '" + name + "' must be a bool, got " + a);
    }

    /** The attribute {@code name} of class {@code kind}, or null when absent and optional. */
    public static <T extends Attribute> T attr(Operation op, String name, Class<T> kind, boolean required) {
        Attribute a = op.attr(name);
        if (a == null) {
            if (required) throw fail(op, "attributes", "requires attribute '" + name + "'");
            return null;
        }
        if (kind.isInstance(a)) return kind.cast(a);
        throw fail(op, "attributes", "attribute '" + name + "' must be a " + kind.getSimpleName() + ", got " + a);
    }

    /**
     * The enum attribute {@code name} of {@code kind}: an enum of another kind (a {@code #stablehlo<transpose ...>} as an
     * fft_type) is refused like any attribute of the wrong kind, since the op's pretty form prints only the case.
     */
    public static EnumAttr enumAttr(Operation op, String name, EnumAttr.Kind kind, boolean required) {
        EnumAttr e = attr(op, name, EnumAttr.class, required);
        if (e != null && e.kind() != kind) {
            throw fail(op, "attributes", "attribute '" + name + "' must be a #stablehlo<" + kind.mnemonic() + " ...> (one of " + kind.cases()
                    + "), got " + e);
        }
        return e;
    }

    /** {@code dims} are distinct and each in [0, rank). */
    public static void dimsInRange(Operation op, String rule, String what, long[] dims, int rank) {
        OpCheck.of(op).dimsInRange(rule, what, dims, rank, () -> "");
    }
}
