package io.hlo4j.compiler.spmd;

import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;

/**
 * The sharding rule of one op kind, attached to its {@code OpDef} (kind {@code ShardingRuleFactory.class}) next to
 * its syntax, verifier, kernel and VJP rule. Given a concrete operation it returns Shardy's factor mapping
 * ({@code #sdy.op_sharding_rule}): which factors each operand and result dimension is made of, the factor sizes,
 * and which factors are reductions (sharding them leaves partial sums), need replication, or are permutations.
 * Propagation moves axes along factors; the partitioner reads the same rule to decide what each device computes
 * and which collective finishes the job.
 */
@FunctionalInterface
public interface ShardingRuleFactory {
    OpShardingRule ruleFor(Operation op);
}
