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
 * {@code hlo4j dump}: traces a built-in model on shapes alone and writes its StableHLO: the global program, the
 * Shardy-annotated one (with a mesh), or the explicit per-device program hlo4j's own SPMD partitioner makes of it.
 * {@code --stage} stops after tracing (the annotated text as traced), after propagation (every op carries the
 * sharding propagation chose, as Shardy leaves it) or after partitioning (the explicit program).
 */
@Command(name = "dump",
        description = {"Trace a built-in model, or read an annotated module file, and write its StableHLO (stdout, or -o FILE).",
                "MODEL: moe (the MoE layer, shapes from --config; default a small Mixtral-like config),",
                "mlp (= mlp-regression, the MLP example's loss), moe-regression (the MoE example's loss) or",
                "mixtral-lm (the Mixtral-style language model example's loss).",
                "Weights are zeros or seeded random: only the program's text is written.",
                "FILE.mlir (or any existing file): a Shardy-annotated module on its own sdy.mesh; --emit explicit",
                "(the default) writes hlo4j's per-device program, --emit annotated the module as parsed or propagated."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j dump moe",
                "  hlo4j dump moe --config moe.json --batch 2 --seq 16 -o moe.mlir",
                "  hlo4j dump moe --emit annotated --mesh dp=1,fsdp=2,ep=2,tp=2,sp=1",
                "  hlo4j dump mlp --emit annotated --mesh dp=2",
                "  hlo4j dump moe --emit annotated --stage propagated --mesh fsdp=2,ep=2,tp=2",
                "  hlo4j dump moe --emit explicit --mesh dp=2,ep=2,tp=2 -o moe-per-device.mlir",
                "  hlo4j dump mlp.mlir --emit explicit -o mlp-per-device.mlir",
                "  hlo4j dump mlp.mlir --emit annotated --stage propagated"})
final class DumpCommand extends CliCommand {
    /** The small Mixtral-like default: 8 experts, top-2, SwiGLU, hidden 64, intermediate 128. */
    static final MoeConfig DEFAULT_MOE = MoeConfig.of(8, 2, 64, 128);

    @Parameters(paramLabel = "MODEL", description = "moe, mlp, mlp-regression, moe-regression or mixtral-lm; or an annotated module FILE.mlir.")
    String model;

