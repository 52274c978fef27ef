package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.registry.AttributeRegistry;

import java.util.ArrayList;
import java.util.List;

/** Parsers for the chlo dialect's attributes, registered under {@code #chlo<...>} and {@code #chlo.ragged_dot<...>}. */
final class ChloAttributes {
    private ChloAttributes() {}

    static void register(AttributeRegistry r) {
        r.registerAttribute("chlo", ChloAttributes::parseEnum);
        r.registerAttribute("chlo.ragged_dot", ChloAttributes::parseRaggedDot);
    }

    /** {@code <kind CASE>}. */
    static Attribute parseEnum(AsmParser p) {
        p.expect("<");
        String kind = p.parseKeyword();
        if (!ChloEnumAttr.CASES.containsKey(kind)) {
            throw p.error("unknown chlo attribute '" + kind + "'; expected one of " + ChloEnumAttr.CASES.keySet());
        }
        String value = p.parseKeyword();
        if (!ChloEnumAttr.CASES.get(kind).contains(value)) {
            throw p.error("'" + value + "' is not a case of chlo " + kind + "; expected one of " + ChloEnumAttr.CASES.get(kind));
        }
        p.expect(">");
        return new ChloEnumAttr(kind, value);
    }

    /** {@code <field = [d, ...], ...>} with any subset of the fields, each at most once, in any order. */
    static Attribute parseRaggedDot(AsmParser p) {
        p.expect("<");
        List<List<Long>> fields = new ArrayList<>();
        boolean[] seen = new boolean[RaggedDotDimensionNumbers.FIELDS.size()];
        for (int i = 0; i < seen.length; i++) fields.add(List.of());
        if (!p.consumeIf(">")) {
            do {
                String key = p.parseKeyword();
                int idx = RaggedDotDimensionNumbers.FIELDS.indexOf(key);
                if (idx < 0) throw p.error("expected one of: " + RaggedDotDimensionNumbers.FIELDS + " in #chlo.ragged_dot, got '" + key + "'");
                if (seen[idx]) throw p.error("duplicated `" + key + "` entry in #chlo.ragged_dot");
                seen[idx] = true;
                p.expect("=");
                fields.set(idx, parseDims(p));
            } while (p.consumeIf(","));
            p.expect(">");
        }
        return new RaggedDotDimensionNumbers(fields.get(0), fields.get(1), fields.get(2), fields.get(3), fields.get(4), fields.get(5));
    }

    /** {@code [1, 2]} (possibly empty). */
    static List<Long> parseDims(AsmParser p) {
        p.expect("[");
        List<Long> dims = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do dims.add(p.parseInteger()); while (p.consumeIf(","));
            p.expect("]");
        }
        return dims;
    }
}
