package io.hlo4j.cli;

import io.hlo4j.dsl.SourceLoc;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.runtime.array.HostArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code hlo4j moe run}: traces the DSL's MoE layer ({@link BaseMoeModule#moeCall}) for the given config and
 * shapes, runs it on the interpreter and writes its results as .npy files plus metrics.json. Everything goes to
 * a temporary folder first and is moved into place only once the whole run succeeded.
 */
@Command(name = "run",
        description = {"Run the MoE layer on x.npy with the weights in DIR and write the results to OUT.",
                "DIR holds gate.npy [H, E], wi.npy and wu.npy [E, H, M], wd.npy [E, M, H], optionally",
                "wi_bias.npy, wu_bias.npy [E, M], wd_bias.npy [E, H] and token_ids.npy [B, S] (HASH).",
                "x is [B, S, H]. OUT receives output.npy [B, S, H], router_logits.npy [B*S, E],",
                "expert_loads.npy [E], selected_experts.npy, selected_weights.npy and metrics.json",
                "(null for a loss the config does not compute). Runs on the interpreter, or on a PJRT plugin's",
                "first device with --pjrt-plugin (or HLO4J_PJRT_PLUGIN); --mesh runs on simulated devices: it",
                "refuses --pjrt-plugin and leaves HLO4J_PJRT_PLUGIN unused. OUT is written only when the whole run",
                "succeeded. On a plugin, --num-processes N --process-id I --coordinator HOST:PORT (as for run) make",
                "this one process of a job: every process runs the layer on its own first device and prints the same",
                "line; process 0 writes OUT."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j moe run --config moe.json --weights w/ --input x.npy -o out/",
                "  hlo4j moe run --config moe.json --weights w/ --input x.npy -o out/ --method dense --dump moe.mlir",
                "  hlo4j moe run --config moe.json --weights w/ --input x.npy -o out/ --mesh dp=1,fsdp=2,ep=2,tp=2,sp=1 \\",
                "      --ep-mode auto --dump-dir dumps/ --collectives-report comm.json"})
final class MoeRunCommand extends CliCommand {
    static final List<String> OUTPUTS = List.of("output", "router_logits", "expert_loads", "selected_experts", "selected_weights");
    static final List<String> METRICS = List.of("load_balancing_loss", "router_z_loss", "expert_utilization", "routing_entropy");

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The layer's config (JSON, the keys of docs/moe.md).")
    Path config;

