package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.parse.MlirGrammar.*;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import org.antlr.v4.runtime.Token;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code dense<...> : tensor<...>} into {@link DenseElementsAttr}'s byte layout (little-endian, row-major,
 * storageBytes per element). A non-splat literal must spell every element (list) or every byte (hex blob),
 * so memory is tied to the text's size; all-equal data is stored as a splat, as MLIR does.
 */
final class DenseLiteral {
    private final OpParser p;

    DenseLiteral(OpParser p) { this.p = p; }

    DenseElementsAttr build(DenseLiteralBodyContext body, Type type) {
        if (!(type instanceof TensorType tt)) {
            throw p.cursor.errorAtPlain(body.getStart(), "dense literal type must be a tensor type, got " + type);
        }
        if (!tt.hasStaticShape()) {
            throw p.cursor.errorAtPlain(body.getStart(), "dense literal type must have a static shape, got " + type);
        }
        long count;
        try {
            count = tt.numElements();
        } catch (ArithmeticException e) {
            throw p.cursor.errorAtPlain(body.getStart(), "dense literal type " + type + " has too many elements");
        }
        int eb = tt.elementType().storageBytes();
        if (body.STRING() != null) return blob(body.STRING().getSymbol(), tt, count, eb);
        DenseElementContext root = body.denseElement();
        if (root == null) {
            if (count != 0) throw p.cursor.errorAtPlain(body.getStart(), "empty dense literal for " + type + " with " + count + " elements");
            return DenseElementsAttr.ofBytesUnsafe(tt, new byte[0], false);
        }
        if (root.LBRACKET() == null) {
            byte[] one = new byte[eb];
            element(root, tt.elementType(), one, 0);
            return DenseElementsAttr.ofBytesUnsafe(tt, one, true);
        }
        List<DenseElementContext> leaves = new ArrayList<>();
        List<Long> shape = new ArrayList<>();
        shapeOf(root, 0, shape, leaves);
        long[] want = tt.shape();
        if (shape.size() != want.length || !sameShape(shape, want)) {
            throw p.cursor.errorAtPlain(body.getStart(), "dense literal has shape " + shapeText(shape) + " but its type "
                    + type + " has shape " + shapeText(want));
        }
        byte[] data = new byte[Math.multiplyExact(leaves.size(), eb)];
        for (int i = 0; i < leaves.size(); i++) element(leaves.get(i), tt.elementType(), data, i * eb);
        return make(tt, data, eb);
    }

    /** The nested list's shape (checked to be rectangular) and its scalar leaves in row-major order. */
    private void shapeOf(DenseElementContext e, int depth, List<Long> shape, List<DenseElementContext> leaves) {
        if (e.LBRACKET() == null) {
            if (depth != shape.size()) throw p.cursor.errorAtPlain(e.getStart(), "dense literal is not rectangular: element at depth " + depth);
            leaves.add(e);
            return;
        }
        List<DenseElementContext> kids = e.denseElement();
        if (depth == shape.size()) {
            if (!leaves.isEmpty()) throw p.cursor.errorAtPlain(e.getStart(), "dense literal is not rectangular: nested list at depth " + depth);
            shape.add((long) kids.size());
        } else if (depth > shape.size() || shape.get(depth) != kids.size()) {
            throw p.cursor.errorAtPlain(e.getStart(), "dense literal is not rectangular: list of " + kids.size()
                    + " elements where " + (depth < shape.size() ? shape.get(depth) : "a scalar") + " was expected");
        }
        for (DenseElementContext k : kids) shapeOf(k, depth + 1, shape, leaves);
        if (kids.isEmpty() && depth + 1 < shape.size()) throw p.cursor.errorAtPlain(e.getStart(), "dense literal is not rectangular");
    }

    private static boolean sameShape(List<Long> a, long[] b) {
        for (int i = 0; i < b.length; i++) if (a.get(i) != b[i]) return false;
        return true;
    }

    private static String shapeText(List<Long> s) { return s.toString(); }
    private static String shapeText(long[] s) { return Arrays.toString(s); }

