package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Small pieces the check, interpreter, chlo and sdy op declarations share: splitting a parsed attribute
 * dictionary into inherent and discardable parts, the merged view an {@code attr-dict} prints, and
 * verifier errors that name the op and the rule.
 */
public final class OpSupport {
    private OpSupport() {}

    /** What {@code attr-dict} shows: inherent and discardable attributes together, sorted by name. */
    public static DictionaryAttr allAttributes(Operation op) {
        if (op.properties().isEmpty()) return op.attributes();
        if (op.attributes().isEmpty()) return op.properties();
        Map<String, Attribute> m = new TreeMap<>(op.attributes().asMap());
        m.putAll(op.properties().asMap());
        return DictionaryAttr.of(m);
    }

    /** Adds a parsed {@code attr-dict}: names the op declares inherent become properties, the rest stay discardable. */
    public static Operation.Builder addAttrDict(Operation.Builder b, DictionaryAttr dict, Set<String> inherent) {
        for (Map.Entry<String, Attribute> e : dict.asMap().entrySet()) {
            if (inherent.contains(e.getKey())) b.property(e.getKey(), e.getValue());
            else b.attribute(e.getKey(), e.getValue());
        }
        return b;
    }

    public static VerificationException fail(Operation op, String message) {
        return new VerificationException(op.name(), message, op.location());
    }

    /** The operand/result's ranked tensor type, or an error naming its role. */
    public static TensorType tensor(Operation op, Value v, String role) {
        if (v.type() instanceof TensorType t) return t;
        throw fail(op, role + " must be a ranked tensor, got " + v.type());
    }

    public static TensorType tensor(Operation op, Type t, String role) {
        if (t instanceof TensorType tt) return tt;
        throw fail(op, role + " must be a ranked tensor, got " + t);
    }

    public static void expectOperands(Operation op, int n) {
        if (op.numOperands() != n) throw fail(op, "expects " + n + " operand" + (n == 1 ? "" : "s") + ", got " + op.numOperands());
    }

    public static void expectResults(Operation op, int n) {
        if (op.numResults() != n) throw fail(op, "expects " + n + " result" + (n == 1 ? "" : "s") + ", got " + op.numResults());
    }

    public static void expectNoRegions(Operation op) {
        if (!op.regions().isEmpty()) throw fail(op, "expects no regions, got " + op.regions().size());
    }

    public static boolean isFloatOrComplex(Type elementType) {
        return elementType instanceof FloatType || elementType instanceof ComplexType;
    }

    public static boolean isInteger(Type elementType) {
        return elementType instanceof IntegerType i && !i.isBool();
    }

    /** The inherent attribute {@code name} as {@code kind}, or an error saying it is missing or of the wrong kind. */
    public static <A extends Attribute> A required(Operation op, String name, Class<A> kind, String what) {
        Attribute a = op.attr(name);
        if (a == null) throw fail(op, "requires attribute '" + name + "' (" + what + ")");
        if (!kind.isInstance(a)) throw fail(op, "attribute '" + name + "' must be " + what + ", got " + a);
        return kind.cast(a);
    }

    /** Like {@link #required} but null when absent. */
    public static <A extends Attribute> A optional(Operation op, String name, Class<A> kind, String what) {
        Attribute a = op.attr(name);
        if (a == null) return null;
        if (!kind.isInstance(a)) throw fail(op, "attribute '" + name + "' must be " + what + ", got " + a);
        return kind.cast(a);
    }
}
