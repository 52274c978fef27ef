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
        ProcessFlags.Job job = ok.job(Map.of("HLO4J_NUM_PROCESSES", "2", "HLO4J_PROCESS_ID", "1", "HLO4J_COORDINATOR", "h:1"), Map.of());
        assertThat(job).isEqualTo(new ProcessFlags.Job(2, 1, "h:1", java.time.Duration.ofSeconds(300)));
    }

    @Test
    void theCompileCacheIsRefusedForAJobByName() {
        Map<String, String> env = Map.of("HLO4J_PJRT_CACHE", "/tmp/cache");
        assertThat(refusal(flags(2, 1, "h:1"), env)).isEqualTo("HLO4J_PJRT_CACHE=/tmp/cache (the compile cache) does not work with --num-processes 2:"
                + " a cached executable would load onto this process's first devices, not the job's device assignment; unset it");
        assertThat(refusal(flags(1, null, null), env)).as("one process: no job, the cache is fine").isEqualTo("accepted");
        String before = System.getProperty("hlo4j.pjrt.cache");
        System.setProperty("hlo4j.pjrt.cache", "/tmp/c2");
        try {
            assertThat(refusal(flags(2, 0, "h:1"), Map.of())).startsWith("-Dhlo4j.pjrt.cache=/tmp/c2 (the compile cache) does not work with --num-processes 2:");
        } finally {
            if (before == null) System.clearProperty("hlo4j.pjrt.cache");
            else System.setProperty("hlo4j.pjrt.cache", before);
        }
        assertThatThrownBy(() -> flags(2, 0, "h:1").job(Map.of(), Map.of("node_id", 1L))).hasMessage("--pjrt-option node_id is set by --process-id and --num-processes; leave it out");
    }
}
