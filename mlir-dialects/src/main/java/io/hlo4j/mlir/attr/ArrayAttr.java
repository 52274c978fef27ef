package io.hlo4j.mlir.attr;

import java.util.List;
import java.util.stream.Collectors;

/** {@code [a, b, c]}: a list of attributes. */
public record ArrayAttr(List<Attribute> elements) implements Attribute {
    public ArrayAttr { elements = List.copyOf(elements); }
    public static ArrayAttr of(Attribute... e) { return new ArrayAttr(List.of(e)); }
    public int size() { return elements.size(); }
    public Attribute get(int i) { return elements.get(i); }
    @Override public String toString() {
        return elements.stream().map(Object::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
