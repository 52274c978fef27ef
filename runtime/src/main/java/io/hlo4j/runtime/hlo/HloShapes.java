package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.pjrt.proto.LayoutProto;
import io.hlo4j.runtime.pjrt.proto.PrimitiveType;
import io.hlo4j.runtime.pjrt.proto.ProgramShapeProto;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;
import io.hlo4j.runtime.pjrt.proto.TileProto;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Shapes as XLA's HLO text writes them: {@code f32[2,3]{1,0}}, {@code (f32[2]{0}, s32[])}, {@code f32[<=4]{0}}, {@code f32[]}. */
public final class HloShapes {
    private HloShapes() {}

    /** The element type's HLO name ({@code f32}, {@code bf16}, {@code pred}, {@code f8e4m3fn}, ...). */
    public static String typeName(PrimitiveType t) {
        return switch (t) {
            case PRIMITIVE_TYPE_INVALID -> "invalid";
            case OPAQUE_TYPE -> "opaque";
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown XLA element type in HLO shape");
            default -> t.name().toLowerCase(Locale.ROOT);
        };
    }

    /** With layout (as instructions print their result shape). */
    public static String withLayout(ShapeProto s) { return text(s, true); }

    /** Without layout (as computation signatures print parameters and results). */
    public static String human(ShapeProto s) { return text(s, false); }

    static String text(ShapeProto s, boolean layout) {
        PrimitiveType t = s.getElementType();
        if (t == PrimitiveType.TUPLE) {
            return s.getTupleShapesList().stream().map(e -> text(e, layout)).collect(Collectors.joining(", ", "(", ")"));
        }
        if (t == PrimitiveType.TOKEN || t == PrimitiveType.OPAQUE_TYPE) return typeName(t) + "[]";
        StringBuilder b = new StringBuilder(typeName(t)).append('[');
        for (int i = 0; i < s.getDimensionsCount(); i++) {
            if (i > 0) b.append(',');
            boolean dynamic = i < s.getIsDynamicDimensionCount() && s.getIsDynamicDimension(i);
            b.append(dynamic ? "<=" : "").append(s.getDimensions(i));
        }
        b.append(']');
        if (layout && s.hasLayout() && s.getDimensionsCount() > 0) b.append(layout(s.getLayout()));   // scalars print as f32[]
        return b.toString();
    }

    /** {@code {1,0}}, {@code {1,0:T(8,128)(2,1)E(4)S(1)}}. */
    static String layout(LayoutProto l) {
        StringBuilder b = new StringBuilder("{");
        b.append(l.getMinorToMajorList().stream().map(String::valueOf).collect(Collectors.joining(",")));
        StringBuilder extra = new StringBuilder();
        if (l.getTilesCount() > 0) {
            extra.append('T');
            for (TileProto tile : l.getTilesList())
                extra.append(tile.getDimensionsList().stream().map(d -> d == Long.MIN_VALUE ? "*" : String.valueOf(d))
                        .collect(Collectors.joining(",", "(", ")")));
        }
        if (l.getTailPaddingAlignmentInElements() > 1) extra.append("L(").append(l.getTailPaddingAlignmentInElements()).append(')');
        if (l.getElementSizeInBits() != 0) extra.append("E(").append(l.getElementSizeInBits()).append(')');
        if (l.getMemorySpace() != 0) extra.append("S(").append(l.getMemorySpace()).append(')');
        if (!extra.isEmpty()) b.append(':').append(extra);
        return b.append('}').toString();
    }

    /** {@code (f32[2,3]{1,0}, f32[3]{0})->f32[2]{0}}: the entry computation layout of the module header. */
    static String programShape(ProgramShapeProto p) {
        List<String> params = new ArrayList<>();
        for (ShapeProto s : p.getParametersList()) params.add(withLayout(s));
        return "(" + String.join(", ", params) + ")->" + withLayout(p.getResult());
    }

    /**
     * Bytes of an array shape (sum over a tuple's elements); sub-byte types round up per element. Throws
     * {@link ArithmeticException} when they do not fit in 64 bits, for the caller to name the instruction (a wrapped
     * product would be a plausible, wrong count).
     */
    public static long bytes(ShapeProto s) {
        if (s.getElementType() == PrimitiveType.TUPLE) {
            long n = 0;
            for (ShapeProto e : s.getTupleShapesList()) n = Math.addExact(n, bytes(e));
            return n;
        }
        long n = 1;
        for (long d : s.getDimensionsList()) n = Math.multiplyExact(n, d);
        return Math.multiplyExact(n, elementBytes(s.getElementType()));
    }

    static long elementBytes(PrimitiveType t) {
        return switch (t) {
            case PRED, S8, U8, S4, U4, S2, U2, S1, U1, F8E5M2, F8E4M3FN, F8E4M3B11FNUZ, F8E5M2FNUZ, F8E4M3FNUZ, F8E4M3, F8E3M4,
                 F8E8M0FNU, F4E2M1FN -> 1;
            case S16, U16, F16, BF16 -> 2;
            case S32, U32, F32 -> 4;
            case S64, U64, F64, C64 -> 8;
            case C128 -> 16;
            default -> 0;   // token, opaque, tuple (handled above), buffer
        };
    }
}
