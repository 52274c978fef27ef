package io.hlo4j.cli;

import io.hlo4j.runtime.pjrt.distributed.CoordinatorAddress;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One process of a multi-process job on a PJRT plugin (a TPU pod slice, a multi-node GPU job), as
 * {@code jax.distributed.initialize} takes it: {@code --num-processes N}, {@code --process-id I} and
 * {@code --coordinator HOST:PORT} (process 0 listens there), or the variables {@value #ENV_COUNT}, {@value #ENV_ID}
 * and {@value #ENV_COORDINATOR} (a flag wins over its variable). Refused by name (usage errors): a count below 1, an id
 * outside {@code [0, N)}, a job of several processes without an id or a coordinator, a coordinator that is not
 * {@code HOST:PORT}, an id or coordinator without a count, {@code --pjrt-option node_id/num_nodes}, which these set, a
 * job without a PJRT plugin, and the settings on a command path that runs no plugin ({@link #unused}). Each message
 * names the flag or the variable the value came from. Declared once ({@code @Mixin ProcessFlags}) for {@code run},
 * {@code compile} and {@code moe run}; the job it gives is joined in one place, {@code PjrtBackend.open(plugin, options,
 * job, cache)} ({@link PjrtSession}).
 */
final class ProcessFlags {
    static final String ENV_COUNT = "HLO4J_NUM_PROCESSES", ENV_ID = "HLO4J_PROCESS_ID", ENV_COORDINATOR = "HLO4J_COORDINATOR";

    @Option(names = "--num-processes", paramLabel = "N",
            description = "Run as one of N processes of a job on the PJRT plugin (with --process-id and --coordinator); default $" + ENV_COUNT + ", else 1.")
    Integer numProcesses;

    @Option(names = "--process-id", paramLabel = "I", description = "This process's index in the job, 0 to N-1; default $" + ENV_ID + ".")
    Integer processId;

    @Option(names = "--coordinator", paramLabel = "HOST:PORT",
            description = "Where process 0 hosts the job's key-value store (it listens on PORT); the same for every process; default $" + ENV_COORDINATOR + ".")
    String coordinator;

    @Option(names = "--coordinator-timeout", paramLabel = "SECONDS",
            description = "How long to wait for the coordinator and the other processes (joining, the topology, results); default 300.")
    long timeoutSeconds = 300;

    /**
     * For a command path that runs on {@code plugin} (null: the interpreter): the job, or null when this process runs
     * alone; a job without a plugin is a usage error. Reads the environment through {@code env}.
     */
    JobSpec job(Map<String, String> env, Path plugin, Map<String, Object> pjrtOptions) {
        JobSpec job = job(env, plugin == null ? Map.of() : pjrtOptions);
        if (job != null && plugin == null)
            throw new Main.UsageError("--num-processes " + job.numProcesses() + " runs one process of a job on a PJRT plugin: give --pjrt-plugin (or "
                    + PjrtFlags.ENV + ")");
        return job;
    }

    /** For a command path that runs no plugin ({@code why}, e.g. "--spmd runs on simulated devices in this process"): any setting is refused. */
    void unused(String why, Map<String, String> env) {
        if (given(env)) throw new Main.UsageError(why + "; it does not take --num-processes, --process-id or --coordinator");
    }

    /** The job, or null without any of the settings; usage errors as the class says. Reads the environment through {@code env}. */
    JobSpec job(Map<String, String> env, Map<String, Object> pjrtOptions) {
        Integer n = numProcesses != null ? numProcesses : intFrom(env, ENV_COUNT);
        Integer id = processId != null ? processId : intFrom(env, ENV_ID);
        String coord = coordinator != null ? coordinator : blankToNull(env.get(ENV_COORDINATOR));
        // each value is named as it was given: the flag, or the variable it came from
        String nName = numProcesses != null ? "--num-processes" : ENV_COUNT, idName = processId != null ? "--process-id" : ENV_ID;
        String coordName = coordinator != null ? "--coordinator" : ENV_COORDINATOR;
        if (timeoutSeconds < 1 || timeoutSeconds > 7 * 24 * 3600)
            throw new Main.UsageError("--coordinator-timeout must be between 1 and 604800 seconds, got " + timeoutSeconds);
        if (n == null) {
            if (id != null || coord != null)
                throw new Main.UsageError((id != null ? idName : coordName) + " needs --num-processes (or " + ENV_COUNT + ")");
            return null;
        }
        if (n < 1) throw new Main.UsageError(nName + " must be at least 1, got " + n);
        if (n > 1 && id == null) throw new Main.UsageError(shown(nName, n) + " needs --process-id (or " + ENV_ID + "): which process this is, 0 to " + (n - 1));
        if (n > 1 && coord == null) throw new Main.UsageError(shown(nName, n) + " needs --coordinator HOST:PORT (or " + ENV_COORDINATOR + "): where process 0 hosts the job's store");
        int i = id == null ? 0 : id;
        if (i < 0 || i >= n) throw new Main.UsageError(shown(idName, i) + " is not in [0, " + n + ") for " + shown(nName, n));
        if (coord != null) {
            try {
                CoordinatorAddress.parse(coordName, coord);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError(e.getMessage());
            }
        }
        for (String k : new String[] {"node_id", "num_nodes"})
            if (pjrtOptions.containsKey(k))
                throw new Main.UsageError("--pjrt-option " + k + " is set by --process-id and --num-processes; leave it out");
        if (n == 1) return null;
        return JobSpec.of(n, i, coord, Duration.ofSeconds(timeoutSeconds));
    }

    /** {@code --flag V} or {@code VARIABLE=V}. */
    private static String shown(String name, Object value) { return name + (name.startsWith("--") ? " " : "=") + value; }

    /** Whether any setting was given (flags or variables): a command path that cannot run a job refuses them. */
    boolean given(Map<String, String> env) {
        return numProcesses != null || processId != null || coordinator != null
                || blankToNull(env.get(ENV_COUNT)) != null || blankToNull(env.get(ENV_ID)) != null || blankToNull(env.get(ENV_COORDINATOR)) != null;
    }

    private static Integer intFrom(Map<String, String> env, String name) {
        String v = blankToNull(env.get(name));
        if (v == null) return null;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new Main.UsageError(name + "='" + v + "' is not an integer");
        }
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s; }
}
