package io.hlo4j.dsl.shard;

import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.runtime.spmd.SpmdRun;

/**
 * A {@link ShardedJit} run on simulated devices: {@code results} in the function's output structure (global arrays,
 * assembled from the devices' blocks), the per-device program the partitioner made ({@code program}, with its report
 * of what was not split as asked) and the run itself ({@code run}: per-device results and the collectives' log).
 */
public record SimulatedRun(Object results, PartitionedProgram program, SpmdRun run) {}
