package io.hlo4j.cli;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.MlpRegression;
import io.hlo4j.examples.Training;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static io.hlo4j.cli.UserModels.TINY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j dump --program train-step}: the program {@code (params, opt_state, batch...) -> [loss, params', opt_state']}
 * that {@code examples run} trains with. Run from its text for two steps (the new parameters and state fed back), it must
 * give the losses {@code examples run} prints and the parameters the example's own {@link TrainStep.Runner} holds after two steps.
 */
class DumpTrainStepTest {

    /** Runs a train-step program {@code steps} times from {@code args}: results 1.. become arguments 0.., the batch stays. */
    static List<Double> steps(Function<List<HostArray>, List<HostArray>> program, List<HostArray> args, int steps, List<List<HostArray>> last) {
        List<Double> losses = new ArrayList<>();
        List<HostArray> a = new ArrayList<>(args);
        for (int i = 0; i < steps; i++) {
            List<HostArray> r = program.apply(a);
            assertThat(r.get(0).type().shape()).isEmpty();
            losses.add(r.get(0).getDouble(0));
            for (int k = 1; k < r.size(); k++) a.set(k - 1, r.get(k));
        }
        last.add(a);
        return losses;
    }

    @Test void theMlpTrainStepRunsAsExamplesRunTrains() {
        Cli.Run r = Cli.run("dump", "mlp", "--program", "train-step");
        assertThat(r.code()).as(r.toString()).isZero();
        Example ex = new MlpRegression();
        List<HostArray> args = UserModels.leaves(Training.trainStepArgs(ex));
        var module = MlirParser.parseModule(r.out(), "train-step.mlir");
        ModuleVerifier.verify(module);
        Interpreter interp = new Interpreter(module);
        List<List<HostArray>> last = new ArrayList<>();
        List<Double> losses = steps(a -> interp.runHost("main", a), args, 2, last);

        // the example's own loop (what `examples run mlp-regression` runs): the same numbers, bit for bit
        TrainStep.Runner runner = new TrainStep.Runner("train_step", ex.loss(), ex.optimizer(), ex.params());
        List<Double> want = new ArrayList<>();
        for (int i = 0; i < 2; i++) want.add(runner.step(ex.batch().toArray()));
        assertThat(losses).isEqualTo(want);
        Map<String, HostArray> p = runner.paramsMap();
        List<String> keys = new ArrayList<>(new java.util.TreeMap<>(p).keySet());
        for (int k = 0; k < keys.size(); k++) {
            assertThat(last.get(0).get(k).toDoubleArray()).as(keys.get(k)).containsExactly(p.get(keys.get(k)).toDoubleArray());
        }
        // and what the command prints, to its 6 decimals
        Cli.Run run = Cli.run("examples", "run", "mlp-regression", "--steps", "2");
        assertThat(run.code()).as(run.toString()).isZero();
        List<Double> printed = UserModels.printedLosses(run.out());
        assertThat(printed).hasSize(2);
        for (int i = 0; i < 2; i++) assertThat(Math.abs(printed.get(i) - losses.get(i))).as("step " + i).isLessThanOrEqualTo(5e-7);
        assertThat(losses.get(1)).isLessThan(losses.get(0));
    }

    /**
     * The user's train step on dp=2, tp=2: each AdamW moment carries its parameter's sharding; the annotated dump,
     * partitioned by Spmd.explicit and run on 4 simulated devices, gives what `examples run --mesh` prints and, to f32
     * rounding, the one-device run.
     */
    @Test void aUserTrainStepOnAMeshShardsTheStateLikeItsParameter(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), UserModels.tinySource());
        Cli.Run r = Cli.run("dump", "--class", TINY, "--classpath", classes.toString(), "--program", "train-step", "--emit", "annotated",
                "--mesh", "dp=2,tp=2");
        assertThat(r.code()).as(r.toString()).isZero();
        // w, mu.w and nu.w; b, mu.b and nu.b: as arguments and again as results (params', state' leave as they came)
        assertThat(count(r.out(), "tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {\"tp\"}]>}")).isEqualTo(6);
        assertThat(count(r.out(), "tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"tp\"}]>}")).isEqualTo(6);
        assertThat(r.out()).contains("func.func public @main(").contains("mhlo.num_partitions = 4");

        Example ex = UserModels.load(classes, TINY);
        var program = Spmd.explicit(MlirParser.parseModule(r.out(), "annotated.mlir"));
        List<List<HostArray>> last = new ArrayList<>();
        List<Double> losses = steps(a -> SpmdRunner.run(program.module(), program.meshes(), a, program.argShardings(), program.resultShardings(),
                program.resultTypes()).results(), UserModels.leaves(Training.trainStepArgs(ex)), 2, last);

        // Training.runSharded (what `examples run --mesh` runs) traces and partitions the same step: the same numbers
        Object[] shardedParams = new Object[1];
        double[] sharded = Training.runSharded(ex, DumpCommand.parseMesh("dp=2,tp=2", null),
                2, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), shardedParams);
        assertThat(losses).containsExactly(sharded[0], sharded[1]);
        List<HostArray> sp = UserModels.leaves(shardedParams[0]);
        for (int k = 0; k < sp.size(); k++) assertThat(last.get(0).get(k).toDoubleArray()).containsExactly(sp.get(k).toDoubleArray());

        Cli.Run run = Cli.run("examples", "run", "--class", TINY, "--classpath", classes.toString(), "--steps", "2", "--mesh", "dp=2,tp=2");
        assertThat(run.code()).as(run.toString()).isZero();
        List<Double> printed = UserModels.printedLosses(run.out());
        for (int i = 0; i < 2; i++) assertThat(Math.abs(printed.get(i) - losses.get(i))).as("step " + i).isLessThanOrEqualTo(5e-7);

        // the one-device step: equal up to the order of the f32 sums the partitioner splits (see ExamplesMeshTest)
        TrainStep.Runner one = new TrainStep.Runner("step", ex.loss(), ex.optimizer(), ex.params());
        for (int i = 0; i < 2; i++) assertThat(one.step(ex.batch().toArray())).isCloseTo(losses.get(i), org.assertj.core.api.Assertions.within(1e-6));
    }

    @Test void refusals() {
        Cli.Run moe = Cli.run("dump", "moe", "--program", "train-step");
        assertThat(moe.code()).isEqualTo(2);
        assertThat(moe.err()).isEqualTo("hlo4j dump: --program train-step: the moe layer does not train (it has no loss); dump an example's"
                + " (see 'hlo4j dump --help')\n");
        Cli.Run unknown = Cli.run("dump", "mlp", "--program", "optimizer");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("hlo4j dump: --program: unknown program 'optimizer' (expected loss or train-step)");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) n++;
        return n;
    }
}
