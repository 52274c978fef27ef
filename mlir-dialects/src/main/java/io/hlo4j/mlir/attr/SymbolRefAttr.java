package io.hlo4j.mlir.attr;

import java.util.List;

/** {@code @root} or {@code @root::@nested}. */
public record SymbolRefAttr(String root, List<String> nested) implements Attribute {
    public SymbolRefAttr { nested = List.copyOf(nested); }
    public static SymbolRefAttr of(String name) { return new SymbolRefAttr(name, List.of()); }
    @Override public String toString() { return AttrText.symbolRef(this); }
}
