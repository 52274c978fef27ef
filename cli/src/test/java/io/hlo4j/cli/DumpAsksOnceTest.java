package io.hlo4j.cli;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j dump --class C} asks the model for its parameters and its batch once, with or without {@code --mesh}
 * (it asked twice with a mesh: once for the arguments, once for the shardings' checks), and prints what the separate
 * calls give: the program traced by {@link Training}'s own overloads that ask the model afresh.
 */
class DumpAsksOnceTest {
    /** mean((x w - y)^2), x [4, 2], w [2, 1]; counts params() and batch() in statics (the CLI makes its own instance). */
    public static final class Counted implements Example {
        static int params, batches;

        @Override public String name() { return "counted"; }

        @Override public Object params() {
            params++;
            return Map.of("w", HostArray.fromDoubles(TensorType.of(FloatType.F32, 2, 1), 0.5, -0.25));
        }

        @Override public List<Object> batch() {
            batches++;
            return List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 4, 2), 1, 2, -1, 0.5, 3, -2, 0.25, 1),
                    HostArray.fromDoubles(TensorType.of(FloatType.F32, 4, 1), 1, -1, 2, 0.5));
        }

        @SuppressWarnings("unchecked")
        @Override public TracedFunction loss() {
            return a -> ((Tensor) a[1]).matmul(((Map<String, Tensor>) a[0]).get("w")).sub((Tensor) a[2]).square().mean();
        }

        @Override public Optimizer optimizer() { return AdamW.of(0.1); }
    }

    private static final String CLASS = Counted.class.getName();

    @BeforeEach void reset() {
        Counted.params = 0;
        Counted.batches = 0;
    }

    private static Cli.Run dump(String... extra) {
        String[] args = new String[3 + extra.length];
        args[0] = "dump";
        args[1] = "--class";
        args[2] = CLASS;
        System.arraycopy(extra, 0, args, 3, extra.length);
        Cli.Run r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Counted.params).as("params() calls").isEqualTo(1);
        assertThat(Counted.batches).as("batch() calls").isEqualTo(1);
        return r;
    }

    @Test void theLossOnAMeshAsksOnceAndIsWhatTheSeparateCallsTrace() {
        Cli.Run r = dump("--emit", "annotated", "--mesh", "dp=2");
        Mesh mesh = DumpCommand.parseMesh("dp=2", null);
        Counted old = new Counted();
        String want = Training.shardedLoss(old, mesh).lower(Training.lossArgs(old)).asText();
        assertThat(Counted.params).as("the old path asks twice").isEqualTo(3);
        assertThat(r.out()).isEqualTo(want.endsWith("\n") ? want : want + "\n");
        assertThat(r.out()).contains("sdy.sharding");
    }

    @Test void theTrainStepOnAMeshAsksOnceAndIsWhatTheSeparateCallsTrace() {
        Cli.Run r = dump("--program", "train-step", "--emit", "annotated", "--mesh", "dp=2");
        Mesh mesh = DumpCommand.parseMesh("dp=2", null);
        Counted old = new Counted();
        String want = Training.shardedTrainStep(old, mesh).lower(Training.trainStepArgs(old)).asText();
        assertThat(r.out()).isEqualTo(want.endsWith("\n") ? want : want + "\n");
    }

    @Test void withoutAMeshAndWithExplicitOutputItAsksOnce() {
        Cli.Run global = dump();
        Counted old = new Counted();
        String want = Jit.jit(old.loss()).lower(Training.lossArgs(old)).asText();
        assertThat(global.out()).isEqualTo(want.endsWith("\n") ? want : want + "\n");
        reset();
        dump("--emit", "explicit", "--mesh", "dp=2");
    }
}
