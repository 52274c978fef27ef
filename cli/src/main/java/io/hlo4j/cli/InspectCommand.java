package io.hlo4j.cli;

import io.hlo4j.compiler.cost.CostAnalysis;
import io.hlo4j.compiler.cost.CostReport;
import io.hlo4j.compiler.cost.Target;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.hlo.HloFile;
import io.hlo4j.runtime.hlo.HloSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code hlo4j inspect}: what a StableHLO module costs and how it is split, per function and in total. */
@Command(name = "inspect",
        description = {"Static cost report of a StableHLO module: FLOPs, bytes, memory, collectives.",
                "Per function and in total: op histogram, parameters, FLOPs, bytes read and written (unfused),",
                "arithmetic intensity and roofline time for a target, peak memory of a sequential schedule, every",
                "collective (replica groups, group size, the bytes each device receives, as run --spmd measures",
                "them, and the buffer it holds), and the sdy.sharding of each argument and result (mesh axes per",
                "dimension, per-device shard shape).",
                "A FILE ending in .pb is an optimized program: an HloModuleProto (PJRT's hlo), an HloProto",
                "(XLA's --xla_dump_hlo_as_proto, *.hlo.pb) or an HloModuleProtoWithConfig (PJRT's hlo_with_config,",
                "hlo4j compile --dump-optimized-proto), told apart by their fields: its fusions and",
                "collectives, the bytes received counted the same way. Implicit replica groups are sized by the",
                "replica and partition counts of the config or the module's device_assignment; without them the",
                "bytes are unknown, with the reason. FILE.pb.gz (--xla_dump_compress_protos) is read through gunzip."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j inspect model.mlir",
                "  hlo4j inspect --target tpu-v5p model.mlir",
                "  hlo4j inspect --json model.mlir | jq '.functions[0].flops'",
                "  hlo4j inspect model.pb                  what XLA fused, and its collectives",
                "  hlo4j inspect module_0001.jit_f.sm_9.0_gpu_after_optimizations.hlo.pb.gz"})
final class InspectCommand extends CliCommand {
    @Option(names = "--json", description = "Write JSON (keys functions, total, collectives, arguments, results).")
    boolean json;

    @Option(names = "--target", paramLabel = "NAME", defaultValue = "h100",
            description = "Accelerator for the roofline: h100 (default), h200, a100, b200, tpu-v4, tpu-v5e, tpu-v5p, tpu-v6e.")
    String target;

    @Parameters(paramLabel = "FILE", description = "The MLIR file to inspect (or an optimized program, FILE.pb).")
    Path file;

