package io.hlo4j.cli;

import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static io.hlo4j.cli.UserModels.TINY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j examples run NAME --mesh AXES}: the train step sharded on the mesh and run on its simulated devices follows
 * the one-device loss curve. Not bit for bit: the partitioner splits each f32 reduction over the batch (and over tp for
 * the contraction it shards) into per-device partial sums added by an all-reduce, a different order of the same f32
 * additions. Each such sum of n terms differs by at most about n·2^-24 relative (n ≤ 64 here: under 4e-6), and a few
 * AdamW steps, whose update divides by the gradient's own magnitude, do not amplify it beyond that order; the bound
 * asserted is 1e-5 relative (what MixtralLmTest allows for 8 devices), and the differences seen are below 1e-6.
 */
class ExamplesMeshTest {
    static final double REL = 1e-5;

    @Test void theMlpOnTwoDevicesFollowsTheOneDeviceCurve() {
        Cli.Run one = Cli.run("examples", "run", "mlp-regression", "--steps", "4");
        Cli.Run two = Cli.run("examples", "run", "mlp-regression", "--steps", "4", "--mesh", "dp=2");
        assertThat(two.code()).as(two.toString()).isZero();
        assertThat(two.err()).isEmpty();
        assertThat(two.out()).startsWith("mlp-regression on 2 simulated devices, mesh dp=2,fsdp=1,ep=1,tp=1,sp=1 (the train step of "
                + "'hlo4j dump mlp-regression --program train-step --mesh ...', partitioned by hlo4j's SPMD partitioner):\n");
        List<Double> a = UserModels.printedLosses(one.out()), b = UserModels.printedLosses(two.out());
        assertThat(b).hasSize(4);
        // printed to 6 decimals: the one-device and the sharded value differ by less than the printing's 5e-7 plus REL
        for (int i = 0; i < 4; i++) assertThat(Math.abs(a.get(i) - b.get(i))).as("step " + i).isLessThanOrEqualTo(1e-6 + REL * Math.abs(a.get(i)));
        assertThat(b.get(3)).isLessThan(b.get(0));
    }

    /** The user's model on dp=2, tp=2 (weights split over tp): losses and parameters against the one-device steps. */
    @Test void aUserModelOnFourDevicesFollowsTheOneDeviceRun(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), UserModels.tinySource());
        Example ex = UserModels.load(classes, TINY);
        int steps = 3;
        Object[] last = new Object[1];
        double[] sharded = Training.runSharded(ex, DumpCommand.parseMesh("dp=2,tp=2", null), steps, new PrintStream(OutputStream.nullOutputStream()), last);
        TrainStep.Runner one = new TrainStep.Runner("step", ex.loss(), ex.optimizer(), ex.params());
        double worst = 0;
        for (int i = 0; i < steps; i++) {
            double l = one.step(ex.batch().toArray());
            assertThat(Math.abs(sharded[i] - l)).as("step " + i).isLessThanOrEqualTo(REL * Math.abs(l));
            worst = Math.max(worst, Math.abs(sharded[i] - l) / Math.abs(l));
        }
        List<HostArray> got = UserModels.leaves(last[0]), want = UserModels.leaves(one.params());
        for (int k = 0; k < want.size(); k++) {
            double[] g = got.get(k).toDoubleArray(), w = want.get(k).toDoubleArray();
            for (int j = 0; j < w.length; j++) assertThat(Math.abs(g[j] - w[j])).as("param " + k + "[" + j + "]").isLessThanOrEqualTo(REL * Math.max(1, Math.abs(w[j])));
        }
        assertThat(sharded[steps - 1]).isLessThan(sharded[0]);
        System.out.println("tiny-regression dp=2,tp=2 vs one device: worst relative loss difference " + worst);
    }

    @Test void refusals(@TempDir Path dir) throws Exception {
        refused(Cli.run("examples", "run", "mlp-regression", "--mesh", "dp=2", "--steps", "0"),
                "hlo4j examples run: --mesh trains: give --steps 1 or more (--steps 0, the initial loss, runs on one device) (see 'hlo4j examples run --help')");
        refused(Cli.run("examples", "run", "mlp-regression", "--mesh", "xp=2"),
                "hlo4j examples run: --mesh: unknown axis 'xp' (expected dp, fsdp, ep, tp, sp) (see 'hlo4j examples run --help')");
        refused(Cli.run("examples", "run", "mlp-regression", "--mesh", "dp=2", "--pjrt-plugin", "x.so"),
                "hlo4j examples run: --mesh trains on simulated devices on the interpreter; --pjrt-plugin and --pjrt-option do not apply (see 'hlo4j examples run --help')");
        refused(Cli.run("examples", "run"), "hlo4j examples run: give NAME (see 'hlo4j examples list') or --class FQCN (see 'hlo4j examples run --help')");
        UserModels.compileSource(dir, "Broken", DumpUserModelTest.BROKEN);
        refused(Cli.run("examples", "run", "--class", "com.example.Broken", "--classpath", dir.resolve("classes").toString(), "--mesh", "dp=2"),
                "hlo4j examples run: broken has no optimizer(), so no train step to run on --mesh dp=2 (see 'hlo4j examples run --help')");
        refused(Cli.run("examples", "run", "--class", "com.example.Broken", "--classpath", dir.resolve("classes").toString(), "--steps", "2"),
                "hlo4j examples run: broken has no optimizer(), so it does not train: --steps 0 prints its loss (see 'hlo4j examples run --help')");
        // a 64-row batch does not split 3 ways: the sharding's own error, exit 1
        Cli.Run odd = Cli.run("examples", "run", "mlp-regression", "--mesh", "dp=3", "--steps", "1");
        assertThat(odd.code()).as(odd.toString()).isEqualTo(1);
        assertThat(odd.err()).hasLineCount(1).contains("not divisible");
    }

    private static void refused(Cli.Run r, String line) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(line + "\n");
    }
}
