package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.function.Supplier;

/**
 * Where an op's constraints report, so one set of checks serves both its verifier and its type inference: a built
 * op (the failure carries its location) or an op being inferred, which has no location yet (the builder adds the
 * caller's). Either way the message is {@code 'stablehlo.x' op (rule) text}.
 */
record OpCheck(String opName, Operation op) {
    static OpCheck of(Operation op) { return new OpCheck(op.name(), op); }

    /** Checks run by a type inference rule, before the op exists. */
    static OpCheck inferring(String opName) { return new OpCheck(opName, null); }

    VerificationException fail(String rule, String message) {
        if (op != null) return Verify.fail(op, rule, message);
        return new VerificationException(opName, "(" + rule + ") " + message, Location.UNKNOWN);
    }

    void check(boolean ok, String rule, String message) {
        if (!ok) throw fail(rule, message);
    }

    /** As {@link #check(boolean, String, String)}, the message built only on failure (rules run on every emitted op). */
    void check(boolean ok, String rule, Supplier<String> message) {
        if (!ok) throw fail(rule, message.get());
    }

    // ---- inputs of an inference rule: the operand types and the properties --------------------------------

    void operands(List<Type> ts, int n) {
        check(ts.size() == n, "arity", "expects " + n + " operand(s), got " + ts.size());
    }

    void operandsAtLeast(List<Type> ts, int n) {
        check(ts.size() >= n, "arity", "expects at least " + n + " operand(s), got " + ts.size());
    }

    TensorType tensor(List<Type> ts, int i) {
        if (ts.get(i) instanceof TensorType t) return t;
        throw fail("type", "operand #" + i + " must be a tensor, got " + ts.get(i));
    }

    /** A required {@code array<i64: ...>} property. */
    long[] i64Array(DictionaryAttr props, String name) {
        Attribute a = props.get(name);
        if (a == null) throw fail("attributes", "requires attribute '" + name + "'");
        if (a instanceof DenseArrayAttr d && d.elementType().equals(IntegerType.I64)) return d.longs();
        throw fail("attributes", "attribute '" + name + "' must be array<i64: ...>, got " + a);
    }

    long integer(DictionaryAttr props, String name) {
        Attribute a = props.get(name);
        if (a instanceof IntegerAttr i) return i.value();
        if (a == null) throw fail("attributes", "requires attribute '" + name + "'");
        throw fail("attributes", "attribute '" + name + "' must be an integer, got " + a);
    }

    <T extends Attribute> T attr(DictionaryAttr props, String name, Class<T> kind, boolean required) {
        Attribute a = props.get(name);
        if (a == null) {
            if (required) throw fail("attributes", "requires attribute '" + name + "'");
            return null;
        }
        if (kind.isInstance(a)) return kind.cast(a);
        throw fail("attributes", "attribute '" + name + "' must be a " + kind.getSimpleName() + ", got " + a);
    }

    // ---- shared checks -------------------------------------------------------------------------------------

    /** {@code dims} are distinct and each in [0, rank); {@code context} (the values involved, built on failure) ends the message. */
    void dimsInRange(String rule, String what, long[] dims, int rank, Supplier<String> context) {
        boolean[] seen = new boolean[Math.max(rank, 0)];
        for (long d : dims) {
            if (d < 0 || d >= rank) throw fail(rule, what + " " + d + " is out of range [0, " + rank + ")" + context.get());
            if (seen[(int) d]) throw fail(rule, what + " " + d + " appears twice" + context.get());
            seen[(int) d] = true;
        }
    }

    /** {@code [1, 2, 3]}, as the pretty syntax spells i64 lists. */
    static String list(long[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) sb.append(i > 0 ? ", " : "").append(a[i]);
        return sb.append(']').toString();
    }
}
