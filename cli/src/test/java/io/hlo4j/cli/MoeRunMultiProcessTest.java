package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j moe run} as one process of a job (two threads, each a mock client of one device). The mock computes only
 * single-op programs, so the layer cannot run on it (MoeRunPjrtTest): what is checked is that each process joins, traces
 * the same layer and reaches its plugin's compile with exactly the program and options the one-process run sends (the
 * same refusal, word for word), fails in one line without waiting out the timeout, and writes nothing. The results of a
 * program run in a job equal the one-process run's where the mock can run it: the DSL's JitMultiProcessTest.
 */
class MoeRunMultiProcessTest {
    @Test
    void eachProcessReachesItsPluginsCompileWithTheOneProcessProgram(@TempDir Path tmp) throws Exception {
        Path w = MoeCommandTest.copyCase(tmp);
        String plugin = CompileCommandTest.mock().toString();
        String[] args = {"moe", "run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(), "--input", w.resolve("x.npy").toString(),
                "-o", tmp.resolve("out").toString(), "--pjrt-plugin", plugin, "--pjrt-option", "num_devices=1"};
        Cli.Run single = Cli.run(args);
        assertThat(single.code()).as(single.toString()).isEqualTo(1);
        assertThat(single.err()).contains("PJRT_Client_Compile failed with UNIMPLEMENTED").contains("for 1 replica(s) x 1 partition(s)");
        long t0 = System.nanoTime();
        List<Cli.Run> runs = CompileMultiProcessTest.job(CompileMultiProcessTest.freeAddress(), args);
        assertThat((System.nanoTime() - t0) / 1e9).as("not the 60 s timeout").isLessThan(40);
        for (Cli.Run r : runs) {
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
            // its own refusal, or (when the other process failed first) the other's, which is the same words
            assertThat(r.err()).contains(single.err().strip().substring(single.err().indexOf("PJRT_Client_Compile failed")));
        }
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void theJobFlagsNeedAPluginAndAreRefusedWithMesh(@TempDir Path tmp) throws Exception {
        Path w = MoeCommandTest.copyCase(tmp);
        String[] common = {"run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(), "--input", w.resolve("x.npy").toString(),
                "-o", tmp.resolve("out").toString(), "--num-processes", "2", "--process-id", "0", "--coordinator", "localhost:1"};
        Cli.Run mesh = MoeCommandTest.moe(concat(common, "--mesh", "ep=2"));
        assertThat(mesh.code()).as(mesh.toString()).isEqualTo(2);
        assertThat(mesh.err()).contains("--mesh runs on simulated devices in this process; it does not take --num-processes, --process-id or --coordinator");
        if (System.getenv("HLO4J_PJRT_PLUGIN") == null) {
            Cli.Run none = MoeCommandTest.moe(common);
            assertThat(none.code()).as(none.toString()).isEqualTo(2);
            assertThat(none.err()).contains("--num-processes 2 runs one process of a job on a PJRT plugin: give --pjrt-plugin (or HLO4J_PJRT_PLUGIN)");
        }
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
