package io.hlo4j.mlir.attr;

/**
 * An attribute owned by a dialect: {@code #stablehlo.dot<...>}, {@code #stablehlo<comparison_direction LT>},
 * {@code #sdy.sharding<...>}. Each kind registers a parser with
 * {@link io.hlo4j.mlir.registry.AttributeRegistry} and prints itself through {@code toString()}
 * (the full text, including the leading {@code #}).
 */
public interface DialectAttribute extends Attribute {
    /** The name after '#': "stablehlo.dot", or for enum form "stablehlo". */
    String name();
}
