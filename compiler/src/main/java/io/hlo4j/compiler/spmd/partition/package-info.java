/**
 * The SPMD partitioner: a propagated global module to the one per-device module every device runs, with local
 * shapes and explicit collectives ({@link io.hlo4j.compiler.spmd.partition.Partitioner}). Each op is split as
 * its sharding rule allows ({@link io.hlo4j.compiler.spmd.partition.FactorPlan}), emitted on local blocks
 * ({@link io.hlo4j.compiler.spmd.partition.LocalOps}); values move between shardings through the reshard
 * planner; what is not split as asked is listed in the {@link io.hlo4j.compiler.spmd.partition.PartitionReport}.
 * Users call {@link io.hlo4j.compiler.spmd.Spmd}. See {@code docs/sharding-partitioner.md}.
 */
package io.hlo4j.compiler.spmd.partition;
