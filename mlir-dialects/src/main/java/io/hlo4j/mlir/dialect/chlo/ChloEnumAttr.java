package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;
import java.util.Map;

/**
 * A chlo enum attribute, {@code #chlo<precision DEFAULT>}, {@code #chlo<comparison_direction LT>} or
 * {@code #chlo<comparison_type FLOAT>}. Only the cases ChloEnums.td declares are accepted.
 */
public record ChloEnumAttr(String kind, String value) implements DialectAttribute {
    public static final String PRECISION = "precision";
    public static final String COMPARISON_DIRECTION = "comparison_direction";
    public static final String COMPARISON_TYPE = "comparison_type";

    /** Each enum's cases in declaration order. */
    public static final Map<String, List<String>> CASES = Map.of(
            PRECISION, List.of("DEFAULT", "HIGH", "HIGHEST"),
            COMPARISON_DIRECTION, List.of("EQ", "NE", "GE", "GT", "LE", "LT"),
            COMPARISON_TYPE, List.of("NOTYPE", "FLOAT", "TOTALORDER", "SIGNED", "UNSIGNED"));

    public ChloEnumAttr {
        List<String> cases = CASES.get(kind);
        if (cases == null) throw new IllegalArgumentException("unknown chlo enum '" + kind + "'; expected one of " + CASES.keySet());
        if (!cases.contains(value)) {
            throw new IllegalArgumentException("'" + value + "' is not a case of chlo " + kind + "; expected one of " + cases);
        }
    }

    public static ChloEnumAttr precision(String v) { return new ChloEnumAttr(PRECISION, v); }
    public static ChloEnumAttr comparisonDirection(String v) { return new ChloEnumAttr(COMPARISON_DIRECTION, v); }
    public static ChloEnumAttr comparisonType(String v) { return new ChloEnumAttr(COMPARISON_TYPE, v); }

    /** The case's ordinal (its I32EnumAttrCase value). */
    public int ordinal() { return CASES.get(kind).indexOf(value); }

    @Override public String name() { return "chlo"; }

    @Override public String toString() { return "#chlo<" + kind + " " + value + ">"; }
}
