package io.hlo4j.runtime.pjrt;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

/**
 * Between the interpreter's {@link HostArray} and PJRT host data: element types mapped by name
 * (StableHLO's signless iN is XLA's signed SN), bytes in the shared little-endian dense layout.
 */
public final class HostArrays {
    private HostArrays() {}

    public static HostData toHostData(HostArray a) {
        return new HostData(pjrtType(a.elementType()), a.shape(), a.toLittleEndianBytes());
    }

    public static HostArray toHostArray(HostData d) {
        return HostArray.fromLittleEndianBytes(TensorType.of(mlirType(d.type()), d.dims()), d.bytes());
    }

    public static ElementType pjrtType(io.hlo4j.mlir.types.ElementType t) {
        ElementType out = switch (t) {
            case IntegerType i when i.width() == 1 -> ElementType.PRED;
            case IntegerType i when i.signedness() == IntegerType.Signedness.UNSIGNED -> switch (i.width()) {
                case 8 -> ElementType.U8; case 16 -> ElementType.U16; case 32 -> ElementType.U32; case 64 -> ElementType.U64;
                default -> null;
            };
            case IntegerType i -> switch (i.width()) {
                case 8 -> ElementType.S8; case 16 -> ElementType.S16; case 32 -> ElementType.S32; case 64 -> ElementType.S64;
                default -> null;
            };
            case FloatType f -> switch (f.kind()) {
                case BF16 -> ElementType.BF16; case F16 -> ElementType.F16; case F32 -> ElementType.F32; case F64 -> ElementType.F64;
                case F8E4M3FN -> ElementType.F8E4M3FN; case F8E5M2 -> ElementType.F8E5M2;
                case F8E4M3FNUZ -> ElementType.F8E4M3FNUZ; case F8E5M2FNUZ -> ElementType.F8E5M2FNUZ;
                case F8E4M3B11FNUZ -> ElementType.F8E4M3B11FNUZ; case F8E4M3 -> ElementType.F8E4M3;
                case F8E3M4 -> ElementType.F8E3M4; case F8E8M0FNU -> ElementType.F8E8M0FNU;
                default -> null;
            };
            case ComplexType c when c.equals(ComplexType.C64) -> ElementType.C64;
            case ComplexType c when c.equals(ComplexType.C128) -> ElementType.C128;
            default -> null;
        };
        if (out == null || out.byteSize() == 0)
            throw new IllegalArgumentException("element type " + t + " has no byte-addressable PJRT buffer type");
        return out;
    }

    public static io.hlo4j.mlir.types.ElementType mlirType(ElementType t) {
        return switch (t) {
            case PRED -> IntegerType.I1;
            case S8 -> IntegerType.I8;
            case S16 -> IntegerType.I16;
            case S32 -> IntegerType.I32;
            case S64 -> IntegerType.I64;
            case U8 -> new IntegerType(8, IntegerType.Signedness.UNSIGNED);
            case U16 -> new IntegerType(16, IntegerType.Signedness.UNSIGNED);
            case U32 -> new IntegerType(32, IntegerType.Signedness.UNSIGNED);
            case U64 -> new IntegerType(64, IntegerType.Signedness.UNSIGNED);
            case F16 -> FloatType.F16;
            case F32 -> FloatType.F32;
            case F64 -> FloatType.F64;
            case BF16 -> FloatType.BF16;
            case C64 -> ComplexType.C64;
            case C128 -> ComplexType.C128;
            case F8E5M2 -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E5M2);
            case F8E4M3FN -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E4M3FN);
            case F8E4M3B11FNUZ -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E4M3B11FNUZ);
            case F8E5M2FNUZ -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E5M2FNUZ);
            case F8E4M3FNUZ -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E4M3FNUZ);
            case F8E4M3 -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E4M3);
            case F8E3M4 -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E3M4);
            case F8E8M0FNU -> new FloatType(io.hlo4j.mlir.types.FloatKind.F8E8M0FNU);
            default -> throw new IllegalArgumentException("PJRT element type " + t + " has no HostArray form");
        };
    }
}
