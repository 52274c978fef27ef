package io.hlo4j.cli;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j run --spmd --collectives}: one line per collective of the partitioned run, counted by hand. */
class RunCollectivesTest {
    @Test
    void theMlpRunsOneAllReduceOverTp(@TempDir Path dir) throws Exception {
        Path f = DumpFileTest.mlp(dir);
        List<HostArray> in = DumpFileTest.inputs(5);
        String[] names = {"x", "w1", "w2"};
        for (int i = 0; i < 3; i++) Npy.write(dir.resolve(names[i] + ".npy"), in.get(i));
        Cli.Run r = Cli.run("run", f.toString(), "--spmd", "--collectives", "--input", dir.resolve("x.npy").toString(),
                "--input", dir.resolve("w1.npy").toString(), "--input", dir.resolve("w2.npy").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        // By hand: x [8,16] rows on dp, w1 columns on tp -> h [8,32] on (dp, tp); w2 rows on tp -> each device holds
        // a partial y block [4,8] f32 = 128 bytes, summed over tp by one all_reduce in groups {0,1} and {2,3}
        // (device = dp * 2 + tp). An all_reduce of g = 2 receives 2 (g-1)/g x 128 = 128 bytes per device.
        List<String> lines = r.out().lines().filter(l -> l.startsWith("  #")).toList();
        assertThat(lines).as(r.out()).hasSize(1);
        assertThat(r.out()).contains("collectives: 1 executed, in order");
        // the all_reduce is placed at the second dot_general of the file: line 9, column 5 (its result %y)
        assertThat(lines.get(0)).isEqualTo("  #0 all_reduce at " + f + ":9:5 groups [[0,1],[2,3]] axes tp received bytes per device [128, 128, 128, 128]");
        assertThat(r.out()).contains("1 collective, at most 128 bytes received per device");
    }

    @Test
    void collectivesNeedsSpmd(@TempDir Path dir) throws Exception {
        Path f = DumpFileTest.mlp(dir);
        Cli.Run r = Cli.run("run", f.toString(), "--collectives");
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--collectives needs --spmd");
    }
}
