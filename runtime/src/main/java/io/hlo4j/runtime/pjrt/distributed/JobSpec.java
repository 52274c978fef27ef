package io.hlo4j.runtime.pjrt.distributed;

import java.time.Duration;

/**
 * Which process of which job this is, as {@code jax.distributed.initialize(coordinator_address, num_processes,
 * process_id)} takes it: the settings every front end (the CLI's {@code --num-processes/--process-id/--coordinator},
 * the DSL through {@code PjrtBackend.open(plugin, options, job, cache)}) hands to the one place that joins a job.
 * {@code timeout} bounds every wait for the coordinator and the other processes (joining, the plugin's key-value gets,
 * result blocks, the end). Checked here, each refusal naming the value.
 */
public record JobSpec(int numProcesses, int processId, String coordinator, Duration timeout) {
    public JobSpec {
        if (numProcesses < 1) throw new IllegalArgumentException("number of processes " + numProcesses + " < 1");
        if (processId < 0 || processId >= numProcesses)
            throw new IllegalArgumentException("process id " + processId + " is not in [0, " + numProcesses + ")");
        if (numProcesses > 1) {
            if (coordinator == null) throw new IllegalArgumentException("a job of " + numProcesses + " processes needs a coordinator HOST:PORT");
            CoordinatorAddress.parse("coordinator address", coordinator);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero())
            throw new IllegalArgumentException("job timeout " + timeout + " is not positive");
    }

    /** Process {@code processId} of {@code numProcesses}, joining through {@code coordinator}, each wait bounded by {@code timeout}. */
    public static JobSpec of(int numProcesses, int processId, String coordinator, Duration timeout) {
        return new JobSpec(numProcesses, processId, coordinator, timeout);
    }

    /** Whether there are other processes to join (a job of one process runs as a plain client). */
    public boolean distributed() { return numProcesses > 1; }

    @Override public String toString() { return "process " + processId + " of " + numProcesses + (coordinator == null ? "" : " (coordinator " + coordinator + ")"); }
}
