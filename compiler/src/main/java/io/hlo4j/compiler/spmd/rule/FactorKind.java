package io.hlo4j.compiler.spmd.rule;

/**
 * What sharding a factor means for the op (Shardy's factor types): a pass-through factor can be sharded with no
 * communication; a reduction factor leaves partial results to combine; a need-replication factor must be whole
 * on every device; a permutation factor can stay sharded if data moves between devices (halo, shift, reorder).
 */
public enum FactorKind { PASS_THROUGH, REDUCTION, NEED_REPLICATION, PERMUTATION }
