package io.hlo4j.mlir.types;

/**
 * Every floating-point format of the StableHLO spec, with the parameters needed to encode and decode
 * it bit-exactly. {@code bias} is the exponent bias; {@code finiteOnly} formats (the "FN"/"FNUZ" kinds)
 * have no infinities; {@code nanEncoding} says how NaN is spelled.
 */
public enum FloatKind {
    BF16("bf16", 16, 8, 7, 127, false, NanEncoding.IEEE, true),
    F16("f16", 16, 5, 10, 15, false, NanEncoding.IEEE, true),
    F32("f32", 32, 8, 23, 127, false, NanEncoding.IEEE, true),
    F64("f64", 64, 11, 52, 1023, false, NanEncoding.IEEE, true),
    TF32("tf32", 19, 8, 10, 127, false, NanEncoding.IEEE, true),
    F8E4M3FN("f8E4M3FN", 8, 4, 3, 7, true, NanEncoding.ALL_ONES, true),
    F8E5M2("f8E5M2", 8, 5, 2, 15, false, NanEncoding.IEEE, true),
    F8E4M3FNUZ("f8E4M3FNUZ", 8, 4, 3, 8, true, NanEncoding.NEG_ZERO, true),
    F8E5M2FNUZ("f8E5M2FNUZ", 8, 5, 2, 16, true, NanEncoding.NEG_ZERO, true),
    F8E4M3B11FNUZ("f8E4M3B11FNUZ", 8, 4, 3, 11, true, NanEncoding.NEG_ZERO, true),
    F8E4M3("f8E4M3", 8, 4, 3, 7, false, NanEncoding.IEEE, true),
    F8E3M4("f8E3M4", 8, 3, 4, 3, false, NanEncoding.IEEE, true),
    /** Exponent-only scale format of the MX spec: no sign, no mantissa, 0xFF is NaN, no zero. */
    F8E8M0FNU("f8E8M0FNU", 8, 8, 0, 127, true, NanEncoding.ALL_ONES, false),
    F4E2M1FN("f4E2M1FN", 4, 2, 1, 1, true, NanEncoding.NONE, true),
    F6E2M3FN("f6E2M3FN", 6, 2, 3, 1, true, NanEncoding.NONE, true),
    F6E3M2FN("f6E3M2FN", 6, 3, 2, 3, true, NanEncoding.NONE, true);

    /** How a format spells NaN. */
    public enum NanEncoding {
        /** Exponent all ones and mantissa non-zero; all-ones exponent with zero mantissa is infinity. */
        IEEE,
        /** Only exponent and mantissa all ones (S.1111.111 for E4M3FN); no infinities. */
        ALL_ONES,
        /** The bit pattern of negative zero (0x80) is the single NaN; no negative zero, no infinities. */
        NEG_ZERO,
        /** No NaN at all (the MX 4- and 6-bit formats). */
        NONE
    }

    private final String mnemonic;
    private final int bitWidth;
    private final int exponentBits;
    private final int mantissaBits;
    private final int bias;
    private final boolean finiteOnly;
    private final NanEncoding nanEncoding;
    private final boolean signed;

    FloatKind(String mnemonic, int bitWidth, int exponentBits, int mantissaBits, int bias,
              boolean finiteOnly, NanEncoding nanEncoding, boolean signed) {
        this.mnemonic = mnemonic;
        this.bitWidth = bitWidth;
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
        this.bias = bias;
        this.finiteOnly = finiteOnly;
        this.nanEncoding = nanEncoding;
        this.signed = signed;
    }

    public String mnemonic() { return mnemonic; }
    public int bitWidth() { return bitWidth; }
    public int exponentBits() { return exponentBits; }
    public int mantissaBits() { return mantissaBits; }
    public int bias() { return bias; }
    public boolean finiteOnly() { return finiteOnly; }
    public NanEncoding nanEncoding() { return nanEncoding; }
    public boolean signed() { return signed; }

    /** Bytes one element takes in a dense buffer (sub-byte formats take a whole byte, as MLIR stores them). */
    public int storageBytes() { return this == TF32 ? 4 : Math.max(1, bitWidth / 8); }

    public static FloatKind fromMnemonic(String s) {
        for (FloatKind k : values()) if (k.mnemonic.equals(s)) return k;
        return null;
    }
}
