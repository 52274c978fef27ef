package io.hlo4j.examples;

import io.hlo4j.dsl.optim.TrainStep;

import java.io.PrintStream;

/** The shared training loop of the examples: one jitted step per iteration, the loss printed per step. */
final class Training {
    private Training() {}

    /** Runs {@code steps} steps on a fixed batch; prints {@code step N loss L}; returns the last step's loss (computed before that step's update). */
    static double loop(PrintStream out, TrainStep.Runner runner, int steps, Object... batch) {
        double loss = Double.NaN;
        for (int i = 0; i < steps; i++) {
            loss = runner.step(batch);
            if (!Double.isFinite(loss)) throw new IllegalStateException("loss diverged at step " + i + ": " + loss);
            out.printf("step %d loss %.6f%n", i, loss);
        }
        return loss;
    }
}
