package io.hlo4j.cli;

import io.hlo4j.runtime.interp.VectorModule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The {@code hlo4j} command. Each subcommand is one class listed in {@code subcommands} below; adding one is
 * a new class and one entry here. Exit codes: 0 ok, 1 some input failed, 2 usage error. Every error is one
 * line ({@code hlo4j: file:line:col: message}); {@code --verbose} adds the stack trace.
 */
@Command(name = "hlo4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Write, shard and run XLA programs from Java: StableHLO tools.",
        subcommands = {
                PrintCommand.class,
                VerifyCommand.class,
                DemoCommand.class,
                BenchCommand.class,
                RunCommand.class,
                CompileCommand.class,
                ConformanceCommand.class,
                InspectCommand.class,
                DiffCommand.class,
                GraphCommand.class,
                ShardingsCommand.class,
                ExamplesCommand.class,
                MoeCommand.class,
                DumpCommand.class,
                CommandLine.HelpCommand.class,
        },
        footerHeading = "%nExamples:%n",
        footer = {
                "  hlo4j demo                     trace, partition (8 simulated devices) and run a MoE block",
                "  hlo4j print --generic f.mlir   print f.mlir in generic op form",
                "  hlo4j verify a.mlir b.mlir     check both files",
                "  hlo4j help print               help for one command",
        })
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    @Spec CommandSpec spec;

    private boolean verbose;

    /** Inherited by every subcommand, so both {@code hlo4j --verbose print} and {@code hlo4j print --verbose} work. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Show stack traces with errors.")
    void setVerbose(boolean v) { verbose = v; }

    boolean verbose() { return verbose; }

    @Override public void run() {
        spec.commandLine().getErr().println("hlo4j: no command given; commands: "
                + String.join(", ", spec.subcommands().keySet().stream().filter(n -> !n.equals("help")).toList())
                + " (see 'hlo4j --help')");
        throw new NoCommand();
    }

    /** Signals "usage error, message already printed". */
    static final class NoCommand extends RuntimeException {
        NoCommand() { super(null, null, false, false); }
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line with the given streams (what tests call); never throws. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cl = commandLine(main, out, err);
        try {
            return cl.execute(args);
        } catch (Throwable t) { // Errors (stack overflow, out of memory) pass through picocli
            Diagnostics.report(err, null, t, main.verbose);
            return FAILED;
        } finally {
            out.flush();
            err.flush();
        }
    }

    static CommandLine commandLine(Main main, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setUsageHelpWidth(HELP_WIDTH);
        cl.setOverwrittenOptionsAllowed(true); // the last of --locations/--no-locations wins, as in git or gcc
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine where = ex.getCommandLine();
            String name = where.getCommandSpec().qualifiedName();
            err.println(name + ": " + usageMessage(ex) + " (see '" + name + " --help')");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, where, parseResult) -> {
            if (ex instanceof NoCommand) return USAGE;
            if (ex instanceof UsageError u) {
                String name = where.getCommandSpec().qualifiedName();
                err.println(name + ": " + u.getMessage() + " (see '" + name + " --help')");
                if (main.verbose && u.getCause() != null) u.getCause().printStackTrace(err);
                return USAGE;
            }
            Diagnostics.report(err, null, ex, main.verbose);
            return FAILED;
        });
        return cl;
    }

    /** Wide enough that no help line wraps, fixed so the help text does not depend on the terminal. */
    static final int HELP_WIDTH = 100;

    /**
     * picocli's message, except that an unknown subcommand is called one (with picocli's suggestions), a mistyped long
     * option gets the nearest of the command's options ({@link NearestNames}), and a path the
     * file system cannot hold (a NUL byte) is said so rather than as picocli's "cannot convert ... to interface
     * java.nio.file.Path (java.nio.file.InvalidPathException: ...)"; control characters of the user's values are
     * escaped, so the line stays one printable line.
     */
    private static String usageMessage(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            if (!first.startsWith("-") && !u.getCommandLine().getSubcommands().isEmpty()) {
                return printable("unknown command '" + first + "'" + NearestNames.didYouMean(u.getSuggestions()));
            }
            // the first mistyped option, wherever it is: an extra file before it does not hide it
            String option = u.getUnmatched().stream().filter(a -> a.startsWith("--")).findFirst().orElse(null);
            if (option != null) {
                String hint = NearestNames.didYouMean(NearestNames.options(u.getCommandLine().getCommandSpec(), option));
                if (!hint.isEmpty()) return printable(Diagnostics.firstLine(ex.getMessage()) + hint);
            }
        }
        CommandLine.Model.ArgSpec arg = ex.getArgSpec();
        String value = ex.getValue();
        if (arg != null && value != null && (arg.type() == java.nio.file.Path.class
                || arg.auxiliaryTypes().length > 0 && arg.auxiliaryTypes()[0] == java.nio.file.Path.class)) {
            try {
                java.nio.file.Path.of(value);
            } catch (java.nio.file.InvalidPathException ip) {
                String what = arg instanceof CommandLine.Model.OptionSpec o ? "option '" + o.longestName() + "'" : "parameter " + arg.paramLabel();
                return printable("invalid path '" + value + "' for " + what + ": " + ip.getReason());
            }
        }
        return printable(Diagnostics.firstLine(ex.getMessage()));
    }

    /** {@code s} with each control character written as a Java-style escape: backslash, 'u', four hex digits. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** Thrown by a command for a usage error found after parsing (e.g. several files without -o). */
    static final class UsageError extends RuntimeException {
        UsageError(String message) { super(message, null, false, false); }

        /** {@code cause}: what the user's code threw, whose stack trace {@code --verbose} prints under the line. */
        UsageError(String message, Throwable cause) { super(message, cause, false, false); }
    }

    /**
     * The version from the jar manifest ("dev" when running from classes: tests, IDE), and which of the interpreter's
     * kernels this JVM runs: the vector ones need {@code jdk.incubator.vector}, which {@code ./hlo4j} adds unless
     * {@code HLO4J_VECTOR=0}.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"hlo4j " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")",
                    "interpreter kernels: " + (VectorModule.inBootLayer() ? "vector (jdk.incubator.vector)" : "scalar (without jdk.incubator.vector)")};
        }
    }
}
