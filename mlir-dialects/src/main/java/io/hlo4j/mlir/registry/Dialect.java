package io.hlo4j.mlir.registry;

/**
 * A dialect contributes its ops, attribute parsers and type parsers to the registries. Implementations are
 * listed in {@link OpRegistry#global()}'s bootstrap so that registration order is deterministic.
 */
public interface Dialect {
    String namespace();

    void register(OpRegistry ops, AttributeRegistry attributes);
}
