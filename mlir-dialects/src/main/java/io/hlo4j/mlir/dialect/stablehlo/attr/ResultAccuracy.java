package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DialectAttribute;
import io.hlo4j.mlir.types.FloatFormat;

/**
 * {@code #stablehlo.result_accuracy<atol = 1.000000e-05, ulps = 2, mode = #stablehlo.result_accuracy_mode<TOLERANCE>>}:
 * the accuracy requested of a transcendental op. Zero tolerances are omitted when printing.
 */
public record ResultAccuracy(double atol, double rtol, long ulps, EnumAttr mode) implements DialectAttribute {
    public static final ResultAccuracy DEFAULT =
            new ResultAccuracy(0, 0, 0, EnumAttr.Kind.RESULT_ACCURACY_MODE.of("DEFAULT"));

    public ResultAccuracy {
        if (mode.kind() != EnumAttr.Kind.RESULT_ACCURACY_MODE) throw new IllegalArgumentException("mode must be a result_accuracy_mode, got " + mode);
    }

    @Override public String name() { return "stablehlo.result_accuracy"; }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("#stablehlo.result_accuracy<");
        if (atol != 0) sb.append("atol = ").append(FloatFormat.format(atol)).append(", ");
        if (rtol != 0) sb.append("rtol = ").append(FloatFormat.format(rtol)).append(", ");
        if (ulps != 0) sb.append("ulps = ").append(ulps).append(", ");
        return sb.append("mode = ").append(mode).append('>').toString();
    }

    /** Positioned at '<': optional atol, rtol, ulps (in that order, each followed by ','), then mode. */
    public static ResultAccuracy parse(AsmParser p) {
        p.expect("<");
        double atol = 0, rtol = 0;
        long ulps = 0;
        if (p.consumeKeywordIf("atol")) { p.expect("="); atol = p.parseFloat(); p.expect(","); }
        if (p.consumeKeywordIf("rtol")) { p.expect("="); rtol = p.parseFloat(); p.expect(","); }
        if (p.consumeKeywordIf("ulps")) { p.expect("="); ulps = p.parseInteger(); p.expect(","); }
        p.expectKeyword("mode");
        p.expect("=");
        Attribute m = p.parseAttribute();
        if (!(m instanceof EnumAttr e) || e.kind() != EnumAttr.Kind.RESULT_ACCURACY_MODE) {
            throw p.error("#stablehlo.result_accuracy: mode must be a #stablehlo.result_accuracy_mode, got " + m);
        }
        p.expect(">");
        return new ResultAccuracy(atol, rtol, ulps, e);
    }

    /** {@code <DEFAULT>} after {@code #stablehlo.result_accuracy_mode}. */
    public static EnumAttr parseMode(AsmParser p) {
        p.expect("<");
        EnumAttr e = EnumAttr.parseKeyword(p, EnumAttr.Kind.RESULT_ACCURACY_MODE);
        p.expect(">");
        return e;
    }
}
