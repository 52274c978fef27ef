package io.hlo4j.examples;

import java.io.PrintStream;

/** A runnable example: a name, a one-line description, and a run that prints its progress. */
public interface Example {
    String name();

    String description();

    /** Training steps when none are asked for. */
    default int defaultSteps() { return 0; }

    /** Runs the example for {@code steps} training steps (0: forward only), printing to {@code out}; returns its final loss. */
    double run(PrintStream out, int steps);

    default double run(PrintStream out) { return run(out, defaultSteps()); }
}
