package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/**
 * A StableHLO enum attribute: {@code #stablehlo<comparison_direction LT>}, or for the result accuracy mode
 * {@code #stablehlo.result_accuracy_mode<DEFAULT>}. Pretty op forms print only {@link #value()}.
 */
public record EnumAttr(Kind kind, String value) implements DialectAttribute {
    /** The enum kinds of the dialect with their mnemonic and cases (StablehloEnums.td). */
    public enum Kind {
        COMPARISON_DIRECTION("comparison_direction", "EQ", "NE", "GE", "GT", "LE", "LT"),
        COMPARISON_TYPE("comparison_type", "NOTYPE", "FLOAT", "TOTALORDER", "SIGNED", "UNSIGNED"),
        PRECISION("precision", "DEFAULT", "HIGH", "HIGHEST"),
        TRANSPOSE("transpose", "TRANSPOSE_INVALID", "NO_TRANSPOSE", "TRANSPOSE", "ADJOINT"),
        FFT_TYPE("fft_type", "FFT", "IFFT", "RFFT", "IRFFT"),
        RNG_ALGORITHM("rng_algorithm", "DEFAULT", "THREE_FRY", "PHILOX"),
        RNG_DISTRIBUTION("rng_distribution", "UNIFORM", "NORMAL"),
        /** Spelled as its own attribute: {@code #stablehlo.result_accuracy_mode<HIGHEST>}. */
        RESULT_ACCURACY_MODE("result_accuracy_mode", "DEFAULT", "HIGHEST", "TOLERANCE");

        private final String mnemonic;
        private final List<String> cases;

        Kind(String mnemonic, String... cases) {
            this.mnemonic = mnemonic;
            this.cases = List.of(cases);
        }

        public String mnemonic() { return mnemonic; }
        public List<String> cases() { return cases; }

        public static Kind fromMnemonic(String m) {
            for (Kind k : values()) if (k.mnemonic.equals(m)) return k;
            return null;
        }

        /** The attribute for {@code value}; an unknown case is an error naming the allowed ones. */
        public EnumAttr of(String value) { return new EnumAttr(this, value); }
    }

    public EnumAttr {
        if (!kind.cases.contains(value)) {
            throw new IllegalArgumentException("'" + value + "' is not a " + kind.mnemonic + " (expected one of " + kind.cases + ")");
        }
    }

    public static EnumAttr comparisonDirection(String v) { return Kind.COMPARISON_DIRECTION.of(v); }
    public static EnumAttr comparisonType(String v) { return Kind.COMPARISON_TYPE.of(v); }
    public static EnumAttr precision(String v) { return Kind.PRECISION.of(v); }
    public static EnumAttr transpose(String v) { return Kind.TRANSPOSE.of(v); }
    public static EnumAttr fftType(String v) { return Kind.FFT_TYPE.of(v); }
    public static EnumAttr rngAlgorithm(String v) { return Kind.RNG_ALGORITHM.of(v); }
    public static EnumAttr rngDistribution(String v) { return Kind.RNG_DISTRIBUTION.of(v); }

    public boolean is(Kind k, String v) { return kind == k && value.equals(v); }

    @Override public String name() {
        return kind == Kind.RESULT_ACCURACY_MODE ? "stablehlo.result_accuracy_mode" : "stablehlo";
    }

    @Override public String toString() {
        if (kind == Kind.RESULT_ACCURACY_MODE) return "#stablehlo.result_accuracy_mode<" + value + ">";
        return "#stablehlo<" + kind.mnemonic + " " + value + ">";
    }

    /** Parses a bare case keyword of {@code kind} (the pretty-form spelling, e.g. {@code LT}). */
    public static EnumAttr parseKeyword(AsmParser p, Kind kind) {
        String v = p.parseKeyword();
        if (!kind.cases.contains(v)) throw p.error("expected " + kind.mnemonic + " (one of " + kind.cases + "), got '" + v + "'");
        return new EnumAttr(kind, v);
    }

    /** The body of {@code #stablehlo<kind VALUE>}, positioned at '<'. */
    public static EnumAttr parseGeneric(AsmParser p) {
        p.expect("<");
        String m = p.parseKeyword();
        Kind k = Kind.fromMnemonic(m);
        if (k == null || k == Kind.RESULT_ACCURACY_MODE) throw p.error("unknown StableHLO enum attribute kind '" + m + "'");
        EnumAttr a = parseKeyword(p, k);
        p.expect(">");
        return a;
    }
}
