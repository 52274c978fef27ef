package io.hlo4j.examples;

import java.io.PrintStream;

/** A runnable example: a name, a one-line description, and a run that prints its progress. */
public interface Example {
    String name();

    String description();

    /** Runs the example, printing to {@code out}; returns its final loss (for tests). */
    double run(PrintStream out);
}
