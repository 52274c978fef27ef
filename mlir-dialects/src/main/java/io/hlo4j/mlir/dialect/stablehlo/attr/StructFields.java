package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code <key = value, ...>} struct bodies as upstream's parseStruct does: keys in any order, each at
 * most once, any of them omitted (the record's defaults apply), positioned before '<'.
 */
final class StructFields {
    private final Map<String, Runnable> fields = new LinkedHashMap<>();
    private final String attrName;

    StructFields(String attrName) { this.attrName = attrName; }

    StructFields field(String key, Runnable parseValue) {
        fields.put(key, parseValue);
        return this;
    }

    /** Parses the whole {@code <...>}; returns the keys that were present. */
    Set<String> parse(AsmParser p) {
        p.expect("<");
        Set<String> seen = new HashSet<>();
        while (!p.consumeIf(">")) {
            String key = p.peekKeyword();
            Runnable r = key == null ? null : fields.get(key);
            if (r == null) throw p.error("#" + attrName + ": expected one of " + fields.keySet());
            p.parseKeyword();
            if (!seen.add(key)) throw p.error("#" + attrName + ": duplicated '" + key + "' entry");
            p.expect("=");
            r.run();
            if (!p.consumeIf(",")) {
                p.expect(">");
                break;
            }
        }
        return seen;
    }
}
