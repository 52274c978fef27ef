package io.hlo4j.mlir.registry;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.types.Type;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parsers for dialect attributes and types, keyed by the name after '#' or '!'. For
 * {@code #stablehlo.dot<...>} the key is {@code stablehlo.dot} and the parser is called with the token
 * stream positioned at '<'. For the enum form {@code #stablehlo<comparison_direction LT>} the key is
 * {@code stablehlo} and the parser is positioned at '<'. Types work the same way ({@code !stablehlo.token}).
 */
public final class AttributeRegistry {
    @FunctionalInterface
    public interface AttributeParser { Attribute parse(AsmParser p); }

    @FunctionalInterface
    public interface TypeParser { Type parse(AsmParser p); }

    private final Map<String, AttributeParser> attributes = new ConcurrentHashMap<>();
    private final Map<String, TypeParser> types = new ConcurrentHashMap<>();

    public void registerAttribute(String name, AttributeParser parser) {
        if (attributes.putIfAbsent(name, parser) != null) throw new IllegalStateException("attribute #" + name + " registered twice");
    }

    public void registerType(String name, TypeParser parser) {
        if (types.putIfAbsent(name, parser) != null) throw new IllegalStateException("type !" + name + " registered twice");
    }

    /** Null when no dialect declares it (the parser then keeps the text as an opaque attribute). */
    public AttributeParser attribute(String name) { return attributes.get(name); }

    public TypeParser type(String name) { return types.get(name); }

    public Map<String, AttributeParser> attributes() { return Map.copyOf(attributes); }
}
