package io.hlo4j.mlir.print;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.types.FloatFormat;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Canonical text of attributes, as MLIR's printer writes them. Type suffixes follow MLIR's elision rules:
 * at the top level (and in dictionaries) every typed attribute keeps its {@code : type}, except bools;
 * inside an {@code [...]} array MLIR elides {@code : i64} on integers and {@code : f64} on decimal floats.
 * Dense literals are in {@link DenseLiteralPrinter}.
 */
public final class AttributePrinter {
    private AttributePrinter() {}

    /** How much of a typed attribute's {@code : type} suffix to print (MLIR's AttrTypeElision). */
    enum Elision { NEVER, MAY, MUST }

    public static String print(Attribute a) {
        StringBuilder sb = new StringBuilder();
        print(sb, a, Elision.NEVER);
        return sb.toString();
    }

    /** The attribute without its {@code : type} suffix (integers, floats, strings, dense literals). */
    public static String printWithoutType(Attribute a) {
        StringBuilder sb = new StringBuilder();
        print(sb, a, Elision.MUST);
        return sb.toString();
    }

    static void print(StringBuilder sb, Attribute a, Elision elision) {
        switch (a) {
            case IntegerAttr i -> printInteger(sb, i, elision);
            case FloatAttr f -> printFloat(sb, f, elision);
            case BoolAttr b -> sb.append(b.value());
            case StringAttr s -> {
                appendQuoted(sb, s.value());
                if (s.type() != null && elision != Elision.MUST) sb.append(" : ").append(s.type());
            }
            case UnitAttr u -> sb.append("unit");
            case ArrayAttr arr -> {
                sb.append('[');
                for (int i = 0; i < arr.size(); i++) {
                    if (i > 0) sb.append(", ");
                    print(sb, arr.get(i), Elision.MAY);
                }
                sb.append(']');
            }
            case DictionaryAttr d -> printDictionary(sb, d);
            case DenseArrayAttr d -> printDenseArray(sb, d);
            case DenseElementsAttr d -> {
                sb.append("dense<");
                DenseLiteralPrinter.printBody(sb, d);
                sb.append('>');
                if (elision != Elision.MUST) sb.append(" : ").append(d.type());
            }
            case SymbolRefAttr s -> {
                appendSymbol(sb, s.root());
                for (String n : s.nested()) {
                    sb.append("::");
                    appendSymbol(sb, n);
                }
            }
            // Types, locations, dialect and opaque attributes spell themselves.
            default -> sb.append(a);
        }
    }

    private static void printInteger(StringBuilder sb, IntegerAttr i, Elision elision) {
        if (i.type() instanceof IntegerType it && it.width() == 1 && it.signedness() == IntegerType.Signedness.SIGNLESS) {
            sb.append(i.value() != 0 ? "true" : "false");
            return;
        }
        appendInteger(sb, i.value(), i.type());
        if (elision == Elision.MUST) return;
        if (elision == Elision.MAY && i.type().equals(IntegerType.I64)) return;
        sb.append(" : ").append(i.type());
    }

    private static void printFloat(StringBuilder sb, FloatAttr f, Elision elision) {
        FloatKind kind = f.type().kind();
        long bits = bitsOf(f);
        sb.append(FloatFormat.format(kind, bits));
        if (elision == Elision.MUST) return;
        if (elision == Elision.MAY && kind == FloatKind.F64 && !FloatFormat.printsAsHex(kind, bits)) return;
        sb.append(" : ").append(f.type());
    }

    /** The attribute's bit pattern in its own format ({@code value} holds a value of that format exactly). */
    static long bitsOf(FloatAttr f) {
        return switch (f.type().kind()) {
            case F64 -> Double.doubleToRawLongBits(f.value());
            case F32 -> Float.floatToRawIntBits((float) f.value()) & 0xFFFFFFFFL;
            default -> io.hlo4j.mlir.types.FloatCodec.encode(f.type().kind(), f.value());
        };
    }

