package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Training#run} asks the model for its parameters and its batch once (a model's seeded data can cost more than
 * its steps) and prints what the separate calls print: the loss, the loop of {@link Training#loop} and the loss at its
 * last parameters, each from fresh params() and batch(); the initial loss also by hand.
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
}