    @Option(names = "--config", paramLabel = "FILE", description = "MoE config JSON (the keys of docs/moe.md); only for moe.")
    Path config;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "2", description = "moe: batch size of x [B, S, H] (default 2).")
    int batch;

    @Option(names = "--seq", paramLabel = "S", defaultValue = "8", description = "moe: sequence length of x [B, S, H] (default 8).")
    int seq;

    @Option(names = "--mesh", paramLabel = "AXES",
            description = "The 5D model mesh, e.g. dp=1,fsdp=2,ep=2,tp=2,sp=1 (axes left out are 1).")
    String mesh;

    @Option(names = "--devices", paramLabel = "N", description = "Refuse a --mesh whose size is not N.")
    Integer devices;

    @Option(names = "--emit", paramLabel = "FORM", defaultValue = "global",
            description = "global (default), annotated (needs --mesh) or explicit (the per-device program; needs --mesh).")
    String emit;

    @Option(names = "--stage", paramLabel = "STAGE",
            description = "Where to stop: traced (the default for global and annotated), propagated (annotated, with "
                    + "the sharding of every value) or partitioned (the default for explicit). Needs --mesh past traced.")
    String stage;

    @Option(names = "--locations", description = "Print loc(...) on every op: the Java line (or input file line) each op, and each "
            + "collective of the per-device program, came from; inspect and run then name those lines.")
    boolean locations;

    @Option(names = "--inputs", paramLabel = "DIR",
            description = {"Also write the model's own arguments (seeded parameters and data) as DIR/arg<i>.npy in @main's order,",
                    "for 'hlo4j run FILE --input DIR': the examples' models (moe is traced on shapes only). Global arrays:",
                    "with --emit global or annotated, not explicit. Other DIR/arg<i>.npy files are removed."})
    Path inputs;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
    Path output;

    @Override public Integer call() throws IOException {
        if (DumpFile.isFile(model)) return dumpFile();
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
        DumpModel m = DumpModel.byName(model);
        if (m == null) throw usage("unknown model '" + model + "' (expected one of " + String.join(", ", DumpModel.NAMES) + ")");
        if (config != null && m != DumpModel.MOE) throw usage("--config applies only to the moe model");
        if (batch < 1 || seq < 1) throw usage("--batch and --seq must be at least 1");
        var parsed = spec.commandLine().getParseResult();
        if (m != DumpModel.MOE && (parsed.hasMatchedOption("--batch") || parsed.hasMatchedOption("--seq"))) {
            throw usage("--batch and --seq apply only to the moe model (" + model + " has fixed shapes)");
        }
        Mesh meshObj = mesh == null ? null : parseMesh(mesh, devices);
        if (meshObj == null && devices != null) throw usage("--devices needs --mesh");

        if (inputs != null && m == DumpModel.MOE) {
            throw usage("--inputs: the moe model is traced on shapes only and has no values to write; the examples' models have them");
        }
        if (inputs != null && emit.equals("explicit")) {
            // the per-device program takes each device's blocks, not the global arrays --inputs holds
            throw usage("--inputs writes global arrays, which the per-device program of --emit explicit does not take: dump with "
                    + "--emit annotated --mesh " + mesh + " --inputs DIR and run that with 'hlo4j run FILE --spmd --input DIR' "
                    + "(or --emit global without --mesh)");
        }
        if (inputs != null) CliFiles.checkOutputDir(inputs, "--inputs");
        if (output != null) CliFiles.checkOutputFile(output, "-o");
        MoeConfig cfg = config == null ? DEFAULT_MOE : MoeRunCommand.readConfig(config);
        MoeConfig moeCfg = cfg;
        // ops and errors carry loc("hlo4j.builtin.<model>"), not this file's line
        Lowered lowered = SourceLoc.asBuiltin(m.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), () -> {
            DumpModel.Program p = m.program(moeCfg, batch, seq, meshObj);
            return meshObj == null
                    ? Jit.jit(p.fn()).lower(p.args()) // @main, as `hlo4j run` expects
                    : ShardedJit.jit(p.name(), p.fn(), p.inShardings(), p.outShardings()).lower(p.args());
        });
        if (inputs != null) writeInputs(m, moeCfg, meshObj);
        String text = switch (stage) {
            case "propagated" -> {
                Propagated prop = Propagation.propagate(lowered.module());
                for (ShardingConflict c : prop.conflicts()) err().println("hlo4j: propagation: " + c);
                yield MlirPrinter.print(prop.module(), new io.hlo4j.mlir.print.PrintOptions(false, locations));
            }
            case "partitioned" -> {
                PartitionedProgram pp = Spmd.explicit(lowered.module());
                for (var entry : pp.report().entries()) err().println("hlo4j: partitioner: " + entry);
                yield MlirPrinter.print(pp.module(), new io.hlo4j.mlir.print.PrintOptions(false, locations));
            }
            default -> locations ? lowered.asTextWithLocations() : lowered.asText();
        };
        write(text);
        return Main.OK;
    }

    /** The model's arguments as arg<i>.npy, flattened in @main's order (a map's entries by key). */
    private void writeInputs(DumpModel m, MoeConfig cfg, Mesh mesh) throws IOException {
        List<Object> leaves = new java.util.ArrayList<>();
        io.hlo4j.dsl.Pytree.flatten(List.of(m.program(cfg, batch, seq, mesh).args()), leaves);
        Files.createDirectories(inputs);
        for (int i = 0; i < leaves.size(); i++) {
            if (!(leaves.get(i) instanceof io.hlo4j.runtime.array.HostArray a)) {
                throw new IllegalStateException("dump " + model + ": argument " + i + " has no value (" + leaves.get(i) + ")");
            }
            CliFiles.writeNpy(inputs.resolve("arg" + i + ".npy"), a);
        }
        InputFolders.removeBeyond(inputs, "arg", leaves.size()); // a model with more arguments dumped there before
    }

    /** A user module: its own mesh, so only --emit, --stage and -o apply. */
    private int dumpFile() throws IOException {
        var parsed = spec.commandLine().getParseResult();
        for (String flag : new String[] {"--config", "--batch", "--seq", "--mesh", "--devices", "--inputs"}) {
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

    /** {@code dp=1,fsdp=2,...}: the five model axes (any order, each at most once, omitted ones 1) as the 5D mesh. */
    static Mesh parseMesh(String s, Integer devices) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String a : ExpertMeshView.MODEL_AXES) sizes.put(a, 1);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String part : s.split(",", -1)) {
            int eq = part.indexOf('=');
            String axis = eq < 0 ? part.strip() : part.substring(0, eq).strip();
            if (eq < 0) throw usage("--mesh: '" + part + "' is not AXIS=SIZE (e.g. dp=1,fsdp=2,ep=2,tp=2,sp=1)");
            if (!sizes.containsKey(axis)) throw usage("--mesh: unknown axis '" + axis + "' (expected dp, fsdp, ep, tp, sp)");
            if (!seen.add(axis)) throw usage("--mesh: axis '" + axis + "' given twice");
            String v = part.substring(eq + 1).strip();
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw usage("--mesh: size of '" + axis + "' is '" + v + "', not a whole number");
            }
            if (n < 1) throw usage("--mesh: size of '" + axis + "' is " + n + ", must be at least 1");
            sizes.put(axis, n);
        }
        long product = sizes.values().stream().mapToLong(Integer::longValue).reduce(1, (x, y) -> x * y);
        if (product > Integer.MAX_VALUE) throw usage("--mesh " + s + " has " + product + " devices, more than a mesh can hold (" + Integer.MAX_VALUE + ")");
        if (devices != null && product != devices) {
            throw usage("--mesh " + s + " has " + product + " devices but --devices is " + devices);
        }
        return ExpertMeshView.modelMesh(sizes.get("dp"), sizes.get("fsdp"), sizes.get("ep"), sizes.get("tp"), sizes.get("sp"));
    }
}