    private DenseElementsAttr blob(Token t, TensorType tt, long count, int eb) {
        String s = t.getText();
        if (!s.startsWith("\"0x")) {
            throw p.cursor.errorAtPlain(t, "string elements in dense literals are not supported (expected a \"0x...\" hex blob)");
        }
        byte[] bytes;
        try {
            bytes = Literals.hexBytes(s, 3, s.length() - 1);
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
        if (bytes.length == eb && count > 0) return DenseElementsAttr.ofBytesUnsafe(tt, bytes, true);
        if (bytes.length != count * eb) {
            throw p.cursor.errorAtPlain(t, "hex blob of " + bytes.length + " bytes does not match " + tt + " (" + count
                    + " elements of " + eb + " bytes, or one element for a splat)");
        }
        return make(tt, bytes, eb);
    }

    /** Stores all-equal data as a splat (as MLIR's storage does). */
    private static DenseElementsAttr make(TensorType tt, byte[] data, int eb) {
        int n = data.length;
        if (n >= eb && eb > 0) {
            boolean same = true;
            for (int i = eb; i < n && same; i++) same = data[i] == data[i - eb];
            if (same) return DenseElementsAttr.ofBytesUnsafe(tt, Arrays.copyOf(data, eb), true);
        }
        return DenseElementsAttr.ofBytesUnsafe(tt, data, false);
    }

    /** Writes one scalar (or complex pair) element at {@code out[at]}. */
    private void element(DenseElementContext e, ElementType et, byte[] out, int at) {
        if (et instanceof ComplexType ct) {
            if (e.LPAREN() == null) throw p.cursor.errorAt(e.getStart(), "expected a complex element (re, im) for " + et);
            int half = ct.elementType().storageBytes();
            scalar(e.denseScalar(0), ct.elementType(), out, at);
            scalar(e.denseScalar(1), ct.elementType(), out, at + half);
            return;
        }
        if (e.LPAREN() != null) throw p.cursor.errorAtPlain(e.getStart(), "complex element (re, im) for non-complex type " + et);
        scalar(e.denseScalar(0), et, out, at);
    }

    private void scalar(DenseScalarContext s, ElementType et, byte[] out, int at) {
        if (et instanceof QuantizedType q) et = q.storageType();
        long bits;
        if (et instanceof IntegerType it) {
            if (s.number() == null) {
                if (it.width() != 1) throw p.cursor.errorAtPlain(s.getStart(), "true/false are only valid for i1 elements, not " + it);
                bits = s.KW_TRUE() != null ? 1 : 0;
            } else {
                NumberContext n = s.number();
                if (n.HEX() != null && n.MINUS() == null) {
                    bits = hexInteger(n.HEX().getSymbol(), it);
                } else {
                    bits = p.attributes.integerBits(n.getStop(), n.MINUS() != null, it);
                }
            }
        } else if (et instanceof FloatType ft) {
            if (s.number() == null) throw p.cursor.errorAtPlain(s.getStart(), "true/false are not valid for " + ft + " elements");
            NumberContext n = s.number();
            Token t = n.getStop();
            if (t.getType() == MlirLexer.HEX) bits = p.attributes.floatBits(t, n.MINUS() != null, ft.kind());
            else {
                double v = Double.parseDouble(t.getText());
                bits = FloatCodecs.encode(p, t, ft.kind(), n.MINUS() != null ? -v : v);
            }
        } else if (et instanceof IndexType) {
            if (s.number() == null) throw p.cursor.errorAtPlain(s.getStart(), "true/false are not valid for index elements");
            bits = p.attributes.integerBits(s.number().getStop(), s.number().MINUS() != null, IntegerType.I64);
        } else {
            throw p.cursor.errorAtPlain(s.getStart(), "dense literals of element type " + et + " are not supported");
        }
        int n = et.storageBytes();
        for (int i = 0; i < n; i++) out[at + i] = (byte) (i < 8 ? bits >>> (8 * i) : (bits < 0 ? -1 : 0));
    }

    /** A bare hex element of an integer tensor: the element's bit pattern, which must fit its width. */
    private long hexInteger(Token t, IntegerType it) {
        long bits;
        try {
            bits = Literals.magnitude(t.getText());
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
        if (it.width() < 64 && (bits >>> it.width()) != 0) {
            throw p.cursor.errorAtPlain(t, "hex literal " + t.getText() + " does not fit in " + it);
        }
        return bits;
    }
}
