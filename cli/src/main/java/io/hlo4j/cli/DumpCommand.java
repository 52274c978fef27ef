package io.hlo4j.cli;

import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.compiler.spmd.propagate.Propagated;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.compiler.spmd.propagate.ShardingConflict;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.dsl.shard.ShardedJit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code hlo4j dump}: traces a model (a built-in one, or the user's {@link Example} found through {@link ModelSource}) and
 * writes its StableHLO, its loss or its train step ({@code --program}): the global program, the
 * Shardy-annotated one (with a mesh), or the explicit per-device program hlo4j's own SPMD partitioner makes of it.
 * {@code --stage} stops after tracing (the annotated text as traced), after propagation (every op carries the
 * sharding propagation chose, as Shardy leaves it) or after partitioning (the explicit program).
 */
@Command(name = "dump",
        // one line per entry, each under the help width: the first stands alone in 'hlo4j --help'
        description = {"Write the StableHLO of a built-in or your own model, or of an annotated module.",
                "A model is traced, a module read; the text goes to stdout, or to -o FILE.",
                "MODEL: moe (the MoE layer, shapes from --config; default a small Mixtral-like config),",
                "mlp (= mlp-regression, the MLP example's loss), moe-regression (the MoE example's loss) or",
                "mixtral-lm (the Mixtral-style language model example's loss), or your own: --class FQCN (a class",
                "implementing io.hlo4j.examples.Example) or its name, on --classpath. No MODEL: list the models.",
                "--program train-step writes the example's whole train step instead of its loss.",
                "Weights are zeros or seeded random: only the program's text is written.",
                "FILE.mlir (or any other existing file, unless a model has its name): a Shardy-annotated module on",
                "its own sdy.mesh; --emit explicit (the default) writes hlo4j's per-device program, --emit",
                "annotated the module as parsed or propagated."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j dump moe",
                "  hlo4j dump moe --config moe.json --batch 2 --seq 16 -o moe.mlir",
                "  hlo4j dump moe --emit annotated --mesh dp=1,fsdp=2,ep=2,tp=2,sp=1",
                "  hlo4j dump mlp --emit annotated --mesh dp=2",
                "  hlo4j dump moe --emit annotated --stage propagated --mesh fsdp=2,ep=2,tp=2",
                "  hlo4j dump moe --emit explicit --mesh dp=2,ep=2,tp=2 -o moe-per-device.mlir",
                "  hlo4j dump mlp --program train-step --emit annotated --mesh dp=2",
                "  hlo4j dump --classpath my-models.jar",
                "  hlo4j dump --class com.example.MyModel --classpath classes/ --emit explicit --mesh dp=2",
                "  hlo4j dump mlp.mlir --emit explicit -o mlp-per-device.mlir",
                "  hlo4j dump mlp.mlir --emit annotated --stage propagated"})
final class DumpCommand extends CliCommand {
    /** The small Mixtral-like default: 8 experts, top-2, SwiGLU, hidden 64, intermediate 128. */
    static final MoeConfig DEFAULT_MOE = MoeConfig.of(8, 2, 64, 128);

    @Parameters(paramLabel = "MODEL", arity = "0..1", description = {"moe, mlp, mlp-regression, moe-regression, mixtral-lm,",
            "a model on --classpath, or an annotated module FILE.mlir.", "None: list the models."})
    String model;

    @Option(names = "--class", paramLabel = "FQCN", description = {"Your model: a class implementing io.hlo4j.examples.Example", "(on --classpath)."})
    String className;

    @Option(names = "--classpath", paramLabel = "PATH", description = {"Jars, class folders or .java sources (joined by ':') with your models.",
            "Those in META-INF/services/io.hlo4j.examples.Example are found by name."})
    String classpath;

    @Option(names = "--program", paramLabel = "PROGRAM", defaultValue = "loss",
            description = "loss (default: the model's loss(), the function as traced) or train-step: (params, opt_state, batch...) -> "
                    + "[loss, params', opt_state'], the step the example trains with (on a mesh the optimizer state sharded like its parameter).")
    String program;

    @Option(names = "--config", paramLabel = "FILE", description = "MoE config JSON (the keys of docs/moe.md); only for moe.")
    Path config;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "2", description = "moe: batch size of x [B, S, H] (default 2).")
    int batch;

    @Option(names = "--seq", paramLabel = "S", defaultValue = "8", description = "moe: sequence length of x [B, S, H] (default 8).")
    int seq;

    @Option(names = "--mesh", paramLabel = "AXES",
            description = "The 5D model mesh, e.g. dp=1,fsdp=2,ep=2,tp=2,sp=1 (axes left out are 1; one may be -1: "
                    + "the devices the others leave of --devices).")
    String mesh;

    @Option(names = "--devices", paramLabel = "N", description = "Refuse a --mesh whose size is not N; with an axis -1, N sets its size.")
    Integer devices;

    @Option(names = "--emit", paramLabel = "FORM", defaultValue = "global",
            description = {"global (the default for a model), annotated (needs --mesh) or explicit",
                    "(the per-device program; needs --mesh). For a module FILE.mlir, which",
                    "has its own mesh: explicit (the default) or annotated."})
    String emit;

    @Option(names = "--stage", paramLabel = "STAGE",
            description = "Where to stop: traced (the default for global and annotated), propagated (annotated, with "
                    + "the sharding of every value) or partitioned (the default for explicit). Needs --mesh past traced.")
    String stage;

    @Option(names = "--locations", description = "Print loc(...) on every op: the Java line (or input file line) each op, and each "
            + "collective of the per-device program, came from; inspect and run then name those lines.")
    boolean locations;

    @Option(names = "--inputs", paramLabel = "DIR",
            description = {"Also write the model's arguments as DIR/arg<i>.npy, in @main's order:",
                    "its seeded parameters and data, for 'hlo4j run FILE --input DIR'.",
                    "The examples' models and yours; not moe (traced on shapes only).",
                    "Global arrays: with --emit global or annotated, not explicit.",
                    "Other DIR/arg<i>.npy files are removed."})
    Path inputs;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
    Path output;

    @Override public Integer call() throws IOException {
        try (ModelSource source = ModelSource.open(classpath)) {
            if (model == null && className == null) return list(source);
            // a model's name (ours, or one on --classpath) means the model even where a file of that name exists
            if (className == null && DumpFile.isFile(model, DumpModel.names(source))) return dumpFile();
            return dumpModel(source);
        }
    }

    /** {@code hlo4j dump [--classpath P]}: the models there are to dump, one a line. */
    private int list(ModelSource source) {
        var parsed = spec.commandLine().getParseResult();
        for (var o : parsed.matchedOptions()) {
            if (!o.longestName().equals("--classpath")) throw usage("give MODEL (or --class FQCN) to dump; " + o.longestName() + " applies to a model");
        }
        Example moe = new DumpModel.MoeLayer(DEFAULT_MOE, batch, seq);
        // every line made before one is printed: a user's description() that throws leaves no partial list
        String lines = String.format("%-16s %s%n", moe.name(), moe.description()) + ModelSource.listing(source.all());
        out().print(lines);
        out().flush();
        return Main.OK;
    }

    private int dumpModel(ModelSource source) throws IOException {
        if (model != null && className != null) throw usage("give MODEL or --class FQCN, not both");
        switch (emit) {
            case "global" -> { if (mesh != null) throw usage("--mesh needs --emit annotated or explicit (global emission has no mesh)"); }
            case "annotated", "explicit" -> { if (mesh == null) throw usage("--emit " + emit + " needs --mesh"); }
            default -> throw usage("--emit: unknown form '" + emit + "' (expected global, annotated or explicit)");
        }
        if (stage == null) stage = emit.equals("explicit") ? "partitioned" : "traced";
        switch (stage) {
            case "traced", "propagated" -> {
                if (emit.equals("explicit")) throw usage("--stage " + stage + " is a stage of the annotated program: use --emit annotated");
                if (stage.equals("propagated") && mesh == null) throw usage("--stage propagated needs --mesh");
            }
            case "partitioned" -> { if (mesh == null) throw usage("--stage partitioned needs --mesh"); }
            default -> throw usage("--stage: unknown stage '" + stage + "' (expected traced, propagated or partitioned)");
        }
        boolean train = switch (program) {
            case "loss" -> false;
            case "train-step" -> true;
            default -> throw usage("--program: unknown program '" + program + "' (expected loss or train-step)");
        };
        boolean isMoe = className == null && model.equals("moe");
        if (config != null && !isMoe) throw usage("--config applies only to the moe model");
        if (batch < 1 || seq < 1) throw usage("--batch and --seq must be at least 1");
        var parsed = spec.commandLine().getParseResult();
        String shown = className != null ? className : model;
        if (!isMoe && (parsed.hasMatchedOption("--batch") || parsed.hasMatchedOption("--seq"))) {
            throw usage("--batch and --seq apply only to the moe model (" + shown + " has fixed shapes)");
        }
        Mesh meshObj = mesh == null ? null : parseMesh(mesh, devices);
        if (meshObj == null && devices != null) throw usage("--devices needs --mesh");
        if (inputs != null && isMoe) {
            throw usage("--inputs: the moe model is traced on shapes only and has no values to write; the examples' models have them");
        }
        if (inputs != null && emit.equals("explicit")) {
            // the per-device program takes each device's blocks, not the global arrays --inputs holds
            throw usage("--inputs writes global arrays, which the per-device program of --emit explicit does not take: dump with "
                    + "--emit annotated --mesh " + mesh + " --inputs DIR and run that with 'hlo4j run FILE --spmd --input DIR' "
                    + "(or --emit global without --mesh)");
        }
        if (isMoe && train) throw usage("--program train-step: the moe layer does not train (it has no loss); dump an example's");
        Example ex;
        if (className != null) ex = source.byClass(className);
        else if (isMoe) ex = new DumpModel.MoeLayer(config == null ? DEFAULT_MOE : MoeRunCommand.readConfig(config), batch, seq);
        else {
            ex = source.byName(DumpModel.canonical(model));
            if (ex == null) {
                throw usage("unknown model '" + model + "'" + NearestNames.didYouMean(NearestNames.among(DumpModel.names(source), model))
                        + " (expected one of " + String.join(", ", DumpModel.names(source)) + ")");
            }
        }
        if (inputs != null) CliFiles.checkOutputDir(inputs, "--inputs");
        if (output != null) CliFiles.checkOutputFile(output, "-o");
        Example m = ex;
        Object[][] args = new Object[1][];
        Lowered lowered = traced(m, isMoe ? "moe" : className != null ? null : model, () -> {
            if (train && m.optimizer() == null) {
                throw usage("--program train-step: " + m.name() + " has no optimizer() (its loss() does not train), so no train step");
            }
            // params() and batch() once (as Training.run): a model's seeded data can cost more than its tracing, and the
            // arguments, the shardings' checks and the optimiser state's shardings share them
            Object params = m.params();
            List<Object> batch = m.batch();
            args[0] = train ? Training.trainStepArgs(m, params, batch) : Training.lossArgs(params, batch);
            if (meshObj == null) return Jit.jit(train ? Training.trainStep(m) : m.loss()).lower(args[0]); // @main, as `hlo4j run` expects
            return (train ? Training.shardedTrainStep(m, meshObj, params, batch) : Training.shardedLoss(m, meshObj, params, batch)).lower(args[0]);
        });
        if (inputs != null) writeInputs(m, args[0]);
        String text = switch (stage) {
            case "propagated" -> {
                Propagated prop = Propagation.propagate(lowered.module());
                for (ShardingConflict c : prop.conflicts()) err().println("hlo4j: propagation: " + c);
                yield MlirPrinter.print(prop.module(), new io.hlo4j.mlir.print.PrintOptions(false, locations));
            }
            case "partitioned" -> {
                PartitionedProgram pp = Spmd.explicit(lowered.module());
                for (var entry : pp.report().entries()) err().println("hlo4j: partitioner: " + entry);
                yield MlirPrinter.print(pp.moduleWithMeshes(), new io.hlo4j.mlir.print.PrintOptions(false, locations));
            }
            default -> locations ? lowered.asTextWithLocations() : lowered.asText();
        };
        write(text);
        return Main.OK;
    }

    /**
     * Traces a model: hlo4j's own with every op at {@code loc("hlo4j.builtin.<builtin>")} (this file's lines mean nothing to
     * its user); a user's at the user's lines, what it throws a usage error naming the class, its message and its line.
     */
    static Lowered traced(Example m, String builtin, java.util.function.Supplier<Lowered> trace) {
        if (builtin != null && ModelSource.isBundled(m)) return SourceLoc.asBuiltin(builtin, trace::get);   // the MoE layer is marked too
        return ModelSource.guard(m, "while tracing", trace);
    }

    /** The model's arguments as arg<i>.npy, flattened in @main's order (a map's entries by key). */
    private void writeInputs(Example m, Object[] args) throws IOException {
        List<Object> leaves = new java.util.ArrayList<>();
        io.hlo4j.dsl.Pytree.flatten(List.of(args), leaves);
        for (int i = 0; i < leaves.size(); i++) {
            if (!(leaves.get(i) instanceof io.hlo4j.runtime.array.HostArray)) {
                throw usage("--inputs: " + ModelSource.guard(m, "in name()", m::name) + "'s argument " + i + " is " + leaves.get(i) + ", not a value to write");
            }
        }
        Files.createDirectories(inputs);
        for (int i = 0; i < leaves.size(); i++) CliFiles.writeNpy(inputs.resolve("arg" + i + ".npy"), (io.hlo4j.runtime.array.HostArray) leaves.get(i));
        InputFolders.removeBeyond(inputs, "arg", leaves.size()); // a model with more arguments dumped there before
    }

    /** A user module: its own mesh, so only --emit, --stage and -o apply. */
    private int dumpFile() throws IOException {
        var parsed = spec.commandLine().getParseResult();
        for (String flag : new String[] {"--config", "--batch", "--seq", "--mesh", "--devices", "--inputs", "--classpath", "--program"}) {
            if (parsed.hasMatchedOption(flag)) {
                throw usage(flag + " applies to the built-in models; " + model + " is a module file (its mesh is its own sdy.mesh)");
            }
        }
        if (!parsed.hasMatchedOption("--emit")) emit = "explicit";
        switch (emit) {
            case "explicit" -> {
                if (stage == null) stage = "partitioned";
                if (!stage.equals("partitioned")) {
                    throw usage("--stage " + stage + " is a stage of the annotated program: use --emit annotated");
                }
            }
            case "annotated" -> {
                if (stage == null) stage = "traced";
                if (!stage.equals("traced") && !stage.equals("propagated")) {
                    throw usage("--stage " + stage + " with --emit annotated: expected traced (the module as parsed) or propagated");
                }
            }
            case "global" -> throw usage("--emit global is a built-in model's unannotated program; for the module file " + model
                    + " use --emit annotated (as written, or --stage propagated) or explicit (the per-device program)");
            default -> throw usage("--emit: unknown form '" + emit + "' (expected annotated or explicit for a module file)");
        }
        if (output != null) CliFiles.checkOutputFile(output, "-o");
        write(DumpFile.text(Path.of(model), stage, err(), locations));
        return Main.OK;
    }

    private void write(String text) throws IOException {
        if (!text.endsWith("\n")) text += "\n";
        if (output == null) {
            out().print(text);
            out().flush();
        } else {
            CliFiles.prepareOutputFile(output, "-o");
            CliFiles.writeString(output, text);
        }
    }

    /** The largest --mesh: 2^24 devices, far above any real machine, and small enough for the mesh's tables. */
    static final long MAX_MESH_DEVICES = 1L << 24;

    /**
     * {@code dp=1,fsdp=2,...}: the five model axes (any order, each at most once, omitted ones 1) as the 5D mesh. One
     * axis may be -1, as in EasyDeL's {@code sharding_axis_dims = (1, -1, 1, 1, 1)}: it takes the devices the others
     * leave of {@code devices} ({@code --devices N}, which it then needs). Every command's {@code --mesh} is read here, so
     * every one has the same limit ({@link #MAX_MESH_DEVICES}, checked as the sizes multiply, before a product can wrap).
     */
    static Mesh parseMesh(String s, Integer devices) {
        if (devices != null && devices < 1) throw usage("--devices must be at least 1, got " + devices);
        if (devices != null && devices > MAX_MESH_DEVICES) throw tooManyDevices("--devices " + devices);
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String a : ExpertMeshView.MODEL_AXES) sizes.put(a, 1);
        Map<String, Integer> given = new LinkedHashMap<>(); // the sizes written, in the user's order
        String rest = null;
        for (String part : s.split(",", -1)) {
            int eq = part.indexOf('=');
            String axis = eq < 0 ? part.strip() : part.substring(0, eq).strip();
            if (eq < 0) throw usage("--mesh: '" + part + "' is not AXIS=SIZE (e.g. dp=1,fsdp=2,ep=2,tp=2,sp=1)");
            if (axis.equals("expert")) {
                throw usage("--mesh: 'expert' is an axis of the 3D expert mesh (dp, expert, tp), a view of the 5D model mesh: "
                        + "give the 5D axes (dp, fsdp, ep, tp, sp); fsdp, ep and sp fold into expert (fsdp_is_ep_bound, sp_is_ep_bound)");
            }
            if (!sizes.containsKey(axis)) throw usage("--mesh: unknown axis '" + axis + "' (expected dp, fsdp, ep, tp, sp)");
            if (given.containsKey(axis) || axis.equals(rest)) throw usage("--mesh: axis '" + axis + "' given twice");
            String v = part.substring(eq + 1).strip();
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw usage("--mesh: size of '" + axis + "' is '" + v + "', not a whole number");
            }
            if (n == -1) {
                if (rest != null) throw usage("--mesh: both '" + rest + "' and '" + axis + "' are -1; at most one axis takes the devices left");
                rest = axis;
                continue;
            }
            if (n < 1) throw usage("--mesh: size of '" + axis + "' is " + n + ", must be at least 1 (or -1 for the devices left, with --devices N)");
            given.put(axis, n);
        }
        // each partial product is at most MAX_MESH_DEVICES before it takes a factor below 2^31: it cannot wrap
        long product = 1;
        List<String> factors = new java.util.ArrayList<>();
        for (var e : given.entrySet()) {
            product *= e.getValue();
            factors.add(e.getKey() + "=" + e.getValue());
            if (product > MAX_MESH_DEVICES) {
                boolean all = rest == null && factors.size() == given.size();
                throw tooManyDevices("--mesh " + s + " has " + (all ? product : "at least " + product + " (" + String.join(" x ", factors) + ")")
                        + " devices");
            }
            sizes.put(e.getKey(), e.getValue());
        }
        if (rest != null) {
            if (devices == null) {
                throw usage("--mesh: " + rest + "=-1 means the devices the other axes leave (EasyDeL's -1), so it needs --devices N "
                        + "(dump and moe run have it); or write its size");
            }
            if (devices % product != 0) {
                throw usage("--mesh " + s + ": the other axes hold " + product + " devices, which do not divide --devices " + devices
                        + ", so " + rest + "=-1 has no whole size");
            }
            sizes.put(rest, (int) (devices / product));
            product = devices;
        }
        if (devices != null && product != devices) {
            throw usage("--mesh " + s + " has " + product + " devices but --devices is " + devices);
        }
        return ExpertMeshView.modelMesh(sizes.get("dp"), sizes.get("fsdp"), sizes.get("ep"), sizes.get("tp"), sizes.get("sp"));
    }

    /** The one refusal of a mesh past {@link #MAX_MESH_DEVICES}, whether --mesh or --devices asked for it. */
    private static Main.UsageError tooManyDevices(String what) {
        // the mesh's device tables are built eagerly: near 2^31 devices they alone exhaust the heap
        return usage(what + "; a mesh has at most " + MAX_MESH_DEVICES + " devices");
    }
}