    /** A value of an integer (or index) type: unsigned types print unsigned, everything else signed. */
    static void appendInteger(StringBuilder sb, long value, io.hlo4j.mlir.types.Type type) {
        if (type instanceof IntegerType it) {
            long v = value;
            if (it.width() < 64) {
                int shift = 64 - it.width();
                v = it.isUnsigned() ? (value << shift) >>> shift : (value << shift) >> shift;
            }
            sb.append(it.isUnsigned() ? Long.toUnsignedString(v) : Long.toString(v));
        } else {
            sb.append(value);
        }
    }

    static void printDictionary(StringBuilder sb, DictionaryAttr d) {
        sb.append('{');
        appendEntries(sb, d, java.util.Set.of());
        sb.append('}');
    }

    /** {@code a = 1 : i32, b} for the entries not in {@code elided}; unit values print as bare keys. */
    static void appendEntries(StringBuilder sb, DictionaryAttr d, java.util.Set<String> elided) {
        boolean first = true;
        for (Map.Entry<String, Attribute> e : d.asMap().entrySet()) {
            if (elided.contains(e.getKey())) continue;
            if (!first) sb.append(", ");
            first = false;
            appendKeywordOrString(sb, e.getKey());
            if (!(e.getValue() instanceof UnitAttr)) {
                sb.append(" = ");
                print(sb, e.getValue(), Elision.NEVER);
            }
        }
    }

    private static void printDenseArray(StringBuilder sb, DenseArrayAttr d) {
        sb.append("array<").append(d.elementType());
        if (d.size() > 0) {
            sb.append(": ");
            if (d.isFloat()) {
                FloatKind kind = ((FloatType) d.elementType()).kind();
                double[] vs = d.doubles();
                for (int i = 0; i < vs.length; i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(FloatFormat.format(kind, bitsOf(new FloatAttr(vs[i], (FloatType) d.elementType()))));
                }
            } else {
                long[] vs = d.longs();
                boolean bool = d.elementType() instanceof IntegerType it && it.width() == 1;
                for (int i = 0; i < vs.length; i++) {
                    if (i > 0) sb.append(", ");
                    if (bool) sb.append(vs[i] != 0 ? "true" : "false");
                    else appendInteger(sb, vs[i], d.elementType());
                }
            }
        }
        sb.append('>');
    }

    // ---- names and strings ---------------------------------------------------------------------

    /** MLIR's bare identifier: {@code [a-zA-Z_][a-zA-Z0-9_$.]*}. */
    public static boolean isBareIdentifier(String s) {
        if (s.isEmpty()) return false;
        char c0 = s.charAt(0);
        if (!(isAsciiAlpha(c0) || c0 == '_')) return false;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isAsciiAlpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '.')) return false;
        }
        return true;
    }

    private static boolean isAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

    /** A dictionary key or symbol name: bare when it is an identifier, else a quoted string. */
    public static void appendKeywordOrString(StringBuilder sb, String s) {
        if (isBareIdentifier(s)) sb.append(s);
        else appendQuoted(sb, s);
    }

    public static void appendSymbol(StringBuilder sb, String name) {
        sb.append('@');
        appendKeywordOrString(sb, name);
    }

    /**
     * A quoted string as LLVM's printEscapedString writes it: printable ASCII except {@code "} and {@code \}
     * as is, {@code \\} for backslash, every other byte of the string's UTF-8 encoding as {@code \XX}.
     */
    public static void appendQuoted(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') sb.append("\\\\");
            else if (c >= 0x20 && c < 0x7F && c != '"') sb.append(c);
            else if (c < 0x80) appendHexByte(sb, c);
            else {
                int cp = s.codePointAt(i);
                if (Character.isSupplementaryCodePoint(cp)) i++;
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) appendHexByte(sb, b & 0xFF);
            }
        }
        sb.append('"');
    }

    public static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        appendQuoted(sb, s);
        return sb.toString();
    }

    private static void appendHexByte(StringBuilder sb, int b) {
        sb.append('\\').append(HEX[b >> 4]).append(HEX[b & 15]);
    }

    static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
