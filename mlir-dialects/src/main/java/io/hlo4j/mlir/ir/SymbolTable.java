package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Symbols ({@code sym_name}) defined directly in an operation's first region, in definition order. */
public final class SymbolTable {
    private final Map<String, Operation> symbols;

    private SymbolTable(Map<String, Operation> symbols) { this.symbols = Collections.unmodifiableMap(symbols); }

    public static SymbolTable of(Operation symbolTableOp) {
        Map<String, Operation> m = new LinkedHashMap<>();
        if (!symbolTableOp.regions().isEmpty() && !symbolTableOp.region(0).isEmpty()) {
            for (Operation o : symbolTableOp.region(0).entry().operations()) {
                String n = symbolName(o);
                if (n != null) m.putIfAbsent(n, o);
            }
        }
        return new SymbolTable(m);
    }

    public static String symbolName(Operation o) {
        Attribute a = o.attr("sym_name");
        return a instanceof StringAttr s ? s.value() : null;
    }

    public Operation lookup(String name) { return symbols.get(name); }
    public Map<String, Operation> asMap() { return symbols; }
}
