package io.hlo4j.cli;

import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user's own train step ({@code Example.trainStep()}): docs/examples/ClippedRegression.java clips its gradients by
 * global norm before SGD's update. The oracle is the class's own step function jitted here and called step by step on
 * {@code (params, optimizer().init(params), batch...)}: {@code examples run} must print its losses, {@code dump --program
 * train-step} must be that program (run on the interpreter and by {@code hlo4j run}), and {@code --mesh} must follow it.
 */
class UserTrainStepTest {
    static final String CLIPPED = "com.example.ClippedRegression";
    static final int STEPS = 3;

    static Path source() {
        return Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize().resolve("docs/examples/ClippedRegression.java");
    }

    /** {@code STEPS} calls of {@code step} jitted, threading params and state; the losses. */
    static List<Double> jitted(TracedFunction step, Example ex) {
        List<Object> a = new ArrayList<>();
        a.add(ex.params());
        a.add(ex.optimizer().init(ex.params()));
        a.addAll(ex.batch());
        Object[] args = a.toArray();
        Jit jit = Jit.jit("step", step);
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) {
            List<?> r = (List<?>) jit.call(args);
            losses.add(((HostArray) r.get(0)).getDouble(0));
            args[0] = r.get(1);
            args[1] = r.get(2);
        }
        return losses;
    }

    @Test void examplesRunTrainsWithTheUsersStep(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), source());
        Example ex = UserModels.load(classes, CLIPPED);
        List<Double> want = jitted(ex.trainStep(), ex);
        Cli.Run r = Cli.run("examples", "run", "--class", CLIPPED, "--classpath", classes.toString(), "--steps", "" + STEPS);
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> printed = r.out().lines().filter(l -> l.startsWith("step ")).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) expected.add(String.format(Locale.ROOT, "step %d loss %.6f", i, want.get(i)));
        assertThat(printed).containsExactlyElementsOf(expected);
        // and in this JVM, Training's loop gives the step's losses bit for bit
        double[] loop = Training.loop((i, l) -> { }, ex, STEPS);
        for (int i = 0; i < STEPS; i++) assertThat(loop[i]).as("step " + i).isEqualTo(want.get(i));
        // the clipping is active: the plain TrainStep.of(loss, sgd) follows another curve from step 1
        List<Double> plain = jitted(TrainStep.of(ex.loss(), ex.optimizer()), ex);
        assertThat(plain.get(0)).isEqualTo(want.get(0));
        assertThat(plain.get(1)).isNotEqualTo(want.get(1));
        assertThat(want.get(STEPS - 1)).isLessThan(want.get(0));
    }

    @Test void theDumpedTrainStepIsTheUsersStep(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), source());
        Example ex = UserModels.load(classes, CLIPPED);
        List<Double> want = jitted(ex.trainStep(), ex);
        Path file = dir.resolve("step.mlir"), in = dir.resolve("in");
        Cli.Run r = Cli.run("dump", "--class", CLIPPED, "--classpath", classes.toString(), "--program", "train-step", "-o", file.toString(),
                "--inputs", in.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        String text = Files.readString(file);
        assertThat(text).as("the global norm's square root").contains("stablehlo.sqrt").contains("stablehlo.maximum");
        List<HostArray> args = UserModels.leaves(Training.trainStepArgs(ex));
        List<List<HostArray>> last = new ArrayList<>();
        List<Double> got = DumpTrainStepTest.steps(a -> UserModels.runGlobal(text, a), args, STEPS, last);
        assertThat(got).containsExactlyElementsOf(want);
        // `hlo4j run` on the dump and its inputs takes the first step: result0 is the first loss
        Cli.Run run = Cli.run("run", file.toString(), "--input", in.toString());
        assertThat(run.code()).as(run.toString()).isZero();
        String first = run.out().lines().findFirst().orElseThrow();
        assertThat(first).startsWith("result0: tensor<f32> min ");
        double printed = Double.parseDouble(first.split(" ")[3]);
        assertThat(Math.abs(printed - want.get(0))).as(first).isLessThanOrEqualTo(1e-5 * Math.abs(want.get(0)));
    }

    @Test void onAMeshTheUsersStepFollowsOneDevice(@TempDir Path dir) throws Exception {
        Path classes = UserModels.compile(dir.resolve("classes"), source());
        Example ex = UserModels.load(classes, CLIPPED);
        List<Double> want = jitted(ex.trainStep(), ex);
        double[] sharded = Training.runSharded(ex, DumpCommand.parseMesh("dp=2,tp=2", null), STEPS, new PrintStream(OutputStream.nullOutputStream()), null);
        for (int i = 0; i < STEPS; i++) {
            assertThat(Math.abs(sharded[i] - want.get(i))).as("step " + i).isLessThanOrEqualTo(1e-5 * Math.abs(want.get(i)));
        }
        Cli.Run r = Cli.run("examples", "run", "--class", CLIPPED, "--classpath", classes.toString(), "--steps", "" + STEPS, "--mesh", "dp=2,tp=2");
        assertThat(r.code()).as(r.toString()).isZero();
        List<Double> printed = UserModels.printedLosses(r.out());
        assertThat(printed).hasSize(STEPS);
        for (int i = 0; i < STEPS; i++) assertThat(printed.get(i)).isEqualTo(Double.parseDouble(String.format(Locale.ROOT, "%.6f", sharded[i])));
        // the step's program carries the clipping on the mesh too
        Cli.Run dump = Cli.run("dump", "--class", CLIPPED, "--classpath", classes.toString(), "--program", "train-step", "--emit", "explicit",
                "--mesh", "dp=2,tp=2");
        assertThat(dump.code()).as(dump.toString()).isZero();
        assertThat(dump.out()).contains("stablehlo.sqrt");
    }

    /** A step whose results are not shaped like (params, opt_state) is refused in one line, exit 2, naming the leaf. */
    @Test void aWrongStructureIsRefusedNamingTheLeaf(@TempDir Path dir) throws Exception {
        String src = Files.readString(source());
        // the new w transposed: f32[8, 4] where w is f32[4, 8]
        String transposed = src.replace("class ClippedRegression", "class TransposedStep")
                .replace("return List.of((Tensor) lg.get(0), step.params(), step.state());",
                        "Map<String, Tensor> np = new TreeMap<>((Map<String, Tensor>) step.params());\n"
                                + "            np.put(\"w\", io.hlo4j.dsl.Rearrange.swapaxes(np.get(\"w\"), 0, 1));\n"
                                + "            return List.of((Tensor) lg.get(0), np, step.state());")
                .replace("\"clipped-regression\"", "\"transposed-step\"");
        String twoResults = src.replace("class ClippedRegression", "class TwoResults")
                .replace("return List.of((Tensor) lg.get(0), step.params(), step.state());", "return List.of((Tensor) lg.get(0), step.params());")
                .replace("\"clipped-regression\"", "\"two-results\"");
        Path classes = UserModels.compileSource(dir.resolve("t"), "TransposedStep", transposed);
        UserModels.compile(classes, write(dir, "TwoResults", twoResults));
        String cp = classes.toString();
        String leaf = "com.example.TransposedStep.trainStep() must return List.of(loss, params', opt_state') shaped like (params, opt_state): "
                + "params'.w is f32[8, 4], expected f32[4, 8]";
        refused(Cli.run("dump", "--class", "com.example.TransposedStep", "--classpath", cp, "--program", "train-step"),
                "hlo4j dump: " + leaf + " (see 'hlo4j dump --help')");
        refused(Cli.run("examples", "run", "--class", "com.example.TransposedStep", "--classpath", cp, "--steps", "1"),
                "hlo4j examples run: " + leaf + " (see 'hlo4j examples run --help')");
        refusedOnMesh(Cli.run("examples", "run", "--class", "com.example.TransposedStep", "--classpath", cp, "--steps", "1", "--mesh", "dp=2"),
                "hlo4j examples run: " + leaf + " (see 'hlo4j examples run --help')");
        String two = "com.example.TwoResults.trainStep() must return List.of(loss, params', opt_state') shaped like (params, opt_state): "
                + "got a list of 2";
        refused(Cli.run("dump", "--class", "com.example.TwoResults", "--classpath", cp, "--program", "train-step"),
                "hlo4j dump: " + two + " (see 'hlo4j dump --help')");
        refused(Cli.run("examples", "run", "--class", "com.example.TwoResults", "--classpath", cp, "--steps", "1"),
                "hlo4j examples run: " + two + " (see 'hlo4j examples run --help')");
        refusedOnMesh(Cli.run("examples", "run", "--class", "com.example.TwoResults", "--classpath", cp, "--steps", "1", "--mesh", "dp=2"),
                "hlo4j examples run: " + two + " (see 'hlo4j examples run --help')");
    }

    private static Path write(Path dir, String name, String src) throws Exception {
        Path f = dir.resolve("src2").resolve(name + ".java");
        Files.createDirectories(f.getParent());
        Files.writeString(f, src);
        return f;
    }

    private static void refused(Cli.Run r, String line) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).as(r.toString()).isEqualTo(line + "\n");
    }

    /** As {@link #refused}, and nothing on stdout: --mesh prints its header only with the traced step's first loss. */
    private static void refusedOnMesh(Cli.Run r, String line) {
        refused(r, line);
        assertThat(r.out()).as(r.toString()).isEmpty();
    }
}
