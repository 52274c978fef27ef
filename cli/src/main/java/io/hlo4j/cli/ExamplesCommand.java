package io.hlo4j.cli;

import io.hlo4j.examples.Example;
import io.hlo4j.examples.Examples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code hlo4j examples list | run NAME [--steps N]}: the DSL examples (models traced to StableHLO and trained on
 * the interpreter), printing the loss per step.
 */
@Command(name = "examples",
        // The first line stands alone: 'hlo4j --help' lists each command by its first description line.
        description = {"List or run the bundled DSL examples (traced with jit, trained on the interpreter).",
                "With HLO4J_PJRT_PLUGIN set, their jit runs on that plugin instead."},
        mixinStandardHelpOptions = true,
        subcommands = {ExamplesCommand.ListExamples.class, ExamplesCommand.RunExample.class},
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j examples list", "  hlo4j examples run moe-regression --steps 100"})
final class ExamplesCommand extends CliCommand {
    @Override public Integer call() {
        err().println("hlo4j examples: say 'list' or 'run NAME'");
        return Main.USAGE;
    }

    @Command(name = "list", description = "Name and description of each example.", mixinStandardHelpOptions = true,
            footerHeading = "%nExamples:%n", footer = {"  hlo4j examples list"})
    static final class ListExamples extends CliCommand {
        @Override public Integer call() {
            for (Example e : Examples.all()) out().printf("%-16s %s%n", e.name(), e.description());
            out().flush();
            return Main.OK;
        }
    }

    @Command(name = "run", description = {"Train one example, printing the loss per step.",
                    "Its jit runs on --pjrt-plugin PATH (with --pjrt-option create options), else on the plugin",
                    "HLO4J_PJRT_PLUGIN names, else on the interpreter."}, mixinStandardHelpOptions = true,
            footerHeading = "%nExamples:%n", footer = {"  hlo4j examples run mlp-regression --steps 50",
                    "  hlo4j examples run moe-regression --pjrt-plugin xla_cuda_plugin.so --pjrt-option preallocate=false"})
    static final class RunExample extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "An example's name (see 'hlo4j examples list').")
        String name;

        @Option(names = "--steps", paramLabel = "N", description = "Training steps (default: the example's own; 0 = forward pass only).")
        Integer steps;

        @picocli.CommandLine.Mixin PjrtFlags pjrt;

        @Override public Integer call() {
            Example ex = Examples.all().stream().filter(e -> e.name().equals(name)).findFirst().orElse(null);
            if (ex == null) {
                err().println("hlo4j examples run: no example '" + name + "'; known: "
                        + String.join(", ", Examples.all().stream().map(Example::name).toList()));
                return Main.USAGE;
            }
            if (steps != null && steps < 0) {
                err().println("hlo4j examples run: --steps must be >= 0, got " + steps);
                return Main.USAGE;
            }
            if (pjrt.explicitPlugin != null || !pjrt.options.isEmpty()) {
                // --pjrt-plugin (or options for the variable's plugin): the examples' jit runs on that client, closed after
                java.nio.file.Path plugin;
                try {
                    plugin = pjrt.use();
                } catch (java.io.IOException e) {
                    fail(null, e);
                    return Main.FAILED;
                }
                try (io.hlo4j.runtime.backend.PjrtBackend backend = io.hlo4j.runtime.backend.PjrtBackend.open(plugin, pjrt.createOptions())) {
                    return io.hlo4j.runtime.backend.Backend.with(backend, () -> train(ex));
                }
            }
            // the examples' jit compiles on Backend.configured(): a plugin the environment names is checked as every command checks it
            // (the same lookup as Backend.configured(): the system property first, then the variable)
            java.nio.file.Path plugin = io.hlo4j.runtime.backend.PjrtBackend.configuredPlugin();
            if (plugin != null) {
                String property = System.getProperty(io.hlo4j.runtime.backend.PjrtBackend.PLUGIN_PROPERTY);
                try {
                    PluginFile.require(plugin, property != null && !property.isBlank()
                            ? "-D" + io.hlo4j.runtime.backend.PjrtBackend.PLUGIN_PROPERTY : PjrtFlags.ENV);
                } catch (java.io.IOException e) {
                    fail(null, e);
                    return Main.FAILED;
                }
            }
            return train(ex);
        }

        private int train(Example ex) {
            try (PrintStream ps = new PrintStream(new LineForwarder(out()), true, StandardCharsets.UTF_8)) {
                ex.run(ps, steps == null ? ex.defaultSteps() : steps);
            }
            return Main.OK;
        }
    }

    /** Forwards each finished line of bytes to the command's writer, so progress shows while training runs. */
    private static final class LineForwarder extends OutputStream {
        private final PrintWriter to;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineForwarder(PrintWriter to) { this.to = to; }

        @Override public void write(int b) {
            line.write(b);
            if (b == '\n') flush();
        }

        @Override public void flush() {
            to.print(line.toString(StandardCharsets.UTF_8));
            line.reset();
            to.flush();
        }

        @Override public void close() { flush(); }
    }
}
