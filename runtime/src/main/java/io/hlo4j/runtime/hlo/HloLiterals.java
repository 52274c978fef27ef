package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.pjrt.proto.LiteralProto;
import io.hlo4j.runtime.pjrt.proto.PrimitiveType;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Constants as HLO text writes them: {@code 1.5} for a scalar, {@code {1, 2, 3}} for a vector,
 * {@code { { 1, 2 }, { 3, 4 } }} for higher ranks, and {@code {...}} for constants of more than
 * {@link #MAX_PRINTED} elements (XLA elides large constants the same way unless asked not to).
 */
public final class HloLiterals {
    private HloLiterals() {}

    static final int MAX_PRINTED = 10;

    static String text(LiteralProto l) {
        ShapeProto s = l.getShape();
        if (s.getElementType() == PrimitiveType.TUPLE) {
            return l.getTupleLiteralsList().stream().map(HloLiterals::text).collect(Collectors.joining(", ", "(", ")"));
        }
        long n = 1;
        for (long d : s.getDimensionsList()) n *= d;
        if (s.getDimensionsCount() > 0 && n > MAX_PRINTED) return "{...}";
        List<String> values = elements(l, s.getElementType(), (int) n);
        if (s.getDimensionsCount() == 0) return values.getFirst();
        if (s.getDimensionsCount() == 1) return "{" + String.join(", ", values) + "}";
        return nested(values, s.getDimensionsList(), 0, new int[] {0});
    }

    private static String nested(List<String> values, List<Long> dims, int axis, int[] next) {
        StringBuilder b = new StringBuilder("{ ");
        for (long i = 0; i < dims.get(axis); i++) {
            if (i > 0) b.append(", ");
            if (axis == dims.size() - 1) b.append(values.get(next[0]++));
            else b.append(nested(values, dims, axis + 1, next));
        }
        return b.append(" }").toString();
    }

    private static List<String> elements(LiteralProto l, PrimitiveType t, int n) {
        List<String> out = new ArrayList<>(n);
        switch (t) {
            case PRED -> l.getPredsList().forEach(v -> out.add(v ? "true" : "false"));
            case S32 -> l.getS32SList().forEach(v -> out.add(String.valueOf(v)));
            case S64 -> l.getS64SList().forEach(v -> out.add(String.valueOf(v)));
            case U32 -> l.getU32SList().forEach(v -> out.add(Integer.toUnsignedString(v)));
            case U64 -> l.getU64SList().forEach(v -> out.add(Long.toUnsignedString(v)));
            case F32 -> l.getF32SList().forEach(v -> out.add(number(v)));
            case F64 -> l.getF64SList().forEach(v -> out.add(number(v)));
            case S8 -> l.getS8S().forEach(v -> out.add(String.valueOf(v)));
            case U8 -> l.getU8S().forEach(v -> out.add(String.valueOf(v & 0xff)));
            case S16, U16, F16, BF16 -> {
                ByteBuffer bb = (switch (t) {
                    case S16 -> l.getS16S();
                    case U16 -> l.getU16S();
                    case F16 -> l.getF16S();
                    default -> l.getBf16S();
                }).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (bb.remaining() >= 2) {
                    short v = bb.getShort();
                    out.add(switch (t) {
                        case S16 -> String.valueOf(v);
                        case U16 -> String.valueOf(v & 0xffff);
                        case F16 -> number(Float.float16ToFloat(v));
                        default -> number(Float.intBitsToFloat((v & 0xffff) << 16));
                    });
                }
            }
            case C64 -> {
                for (int i = 0; i + 1 < l.getC64SCount(); i += 2) out.add("(" + number(l.getC64S(i)) + ", " + number(l.getC64S(i + 1)) + ")");
            }
            case C128 -> {
                for (int i = 0; i + 1 < l.getC128SCount(); i += 2) out.add("(" + number(l.getC128S(i)) + ", " + number(l.getC128S(i + 1)) + ")");
            }
            default -> throw new IllegalArgumentException("HLO constant of element type " + HloShapes.typeName(t) + " cannot be printed");
        }
        if (out.size() != n)
            throw new IllegalArgumentException("HLO constant of type " + HloShapes.typeName(t) + " holds " + out.size()
                    + " values for a shape of " + n + " elements");
        return out;
    }

    /** Shortest round-trip digits, no trailing ".0": {@code 1}, {@code 0.5}, {@code -inf}, {@code nan}, {@code 1e-05}. */
    static String number(float v) {
        if (v == 0) return Float.floatToRawIntBits(v) < 0 ? "-0" : "0";
        return Float.isFinite(v) ? decimal(new BigDecimal(Float.toString(v))) : special(v);
    }

    static String number(double v) {
        if (v == 0) return Double.doubleToRawLongBits(v) < 0 ? "-0" : "0";
        return Double.isFinite(v) ? decimal(new BigDecimal(Double.toString(v))) : special(v);
    }

    private static String special(double v) { return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

    private static String decimal(BigDecimal d) {
        d = d.stripTrailingZeros();
        double mag = Math.abs(d.doubleValue());
        if (mag >= 1e-4 && mag < 1e16) return d.toPlainString();
        // C-style exponent: 1e-05, 2.5e+20.
        int exp = d.precision() - d.scale() - 1;
        BigDecimal mant = d.movePointLeft(exp).stripTrailingZeros();
        return mant.toPlainString() + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
