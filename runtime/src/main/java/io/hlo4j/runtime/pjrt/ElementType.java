package io.hlo4j.runtime.pjrt;

/**
 * {@code PJRT_Buffer_Type}, numbered as in pjrt_c_api.h (not xla.PrimitiveType's numbering).
 * {@link #byteSize()} is the host size of one element; 0 marks types with no byte-addressable host
 * form (sub-byte integers and floats, tokens), which the binding refuses to transfer.
 */
public enum ElementType {
    INVALID(0, 0), PRED(1, 1), S8(2, 1), S16(3, 2), S32(4, 4), S64(5, 8), U8(6, 1), U16(7, 2), U32(8, 4),
    U64(9, 8), F16(10, 2), F32(11, 4), F64(12, 8), BF16(13, 2), C64(14, 8), C128(15, 16), F8E5M2(16, 1),
    F8E4M3FN(17, 1), F8E4M3B11FNUZ(18, 1), F8E5M2FNUZ(19, 1), F8E4M3FNUZ(20, 1), S4(21, 0), U4(22, 0),
    TOKEN(23, 0), S2(24, 0), U2(25, 0), F8E4M3(26, 1), F8E3M4(27, 1), F8E8M0FNU(28, 1), F4E2M1FN(29, 0),
    S1(30, 0), U1(31, 0), F6E2M3FN(32, 0), F6E3M2FN(33, 0);

    private final int code;
    private final int byteSize;

    ElementType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    public int code() { return code; }

    public int byteSize() { return byteSize; }

    public static ElementType of(int code) {
        for (ElementType t : values()) if (t.code == code) return t;
        throw new PjrtException(PjrtErrorCode.INVALID_ARGUMENT, "PJRT_Buffer_ElementType", "unknown PJRT_Buffer_Type " + code);
    }
}
