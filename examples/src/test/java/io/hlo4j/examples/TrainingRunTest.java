package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Training#run} asks the model for its parameters and its batch once (a model's seeded data can cost more than
 * its steps) and prints what the separate calls print: the loss, the loop of {@link Training#loop} and the loss at its
 * last parameters, each from fresh params() and batch(); the initial loss also by hand. {@link Training#runSharded} (what
 * {@code examples run --mesh} runs) asks once too and gives the losses of the separate calls. Only a {@link BundledModel}'s
 * shardings skip {@link ShardingCheck}, whatever the class's package (this file's models sit in hlo4j's own).
 */
class TrainingRunTest {
    /** mean((x w - y)^2) for x [4, 2], w [2, 1]; counts the calls of params() and batch(). */
    static final class Counted implements Example {
        int params, batches;

        @Override public String name() { return "counted"; }

        @Override public Object params() {
            params++;
            return Map.of("w", HostArray.fromDoubles(TensorType.of(DType.F32.elementType(), 2, 1), 0.5, -0.25));
        }

        @Override public List<Object> batch() {
            batches++;
            HostArray x = HostArray.fromDoubles(TensorType.of(DType.F32.elementType(), 4, 2), 1, 2, -1, 0.5, 3, -2, 0.25, 1);
            HostArray y = HostArray.fromDoubles(TensorType.of(DType.F32.elementType(), 4, 1), 1, -1, 2, 0.5);
            return List.of(x, y);
        }

        @SuppressWarnings("unchecked")
        @Override public TracedFunction loss() {
            return a -> ((Tensor) a[1]).matmul(((Map<String, Tensor>) a[0]).get("w")).sub((Tensor) a[2]).square().mean();
        }

        @Override public Optimizer optimizer() { return AdamW.of(0.1); }
    }

    @Test
    void runSeedsOnceAndPrintsWhatTheSeparateCallsGive() {
        Counted e = new Counted();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        double fin = Training.run(e, new PrintStream(buf, true, StandardCharsets.UTF_8), 3);
        assertThat(e.params).isEqualTo(1);
        assertThat(e.batches).isEqualTo(1);

        // The old path: params() and batch() asked afresh for the loss, the loop and the final loss.
        Counted old = new Counted();
        Jit loss = Jit.jit(Example.symbol(old), old.loss());
        double l0 = loss.call1(Training.lossArgs(old)).getDouble(0);
        StringBuilder want = new StringBuilder(String.format("initial loss %.6f%n", l0));
        Object[] last = new Object[1];
        Training.loop((i, l) -> want.append(String.format("step %d loss %.6f%n", i, l)), old, 3, last);
        Object[] args = Training.lossArgs(old);
        args[0] = last[0];
        double l = loss.call1(args).getDouble(0);
        want.append(String.format("final loss %.6f (initial %.6f)%n", l, l0));
        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo(want.toString());
        assertThat(fin).isEqualTo(l);

        // By hand: the rows of x w - y are -1, 0.375, 0, -0.625 (exact in f32), so the mean of squares is 1.53125 / 4.
        assertThat(l0).isEqualTo(1.53125 / 4);
        assertThat(fin).isLessThan(l0);
    }

    /** The five model axes, dp=2 and the rest 1, as {@code --mesh dp=2} makes them. */
    private static final Mesh DP2 = Mesh.of(List.of("dp", "fsdp", "ep", "tp", "sp"), 2, 1, 1, 1, 1);

    @Test
    void runShardedSeedsOnceAndGivesTheSeparateCallsLosses() {
        Counted e = new Counted();
        Object[] last = new Object[1];
        double[] losses = Training.runSharded(e, DP2, 3, (i, l) -> { }, last);
        assertThat(e.params).isEqualTo(1);
        assertThat(e.batches).isEqualTo(1);

        // The old path: the step traced from shardings checked on fresh params() and batch(), run on fresh arguments.
        Counted old = new Counted();
        var step = Training.shardedTrainStep(old, DP2);
        Object[] args = Training.trainStepArgs(old);
        for (int i = 0; i < 3; i++) {
            List<?> r = (List<?>) step.callSimulated(args).results();
            assertThat(losses[i]).as("step %d", i).isEqualTo(((HostArray) r.get(0)).getDouble(0));
            args[0] = r.get(1);
            args[1] = r.get(2);
        }
        assertThat(old.params).isGreaterThan(1);   // what the old path asked: the reason for the change
        // and the one-device loop, up to the rounding of the partitioned sums
        double[] one = Training.loop((i, l) -> { }, new Counted(), 3);
        for (int i = 0; i < 3; i++) assertThat(losses[i]).isCloseTo(one[i], org.assertj.core.data.Offset.offset(1e-6));
        assertThat(losses[0]).isEqualTo(1.53125 / 4);
    }

    /** Counted with w's sharding over dp on its dimension of size 1, which dp=2 does not divide. */
    static class BadSharding extends Counted0 {
        @Override public Object paramShardings(Mesh mesh) { return Map.of("w", NamedSharding.of(mesh, null, "dp")); }
    }

    /** The same model marked as one of hlo4j's own. */
    static final class BundledBadSharding extends BadSharding implements BundledModel { }

    /** Counted, not final, for the two above. */
    static class Counted0 implements Example {
        final Counted c = new Counted();
        @Override public String name() { return c.name(); }
        @Override public Object params() { return c.params(); }
        @Override public List<Object> batch() { return c.batch(); }
        @Override public TracedFunction loss() { return c.loss(); }
        @Override public Optimizer optimizer() { return c.optimizer(); }
    }

    @Test
    void onlyAMarkedModelSkipsTheShardingChecksWhateverItsPackage() {
        BadSharding user = new BadSharding();
        assertThat(user.getClass().getName()).startsWith("io.hlo4j.");   // the package the old rule trusted
        assertThatThrownBy(() -> ShardingCheck.params(user, DP2, user.params()))
                .isInstanceOf(ShardingCheck.ShardingException.class)
                .hasMessageContaining(BadSharding.class.getName() + ".paramShardings(mesh)")
                .hasMessageContaining("params.w");
        // batch shardings: the default's, one per leaf, checked (x [4, 2] and y [4, 1] split by rows over dp=2)
        assertThat(ShardingCheck.batch(user, DP2, user.batch())).hasSize(2);

        BundledBadSharding own = new BundledBadSharding();
        List<NamedSharding> passed = ShardingCheck.params(own, DP2, own.params());
        assertThat(passed).containsExactly(NamedSharding.of(DP2, null, "dp"));   // on as it is: the built-in answers for it
    }
}
