package io.hlo4j.examples;

/**
 * Marks one of hlo4j's own models (the bundled examples, {@code dump}'s built-in MoE layer): their shardings are
 * tested with them, and the layer checks its mesh itself with errors that name the built-in, so {@link Training}
 * passes their {@link Example#paramShardings} and {@link Example#batchShardings} on as they are. Every other model's
 * are checked leaf by leaf against its parameters and batch first ({@link ShardingCheck}). An explicit mark rather
 * than the class's package: a user's class in a package named like hlo4j's is still checked, and a bundled model
 * keeps its behaviour wherever it moves.
 */
public interface BundledModel extends Example {}
