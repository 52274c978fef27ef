package io.hlo4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** What every subcommand shares: its streams, the root's {@code --verbose}, and one-line failure reports. */
abstract class CliCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    PrintWriter out() { return spec.commandLine().getOut(); }
    PrintWriter err() { return spec.commandLine().getErr(); }

    boolean verbose() {
        CommandSpec s = spec;
        while (s.parent() != null) s = s.parent();
        return s.userObject() instanceof Main m && m.verbose();
    }

    /** Prints {@code hlo4j: <file>: <why>} for a failed input. */
    void fail(Path file, Throwable t) { Diagnostics.report(err(), file, t, verbose()); }

    static Main.UsageError usage(String message) { return new Main.UsageError(message); }

    /** A usage error caused by {@code cause} (the user's exception), whose stack trace {@code --verbose} prints. */
    static Main.UsageError usage(String message, Throwable cause) { return new Main.UsageError(message, cause); }
}
