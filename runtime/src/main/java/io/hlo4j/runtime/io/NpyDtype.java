package io.hlo4j.runtime.io;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;

import java.util.Map;

/**
 * Mapping between .npy {@code descr} strings and element types.
 *
 * <p>Numeric descrs: {@code <f2 <f4 <f8 |b1 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 <c8 <c16} (and their {@code >}
 * big-endian forms on read; {@code |} and {@code <} are interchangeable for one-byte types).
 *
 * <p>ml_dtypes types: {@code np.save} records an ml_dtypes array with the descr of its dtype's {@code str},
 * which is {@code '<V2'} for bfloat16 and {@code '<V1'} for the one-byte kinds (float8_*, float6_*, float4_*,
 * int4/uint4/int2/uint2), losing the type; older ml_dtypes spelled float8_e5m2 {@code '<f1'}. Some writers store
 * the ml_dtypes type name instead (e.g. {@code 'bfloat16'}, {@code 'float8_e4m3fn'}), which keeps the type.
 * hlo4j writes the {@code np.save} form ({@code '<V2'}, {@code '<V1'}) so numpy reads the file without ml_dtypes,
 * reads {@code '<V2'} as bf16 unless told otherwise, requires the caller to name the type for {@code '<V1'}, and
 * reads the names. One-byte payloads follow ml_dtypes: the value's bits in the low bits of the byte; hlo4j writes
 * the upper bits as zero and ignores them on read (re-extending the sign of int4/int2).
 */
final class NpyDtype {
    private NpyDtype() {}

    /** A parsed descr: the element type (null when the file does not say: '<V1'), item size, byte order. */
    record Parsed(ElementType type, int itemSize, boolean bigEndian) {}

    private static final Map<String, ElementType> NAMES = Map.ofEntries(
            Map.entry("bfloat16", FloatType.BF16),
            Map.entry("float8_e4m3fn", new FloatType(FloatKind.F8E4M3FN)),
            Map.entry("float8_e5m2", new FloatType(FloatKind.F8E5M2)),
            Map.entry("float8_e4m3fnuz", new FloatType(FloatKind.F8E4M3FNUZ)),
            Map.entry("float8_e5m2fnuz", new FloatType(FloatKind.F8E5M2FNUZ)),
            Map.entry("float8_e4m3b11fnuz", new FloatType(FloatKind.F8E4M3B11FNUZ)),
            Map.entry("float8_e4m3", new FloatType(FloatKind.F8E4M3)),
            Map.entry("float8_e3m4", new FloatType(FloatKind.F8E3M4)),
            Map.entry("float8_e8m0fnu", new FloatType(FloatKind.F8E8M0FNU)),
            Map.entry("float4_e2m1fn", new FloatType(FloatKind.F4E2M1FN)),
            Map.entry("float6_e2m3fn", new FloatType(FloatKind.F6E2M3FN)),
            Map.entry("float6_e3m2fn", new FloatType(FloatKind.F6E3M2FN)),
            Map.entry("int4", IntegerType.signless(4)),
            Map.entry("uint4", IntegerType.unsigned(4)),
            Map.entry("int2", IntegerType.signless(2)),
            Map.entry("uint2", IntegerType.unsigned(2)));

    static Parsed parse(String descr, String file) {
        ElementType named = NAMES.get(descr);
        if (named != null) return new Parsed(named, 1 + (named.equals(FloatType.BF16) ? 1 : 0), false);
        if (descr.length() < 3) throw unsupported(descr, file);
        char order = descr.charAt(0);
        if (order != '<' && order != '>' && order != '|') {
            throw new NpyFormatException(file + ": descr '" + descr + "' has byte order '" + order + "'; expected '<', '>' or '|'");
        }
        int size;
        try {
            size = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            throw unsupported(descr, file);
        }
        boolean big = order == '>' && size > 1;
        ElementType t = switch (descr.charAt(1) + Integer.toString(size)) {
            case "f2" -> FloatType.F16;
            case "f4" -> FloatType.F32;
            case "f8" -> FloatType.F64;
            case "f1" -> new FloatType(FloatKind.F8E5M2);
            case "b1" -> IntegerType.I1;
            case "i1" -> IntegerType.I8;
            case "i2" -> IntegerType.signless(16);
            case "i4" -> IntegerType.I32;
            case "i8" -> IntegerType.I64;
            case "u1" -> IntegerType.UI8;
            case "u2" -> IntegerType.unsigned(16);
            case "u4" -> IntegerType.UI32;
            case "u8" -> IntegerType.UI64;
            case "c8" -> ComplexType.C64;
            case "c16" -> ComplexType.C128;
            case "V2" -> FloatType.BF16;
            case "V1" -> null;
            default -> throw unsupported(descr, file);
        };
        return new Parsed(t, size, big);
    }

    private static NpyFormatException unsupported(String descr, String file) {
        return new NpyFormatException(file + ": unsupported .npy descr '" + descr + "' (supported: <f2 <f4 <f8 |b1 |i1 <i2 <i4 <i8 "
                + "|u1 <u2 <u4 <u8 <c8 <c16, their > forms, <V2 (bfloat16), <V1 with an explicit element type, and ml_dtypes names)");
    }

    /** The descr hlo4j writes for {@code type}. */
    static String descrOf(ElementType type) {
        return switch (type) {
            case FloatType ft -> switch (ft.kind()) {
                case F16 -> "<f2";
                case F32 -> "<f4";
                case F64 -> "<f8";
                case BF16 -> "<V2";
                case TF32 -> throw new NpyFormatException("tf32 has no numpy or ml_dtypes dtype; convert to f32 before writing .npy");
                default -> "<V1";
            };
            case IntegerType it -> integerDescr(it);
            case IndexType ignored -> "<i8";
            case ComplexType ct -> ct.elementType().kind() == FloatKind.F32 ? "<c8" : "<c16";
            default -> throw new NpyFormatException("no .npy dtype for element type " + type);
        };
    }

    private static String integerDescr(IntegerType it) {
        int w = it.width();
        if (w == 1) return "|b1";
        if (w == 2 || w == 4) return "<V1";
        char kind = it.isUnsigned() ? 'u' : 'i';
        return switch (w) {
            case 8 -> "|" + kind + "1";
            case 16 -> "<" + kind + "2";
            case 32 -> "<" + kind + "4";
            case 64 -> "<" + kind + "8";
            default -> throw new NpyFormatException("no .npy dtype for " + it + " (numpy has 8/16/32/64-bit integers, ml_dtypes 2/4-bit)");
        };
    }
}
