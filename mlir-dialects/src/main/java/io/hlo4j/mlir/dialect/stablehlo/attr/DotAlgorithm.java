package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;
import io.hlo4j.mlir.types.Type;

/**
 * {@code #stablehlo.dot_algorithm<lhs_precision_type = bf16, ..., allow_imprecise_accumulation = false>}: the
 * algorithm constraints of a dot_general. Every field is written, in declaration order.
 */
public record DotAlgorithm(Type lhsPrecisionType, Type rhsPrecisionType, Type accumulationType,
                           long lhsComponentCount, long rhsComponentCount, long numPrimitiveOperations,
                           boolean allowImpreciseAccumulation) implements DialectAttribute {
    @Override public String name() { return "stablehlo.dot_algorithm"; }

    /** The text after the mnemonic: {@code <lhs_precision_type = ..., ...>} (the pretty dot_general form). */
    public String body() {
        return "<lhs_precision_type = " + lhsPrecisionType + ", rhs_precision_type = " + rhsPrecisionType
                + ", accumulation_type = " + accumulationType + ", lhs_component_count = " + lhsComponentCount
                + ", rhs_component_count = " + rhsComponentCount + ", num_primitive_operations = "
                + numPrimitiveOperations + ", allow_imprecise_accumulation = " + allowImpreciseAccumulation + ">";
    }

    @Override public String toString() { return "#stablehlo.dot_algorithm" + body(); }

    /** Parses the body, positioned at '<'. */
    public static DotAlgorithm parse(AsmParser p) {
        p.expect("<");
        Type lhs = typeField(p, "lhs_precision_type", false);
        Type rhs = typeField(p, "rhs_precision_type", false);
        Type acc = typeField(p, "accumulation_type", false);
        long lc = intField(p, "lhs_component_count");
        long rc = intField(p, "rhs_component_count");
        long np = intField(p, "num_primitive_operations");
        p.expectKeyword("allow_imprecise_accumulation");
        p.expect("=");
        String b = p.parseKeyword();
        if (!b.equals("true") && !b.equals("false")) throw p.error("allow_imprecise_accumulation must be true or false, got '" + b + "'");
        p.expect(">");
        return new DotAlgorithm(lhs, rhs, acc, lc, rc, np, b.equals("true"));
    }

    private static Type typeField(AsmParser p, String key, boolean last) {
        p.expectKeyword(key);
        p.expect("=");
        Type t = p.parseType();
        if (!last) p.expect(",");
        return t;
    }

    private static long intField(AsmParser p, String key) {
        p.expectKeyword(key);
        p.expect("=");
        long v = p.parseInteger();
        p.expect(",");
        return v;
    }
}
