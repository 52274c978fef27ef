package io.hlo4j.cli;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The job settings as flags or variables: each refusal names what the user gave, the flag or the variable. */
class ProcessFlagsTest {
    private static ProcessFlags flags(Integer n, Integer id, String coordinator) {
        ProcessFlags f = new ProcessFlags();
        f.numProcesses = n;
        f.processId = id;
        f.coordinator = coordinator;
        return f;
    }

    private static String refusal(ProcessFlags f, Map<String, String> env) {
        try {
            f.job(env, Map.of());
            return "accepted";
        } catch (Main.UsageError e) {
            return e.getMessage();
        }
    }

    @Test
    void valuesFromVariablesAreNamedAsVariables() {
        Map<String, String> env = Map.of("HLO4J_NUM_PROCESSES", "2", "HLO4J_PROCESS_ID", "5", "HLO4J_COORDINATOR", "localhost:1234");
        assertThat(refusal(flags(null, null, null), env)).isEqualTo("HLO4J_PROCESS_ID=5 is not in [0, 2) for HLO4J_NUM_PROCESSES=2");
        assertThat(refusal(flags(null, 5, null), env)).isEqualTo("--process-id 5 is not in [0, 2) for HLO4J_NUM_PROCESSES=2");
        assertThat(refusal(flags(3, null, null), env)).isEqualTo("HLO4J_PROCESS_ID=5 is not in [0, 3) for --num-processes 3");
        assertThat(refusal(flags(null, null, null), Map.of("HLO4J_NUM_PROCESSES", "0"))).isEqualTo("HLO4J_NUM_PROCESSES must be at least 1, got 0");
        assertThat(refusal(flags(null, null, null), Map.of("HLO4J_NUM_PROCESSES", "2", "HLO4J_PROCESS_ID", "1", "HLO4J_COORDINATOR", "host:99999")))
                .isEqualTo("HLO4J_COORDINATOR 'host:99999' is not HOST:PORT: port 99999 is not in [1, 65535]");
        assertThat(refusal(flags(2, 1, "host"), env)).isEqualTo("--coordinator 'host' is not HOST:PORT (a port from 1 to 65535)");
        assertThat(refusal(flags(null, null, null), Map.of("HLO4J_COORDINATOR", "h:1"))).isEqualTo("HLO4J_COORDINATOR needs --num-processes (or HLO4J_NUM_PROCESSES)");
        assertThat(refusal(flags(null, null, null), Map.of("HLO4J_NUM_PROCESSES", "2", "HLO4J_COORDINATOR", "h:1")))
                .isEqualTo("HLO4J_NUM_PROCESSES=2 needs --process-id (or HLO4J_PROCESS_ID): which process this is, 0 to 1");
        ProcessFlags ok = flags(null, null, null);
        io.hlo4j.runtime.pjrt.distributed.JobSpec job = ok.job(Map.of("HLO4J_NUM_PROCESSES", "2", "HLO4J_PROCESS_ID", "1", "HLO4J_COORDINATOR", "h:1"), Map.of());
        assertThat(job).isEqualTo(io.hlo4j.runtime.pjrt.distributed.JobSpec.of(2, 1, "h:1", java.time.Duration.ofSeconds(300)));
    }

    /** The compile cache works for a job (each process keys its own entries): the settings no longer refuse it. */
    @Test
    void theCompileCacheIsAcceptedForAJobAndTheFlagsSetTheJobsOptions() {
        assertThat(refusal(flags(2, 1, "h:1"), Map.of("HLO4J_PJRT_CACHE", "/tmp/cache"))).isEqualTo("accepted");
        assertThatThrownBy(() -> flags(2, 0, "h:1").job(Map.of(), Map.of("node_id", 1L))).hasMessage("--pjrt-option node_id is set by --process-id and --num-processes; leave it out");
        assertThatThrownBy(() -> flags(2, 0, "h:1").job(Map.of(), null, Map.of()))
                .hasMessage("--num-processes 2 runs one process of a job on a PJRT plugin: give --pjrt-plugin (or HLO4J_PJRT_PLUGIN)");
        assertThatThrownBy(() -> flags(2, 0, "h:1").unused("--mesh runs on simulated devices in this process", Map.of()))
                .hasMessage("--mesh runs on simulated devices in this process; it does not take --num-processes, --process-id or --coordinator");
        flags(null, null, null).unused("--mesh runs on simulated devices in this process", Map.of());   // nothing given: nothing refused
    }
}
