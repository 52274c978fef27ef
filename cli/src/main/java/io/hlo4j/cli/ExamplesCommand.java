package io.hlo4j.cli;

import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
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
        description = {"List or run the bundled DSL examples, or your own (traced with jit, trained on the interpreter).",
                "Your own: --class FQCN with --classpath PATH; --mesh trains on simulated devices.",
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
            footerHeading = "%nExamples:%n", footer = {"  hlo4j examples list", "  hlo4j examples list --classpath my-models.jar"})
    static final class ListExamples extends CliCommand {
        @Option(names = "--classpath", paramLabel = "PATH", description = "Also list the models on PATH (jars, class folders or .java sources, joined by ':').")
        String classpath;

        @Override public Integer call() {
            try (ModelSource source = ModelSource.open(classpath)) {
                out().print(ModelSource.listing(source.all()));
            }
            out().flush();
            return Main.OK;
        }
    }

    @Command(name = "run", description = {"Train one example, printing the loss per step.",
                    "Its jit runs on --pjrt-plugin PATH (with --pjrt-option create options), else on the plugin",
                    "HLO4J_PJRT_PLUGIN names, else on the interpreter."}, mixinStandardHelpOptions = true,
            footerHeading = "%nExamples:%n", footer = {"  hlo4j examples run mlp-regression --steps 50",
                    "  hlo4j examples run mlp-regression --steps 5 --mesh dp=2",
                    "  hlo4j examples run --class com.example.MyModel --classpath classes/ --mesh dp=2,tp=2",
                    "  hlo4j examples run moe-regression --pjrt-plugin xla_cuda_plugin.so --pjrt-option preallocate=false"})
    static final class RunExample extends CliCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "An example's name (see 'hlo4j examples list').")
        String name;

        @Option(names = "--steps", paramLabel = "N", description = "Training steps (default: the example's own; 0 = forward pass only).")
        Integer steps;

        @Option(names = "--mesh", paramLabel = "AXES", description = {"Train on the simulated devices of this 5D model mesh (e.g. dp=2,fsdp=2;",
                "axes left out are 1): the train step sharded as 'hlo4j dump NAME",
                "--program train-step --mesh AXES' writes it, partitioned by hlo4j's",
                "SPMD partitioner, one interpreter per device."})
        String mesh;

        @Option(names = "--class", paramLabel = "FQCN", description = {"Your model instead of NAME: a class implementing", "io.hlo4j.examples.Example."})
        String className;

        @Option(names = "--classpath", paramLabel = "PATH", description = "Jars, class folders or .java sources (joined by ':') holding your models.")
        String classpath;

        @picocli.CommandLine.Mixin PjrtFlags pjrt;

        @Override public Integer call() {
            if (steps != null && steps < 0) throw usage("--steps must be >= 0, got " + steps);
            if (name == null && className == null) throw usage("give NAME (see 'hlo4j examples list') or --class FQCN");
            if (name != null && className != null) throw usage("give NAME or --class FQCN, not both");
            io.hlo4j.dsl.shard.Mesh meshObj = mesh == null ? null : DumpCommand.parseMesh(mesh, null);
            if (meshObj != null && (pjrt.explicitPlugin != null || !pjrt.options.isEmpty())) {
                throw usage("--mesh trains on simulated devices on the interpreter; --pjrt-plugin and --pjrt-option do not apply");
            }
            try (ModelSource source = ModelSource.open(classpath)) {
                Example ex = className != null ? source.byClass(className) : source.byName(name);
                if (ex == null) {
                    throw usage("no example '" + name + "'" + NearestNames.didYouMean(NearestNames.among(source.all().keySet(), name))
                            + " (known: " + String.join(", ", source.all().keySet()) + ")");
                }
                if (meshObj != null) return trainSharded(ex, meshObj);
                int n = steps != null ? steps : ModelSource.guard(ex, "in defaultSteps()", ex::defaultSteps);
                if (n > 0 && runsTheDefaultLoop(ex) && ModelSource.guard(ex, "in optimizer()", ex::optimizer) == null) {
                    throw usage(name(ex) + " has no optimizer(), so it does not train: --steps 0 prints its loss");
                }
                return trainHere(ex, n);
            }
        }

        private int trainHere(Example ex, int n) {
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
                    return io.hlo4j.runtime.backend.Backend.with(backend, () -> train(ex, n));
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
            return train(ex, n);
        }

        /** The train step sharded on the mesh, run on its simulated devices; each step's loss as the one-device run prints it. */
        private int trainSharded(Example ex, io.hlo4j.dsl.shard.Mesh m) {
            int n = steps != null ? steps : ModelSource.guard(ex, "in defaultSteps()", ex::defaultSteps);
            if (n == 0) throw usage("--mesh trains: give --steps 1 or more (--steps 0, the initial loss, runs on one device)");
            if (ModelSource.guard(ex, "in optimizer()", ex::optimizer) == null) {
                throw usage(name(ex) + " has no optimizer(), so no train step to run on --mesh " + mesh);
            }
            // the header goes out with the first step's line, after the step is traced: a refused step prints only its error
            String header = String.format("%s on %d simulated devices, mesh %s (the train step of 'hlo4j dump %s --program train-step --mesh ...', "
                    + "partitioned by hlo4j's SPMD partitioner):%n", name(ex), m.size(), meshText(m), name(ex));
            try (PrintStream ps = new PrintStream(new LineForwarder(out(), header), true, StandardCharsets.UTF_8)) {
                ModelSource.guard(ex, "while training", () -> Training.runSharded(ex, m, n, ps, null));
            }
            return Main.OK;
        }

        /** The model's name, checked when it was found; asked again in its guard. */
        private static String name(Example ex) { return ModelSource.guard(ex, "in name()", ex::name); }

        /** Whether {@code ex} trains with Example's own loop (Training.run), which needs its optimizer. */
        private static boolean runsTheDefaultLoop(Example ex) {
            try {
                return ex.getClass().getMethod("run", PrintStream.class, int.class).getDeclaringClass() == Example.class;
            } catch (NoSuchMethodException e) {
                return true;
            }
        }

        private static String meshText(io.hlo4j.dsl.shard.Mesh m) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < m.axisNames().size(); i++) sb.append(i == 0 ? "" : ",").append(m.axisNames().get(i)).append('=').append(m.sizes()[i]);
            return sb.toString();
        }

        private int train(Example ex, int n) {
            try (PrintStream ps = new PrintStream(new LineForwarder(out(), null), true, StandardCharsets.UTF_8)) {
                ModelSource.guard(ex, "while training", () -> ex.run(ps, n));
            }
            return Main.OK;
        }
    }

    /**
     * Forwards each finished line of bytes to the command's writer, so progress shows while training runs; a header, when
     * given, goes out just before the first line (never, when nothing is printed).
     */
    private static final class LineForwarder extends OutputStream {
        private final PrintWriter to;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private String header;

        LineForwarder(PrintWriter to, String header) {
            this.to = to;
            this.header = header;
        }

        @Override public void write(int b) {
            line.write(b);
            if (b == '\n') flush();
        }

        @Override public void flush() {
            if (header != null && line.size() > 0) {
                to.print(header);
                header = null;
            }
            to.print(line.toString(StandardCharsets.UTF_8));
            line.reset();
            to.flush();
        }

        @Override public void close() { flush(); }
    }
}