    @Override public Integer call() {
        Target t;
        try {
            t = Target.named(target);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        if (name.endsWith(".pb") || name.endsWith(".pb.gz")) return inspectOptimized(name.endsWith(".gz"));
        List<String> parts = new ArrayList<>();
        try {
            List<Module> modules = ModuleText.parse(file);
            ModuleText.verify(modules);
            for (Module m : modules) {
                // per-shard sizes need shardings that fit their tensors and name a declared mesh: refused at the annotation's line
                io.hlo4j.mlir.dialect.sdy.SdyVerifier.verifyShardingAnnotations(m.op());
                CostAnalysis.ModuleCost c = CostAnalysis.analyze(m);
                parts.add(json ? annotatedJson(m, CostReport.json(c, t)) : annotatedHint(m, oversizedMeshHint(m, CostReport.text(c, t))));
            }
        } catch (Exception | StackOverflowError e) {
            fail(file, e);
            return Main.FAILED;
        }
        if (json && parts.size() > 1) {
            // Several modules (split by // -----): a JSON array of their reports.
            out().print("[\n" + String.join(",\n", parts.stream().map(String::strip).toList()) + "\n]\n");
        } else {
            out().print(String.join(ModuleText.SPLIT_MARKER + "\n", parts));
        }
        out().flush();
        return Main.OK;
    }

    /** A mesh past the device limits: dump and run --spmd refuse it, so they are not suggested (annotatedHint then leaves the line). */
    private static String oversizedMeshHint(Module m, String text) {
        for (var site : io.hlo4j.compiler.spmd.DeviceLimits.meshes(m)) {
            if (site.devices() > io.hlo4j.compiler.spmd.DeviceLimits.MAX_SIMULATED_DEVICES) {
                long n = site.devices();
                return text.replace("\ncollectives: none\n", "\ncollectives: none in this global program; " + site.what() + " has "
                        + (n == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(n)) + " devices: run --spmd simulates at most "
                        + io.hlo4j.compiler.spmd.DeviceLimits.MAX_SIMULATED_DEVICES
                        + (n > io.hlo4j.compiler.spmd.DeviceLimits.MAX_PARTITIONED_DEVICES
                                ? " and dump partitions for at most " + io.hlo4j.compiler.spmd.DeviceLimits.MAX_PARTITIONED_DEVICES : "") + "\n");
            }
        }
        return text;
    }

    /**
     * An annotated module (one declaring an {@code sdy.mesh}) is the global program: its collectives appear only once it
     * is partitioned, so "none" would mislead; say where they are instead.
     */
    private String annotatedHint(Module m, String text) {
        if (!isAnnotatedGlobal(m)) return text;
        return text.replace("\ncollectives: none\n", "\ncollectives: none in this global program (it declares an sdy.mesh): `hlo4j dump "
                + file + " -o DEVICE.mlir` writes its per-device program (add `--locations` to see each collective's source line), "
                + "whose collectives and bytes `hlo4j inspect DEVICE.mlir` lists; `hlo4j run " + file
                + " --spmd --collectives` runs it and logs each\n");
    }

    /** The JSON form of the same hint: a field saying the collectives appear after partitioning (added first, the rest unchanged). */
    private static String annotatedJson(Module m, String json) {
        if (!isAnnotatedGlobal(m) || !json.startsWith("{\n")) return json;
        return "{\n  \"collectives_after_partitioning\": true,\n" + json.substring(2);
    }

    /** An annotated global program: it declares an {@code sdy.mesh} and uses it ({@link io.hlo4j.mlir.dialect.sdy.MeshUse}). */
    private static boolean isAnnotatedGlobal(Module m) { return io.hlo4j.mlir.dialect.sdy.MeshUse.of(m).annotatedGlobal(); }

    /**
     * An optimized program: HloModuleProto, HloProto or HloModuleProtoWithConfig bytes ({@link HloFile} tells which), its
     * fusions and collectives as {@code compile} reports them, sized by the device counts the file states.
     */
    private int inspectOptimized(boolean gzipped) {
        try {
            CliFiles.requireInputFile(file, null);
            byte[] bytes = gzipped ? gunzip(file) : java.nio.file.Files.readAllBytes(file);
            HloFile hlo = HloFile.decode(bytes);
            HloSummary summary = hlo.summary();
            if (json) {
                com.fasterxml.jackson.databind.ObjectMapper om = new com.fasterxml.jackson.databind.ObjectMapper()
                        .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
                com.fasterxml.jackson.databind.node.ObjectNode root = om.createObjectNode();
                com.fasterxml.jackson.databind.node.ObjectNode p =
                        CompileCommand.programJson(root.putObject("optimized_program"), hlo.program(), summary, bytes.length);
                p.put("message", hlo.message().xlaName);
                if (hlo.countsFrom() != null) p.put("replica_count", hlo.replicas()).put("num_partitions", hlo.partitions())
                        .put("counts_from", hlo.countsFrom());
                out().print(om.writeValueAsString(root) + "\n");
            } else {
                out().print(hlo.header() + summary.text());
            }
        } catch (Exception | StackOverflowError e) {
            fail(file, e);
            return Main.FAILED;
        }
        out().flush();
        return Main.OK;
    }

    /** Largest optimized program read from a .pb.gz: a bound on what a hostile archive can make us hold. */
    static final int MAX_GUNZIPPED = 1 << 30;

    /** A {@code .pb.gz} (as {@code --xla_dump_compress_protos} writes it), decompressed up to {@link #MAX_GUNZIPPED} bytes. */
    static byte[] gunzip(Path file) throws java.io.IOException {
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(java.nio.file.Files.newInputStream(file))) {
            byte[] b = in.readNBytes(MAX_GUNZIPPED + 1);
            if (b.length > MAX_GUNZIPPED)
                throw new IllegalArgumentException("decompresses to more than " + MAX_GUNZIPPED + " bytes; inspect reads optimized programs up to 1 GiB");
            return b;
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException("not a gzip file (" + e.getMessage() + ")");
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException("gzip data ends early (truncated file)");
        }
    }
}
