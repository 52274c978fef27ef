/**
 * Sharding of global programs: sharding rules per op ({@link io.hlo4j.compiler.spmd.ShardingRuleFactory}),
 * propagation (global annotated program to one sharding per value), the SPMD partitioner (global program to
 * one per-device program with explicit collectives) and the reshard planner.
 *
 * <p>Contract between the stages: a <em>propagated</em> module is the annotated module in which every op of
 * every function carries the discardable attribute {@code sdy.sharding} = {@code #sdy.sharding_per_value<[...]>}
 * with one fully specified (closed) sharding per result, and every function argument and result carries
 * {@code sdy.sharding}. That is the form Shardy's own propagation leaves, so the dump after propagation reads
 * like Shardy's.
 */
package io.hlo4j.compiler.spmd;