    @Option(names = "--weights", required = true, paramLabel = "DIR", description = "Folder of the weight .npy files.")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "The hidden state x [B, S, H] (.npy).")
    Path input;

    @Option(names = {"-o", "--output-dir"}, required = true, paramLabel = "OUT", description = "Folder for the results.")
    Path outputDir;

    @Option(names = "--method", paramLabel = "METHOD",
            description = "fused, standard or dense (also fused_moe, ...); default: the config's moe_method.")
    String method;

    @Option(names = "--dump", paramLabel = "FILE", description = "Also write the traced StableHLO module to FILE.")
    Path dump;

    @picocli.CommandLine.Mixin PjrtFlags pjrt;

    @picocli.CommandLine.Mixin ProcessFlags processes;

    @Option(names = "--mesh", paramLabel = "AXIS=SIZE,...",
            description = "Run partitioned on this 5D model mesh of simulated devices (dp, fsdp, ep, tp, sp; missing axes are 1; "
                    + "one may be -1, the devices the others leave of --devices), "
                    + "through hlo4j's partitioner; the gathered results are written as without a mesh.")
    String mesh;

    @Option(names = "--devices", paramLabel = "N", description = "With --mesh: the number of simulated devices, checked against the mesh's size "
            + "(with an axis -1, N sets its size).")
    Integer devices;

    @Option(names = "--ep-mode", paramLabel = "MODE", defaultValue = "auto",
            description = "With --mesh, fused method: auto, replicated, token-sharded or ring (default auto: the fewest bytes moved).")
    String epMode;

    @Option(names = "--emit", paramLabel = "FORM", defaultValue = "annotated",
            description = "With --mesh, what --dump writes: annotated (the global module with Shardy annotations, default) or "
                    + "explicit (the per-device module).")
    String emit;

    @Option(names = "--dump-dir", paramLabel = "DIR",
            description = "With --mesh, write annotated.mlir (global module) and explicit.mlir (per-device module) to DIR.")
    Path dumpDir;

    @Option(names = "--collectives-report", paramLabel = "FILE",
            description = "With --mesh, write a JSON report of every collective executed and the cost model's bounds to FILE.")
    Path collectivesReport;

    @Override public Integer call() throws IOException {
        if (mesh != null) return callMesh();
        if (dumpDir != null || collectivesReport != null || devices != null || !epMode.equals("auto") || !emit.equals("annotated")) {
            throw usage("--devices, --ep-mode, --emit, --dump-dir and --collectives-report need --mesh");
        }
        MoEMethods m = method == null ? null : parseMethod(method);
        Path pjrtPlugin = pjrt.use();
        io.hlo4j.runtime.pjrt.distributed.JobSpec job = processes.job(System.getenv(), pjrtPlugin, pjrt.createOptions());
        boolean writes = job == null || job.processId() == 0;   // one process of a job writes OUT: only its paths are checked
        if (writes && Files.exists(outputDir) && !Files.isDirectory(outputDir)) throw usage("-o " + outputDir + " is not a directory");
        checkPaths(writes);
        MoeConfig cfg = readConfig(config);
        if (m != null) cfg = cfg.withMoeMethod(m);
        MoeRunInputs in = MoeRunInputs.load(cfg, weights, input);

        List<String> names = new ArrayList<>(in.arrays().keySet());
        HostArray[] argv = in.arrays().values().toArray(HostArray[]::new);
        List<String> outNames = new ArrayList<>();
        MoeConfig c = cfg;
        Lowered lowered = SourceLoc.asBuiltin("moe", () -> jit(c, names, outNames).lower((Object[]) argv));
        List<HostArray> res;
        if (pjrtPlugin != null) {
            // one partition: in a job each process compiles and runs the layer on its own first device
            res = PjrtSession.with(pjrtPlugin, pjrt.createOptions(), job, backend -> {
                io.hlo4j.dsl.jit.Compiled compiled = lowered.compile(backend);
                if (job != null) out().println(PjrtRun.placement(job, (io.hlo4j.runtime.backend.PjrtBackend.Compiled) compiled.executable()));
                return compiled.call(argv);
            });
        } else {
            res = lowered.compile(io.hlo4j.runtime.backend.Backend.interpreter()).call(argv);
        }
        Map<String, HostArray> r = new LinkedHashMap<>();
        for (int i = 0; i < outNames.size(); i++) r.put(outNames.get(i), res.get(i));

        if (writes) MoeOutputWriter.write(outputDir, r, metricsJson(r), dump == null ? Map.of() : Map.of(dump, lowered.asText()));
        long[] xs = in.arrays().get("x").shape();
        if (in.ignoredTokenIds()) {
            out().println("note: " + weights.resolve("token_ids.npy") + " not used (routing_strategy is "
                    + cfg.routingStrategy().value() + ", not hash)");
        }
        out().printf("moe run: %s, %d tokens (B=%d, S=%d), E=%d, k=%d, %s, %s: %s %s%s%n",
                cfg.moeMethod().value(), xs[0] * xs[1], xs[0], xs[1], cfg.nRoutedExperts(), cfg.numExpertsPerTok(),
                routing(cfg), cfg.dtype().value(), writes ? "wrote" : "process 0 writes", outputDir, dump == null ? "" : " and " + dump);
        out().flush();
        return Main.OK;
    }

    /**
     * The input files and every output path this process writes ({@code writes}: -o and --dump), checked before the
     * layer is traced: a wrong one costs no run.
     */
    private void checkPaths(boolean writes) throws IOException {
        CliFiles.requireInputFile(config, "--config");
        CliFiles.requireInputFile(input, "--input");
        if (writes) CliFiles.checkOutputDir(outputDir, "-o");
        if (writes && dump != null) CliFiles.checkOutputFile(dump, "--dump");
        if (dumpDir != null) CliFiles.checkOutputDir(dumpDir, "--dump-dir");
        if (collectivesReport != null) CliFiles.checkOutputFile(collectivesReport, "--collectives-report");
    }

    /** A config file through {@code MoeConfigJson}, which names the file (and the line of a JSON syntax error) itself. */
    static MoeConfig readConfig(Path file) throws IOException {
        return MoeConfigJson.parse(CliFiles.readText(file), file.toString());
    }

    /** {@code --mesh}: the layer partitioned by hlo4j's partitioner on simulated devices (see {@link MeshMoeRun}). */
    private Integer callMesh() throws IOException {
        MoEMethods m = method == null ? null : parseMethod(method);
        io.hlo4j.dsl.moe.ep.EpMode mode;
        try {
            mode = io.hlo4j.dsl.moe.ep.EpMode.parse(epMode);
        } catch (IllegalArgumentException e) {
            throw usage("--ep-mode: " + e.getMessage());
        }
        if (!emit.equals("annotated") && !emit.equals("explicit")) throw usage("--emit: '" + emit + "' is neither annotated nor explicit");
        pjrt.unused("--mesh runs on simulated devices in the interpreter");
        processes.unused("--mesh runs on simulated devices in this process", System.getenv());
        io.hlo4j.dsl.shard.Mesh meshObj = DumpCommand.parseMesh(mesh, devices);
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) throw usage("-o " + outputDir + " is not a directory");
        checkPaths(true);
        MoeConfig cfg = readConfig(config);
        if (m != null) cfg = cfg.withMoeMethod(m);
        MoeRunInputs in = MoeRunInputs.load(cfg, weights, input);
        MoeConfig c = cfg;
        MeshMoeRun r = SourceLoc.asBuiltin("moe", () -> MeshMoeRun.run(c, meshObj, mode, in.arrays()));

        Map<Path, String> texts = new LinkedHashMap<>();
        if (dump != null) texts.put(dump, emit.equals("explicit") ? r.explicitText() : r.annotatedText());
        if (dumpDir != null) {
            texts.put(dumpDir.resolve("annotated.mlir"), r.annotatedText());
            texts.put(dumpDir.resolve("explicit.mlir"), r.explicitText());
        }
        if (collectivesReport != null) texts.put(collectivesReport, CollectivesReport.json(r, meshObj));
        MoeOutputWriter.write(outputDir, r.results(), metricsJson(r.results()), texts);
        long[] xs = in.arrays().get("x").shape();
        if (in.ignoredTokenIds()) {
            out().println("note: " + weights.resolve("token_ids.npy") + " not used (routing_strategy is "
                    + cfg.routingStrategy().value() + ", not hash)");
        }
        long moved = 0;
        for (long b : r.run().bytesReceivedPerDevice(meshObj.size())) moved = Math.max(moved, b);
        out().printf("moe run: %s, %d tokens (B=%d, S=%d), E=%d, k=%d, %s, %s, on mesh %s (%d simulated devices%s): "
                        + "%s, at most %d bytes received per device: wrote %s%s%n",
                cfg.moeMethod().value(), xs[0] * xs[1], xs[0], xs[1], cfg.nRoutedExperts(), cfg.numExpertsPerTok(),
                routing(cfg), cfg.dtype().value(), CollectivesReport.describe(meshObj), meshObj.size(),
                r.mode() == null ? "" : ", EP mode " + r.mode().cliName(), CollectivesReport.count(r.run().log().size()), moved, outputDir,
                texts.isEmpty() ? "" : " and " + String.join(", ", texts.keySet().stream().map(Path::toString).toList()));
        out().flush();
        return Main.OK;
    }

    /** The CLI's short names, and the config's own spellings; anything else is refused with the choices. */
    static MoEMethods parseMethod(String s) {
        return switch (s) {
            case "fused", "fused_moe" -> MoEMethods.FUSED_MOE;
            case "standard", "standard_moe" -> MoEMethods.STANDARD_MOE;
            case "dense", "dense_moe" -> MoEMethods.DENSE_MOE;
            default -> throw usage("--method: unknown method '" + s + "' (expected fused, standard or dense)");
        };
    }

    /** The whole layer as one traced function of the arrays named {@code names}; fills {@code outNames}. */
    private static Jit jit(MoeConfig cfg, List<String> names, List<String> outNames) {
        return Jit.jit(layer(cfg, names, outNames)); // named main, so that `hlo4j run` runs a dump as it is
    }

    /** The layer as a traceable function of the arrays named {@code names}; fills {@code outNames} when traced. */
    static io.hlo4j.dsl.jit.TracedFunction layer(MoeConfig cfg, List<String> names, List<String> outNames) {
        return io.hlo4j.dsl.moe.NamedMoeLayer.of(cfg, MoeFusedHooks.none(), names, outNames, false);
    }

    /** The four metrics as scalars, null for a loss whose coefficient the config leaves out. */
    static String metricsJson(Map<String, HostArray> r) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode node = json.createObjectNode();
        for (String k : METRICS) {
            HostArray v = r.get(k);
            if (v == null) node.putNull(k);
            else node.put(k, v.toDoubleArray()[0]);
        }
        return json.writeValueAsString(node) + "\n";
    }

    /**
     * The summary's routing: "top_k routing"; for switch with k > 1 also that it routes one slot per token, since
     * EasyDeL's switch keeps k slots (each weighted 1.0) and a config copied from there says k = 2.
     */
    static String routing(MoeConfig cfg) {
        String r = cfg.routingStrategy().value() + " routing";
        return cfg.slotsPerToken() != cfg.numExpertsPerTok() ? r + " (" + cfg.slotsPerToken() + " expert per token, whatever k)" : r;
    }
}
