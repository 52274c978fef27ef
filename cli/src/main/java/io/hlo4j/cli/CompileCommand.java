package io.hlo4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.hlo.HloProgram;
import io.hlo4j.runtime.hlo.HloSummary;
import io.hlo4j.runtime.hlo.proto.HloModuleConfigProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.PjrtException;
import io.hlo4j.runtime.pjrt.PjrtExecutable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code hlo4j compile}: compiles a StableHLO module through a PJRT plugin (as {@code run --pjrt-plugin} and
 * the DSL's jit do) and reports what the plugin's compiler made of it: cost analysis, memory statistics and
 * the optimized program's fusions and collectives, optionally written out as HLO text.
 */
@Command(name = "compile",
        description = {"Compile a StableHLO module with a PJRT plugin and report cost, memory and fusions.",
                "Reports the executable's cost analysis and memory statistics, and the optimized program (HLO)",
                "with its fusions (count, kinds) and collectives (op, replica groups, group size, bytes received",
                "per device, as inspect counts them). --dump-optimized writes the optimized program as XLA's HLO",
                "text. The plugin is --pjrt-plugin PATH, else HLO4J_PJRT_PLUGIN. The partition count is the",
                "module's mhlo.num_partitions unless --num-partitions gives it; partitions go to the plugin's",
                "first N addressable devices. As one process of a job (--num-processes N --process-id I",
                "--coordinator HOST:PORT, as for run), a program of N > 1 partitions is compiled over the job's",
                "first N devices, the same assignment in every process, and the report says which partitions and",
                "devices are this process's; a program of one partition is compiled by each process for its own",
                "first device. Process 0 writes the --dump files (only its paths are checked)."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j compile model.mlir --pjrt-plugin xla_cuda_plugin.so --dump-optimized model.hlo",
                "  hlo4j compile spmd.mlir --pjrt-plugin libtpu.so --num-partitions 8 --json",
                "  HLO4J_PJRT_PLUGIN=xla_cuda_plugin.so hlo4j compile model.mlir --pjrt-option preallocate=false",
                "  hlo4j compile spmd.mlir --pjrt-plugin libtpu.so --num-processes 4 --process-id 0 --coordinator host0:29517"})
final class CompileCommand extends CliCommand {
    @Parameters(paramLabel = "FILE", description = "The MLIR module (one module).")
    Path file;

    @picocli.CommandLine.Mixin PjrtFlags pjrt;

    @picocli.CommandLine.Mixin ProcessFlags processes;

    @Option(names = "--num-partitions", paramLabel = "N", description = "Partitions (devices) to compile for (default: the module's).")
    Integer numPartitions;

    @Option(names = "--dump-optimized", paramLabel = "OUT.hlo", description = "Write the optimized program as HLO text to this file.")
    Path dumpOptimized;

    @Option(names = "--dump-optimized-proto", paramLabel = "OUT.pb",
            description = "Write the optimized program as a serialized HloModuleProtoWithConfig (what hlo4j inspect OUT.pb reads). "
                    + "Its config is the plugin's own when the plugin returns one (format hlo_with_config), kept whole, with only the "
                    + "replica/partition counts it leaves 0 filled in; else a config of just those two counts. Either way it states "
                    + "the counts this report sized implicit replica groups with.")
    Path dumpOptimizedProto;

    @Option(names = "--json", description = "Write the report as JSON (keys file, platform, pjrt_api, partitions, devices, compile_ms, "
            + "cost_analysis, memory_stats, optimized_program; optimized_program adds dump and dump_proto, the files "
            + "--dump-optimized and --dump-optimized-proto wrote; one process of a job adds process: index, count, and "
            + "the partitions and devices that are its own).")
    boolean json;

    @Override public Integer call() throws IOException {
        if (numPartitions != null && numPartitions < 1) throw usage("--num-partitions must be at least 1, got " + numPartitions);
        Path pjrtPlugin = pjrt.require();
        Map<String, Object> options = pjrt.createOptions();
        io.hlo4j.runtime.pjrt.distributed.JobSpec job = processes.job(System.getenv(), pjrtPlugin, options);
        List<Module> modules = ModuleText.parse(file);
        if (modules.size() != 1) throw new IllegalArgumentException(file + " holds " + modules.size() + " modules; compile takes one");
        boolean writes = job == null || job.processId() == 0;   // in a job, process 0 alone writes the --dump files
        if (writes && dumpOptimized != null) CliFiles.checkOutputFile(dumpOptimized, "--dump-optimized");
        if (writes && dumpOptimizedProto != null) CliFiles.checkOutputFile(dumpOptimizedProto, "--dump-optimized-proto");
        Module module = modules.getFirst();
        ModuleText.verify(modules);
        int own = PjrtBackend.partitions(module);
        if (numPartitions != null && module.attributes() != null && module.attributes().contains("mhlo.num_partitions") && own != numPartitions)
            throw new IllegalArgumentException("--num-partitions " + numPartitions + " but " + file + " declares mhlo.num_partitions = " + own);
        int partitions = numPartitions != null ? numPartitions : own;

        return PjrtSession.with(pjrtPlugin, options, job, backend -> {
            long t0 = System.nanoTime();
            PjrtBackend.Compiled compiled = backend.compile(module, partitions);
            double ms = (System.nanoTime() - t0) / 1e6;
            PjrtExecutable exe = compiled.executable();   // compiled's cleaner closes it: compiled is fenced below
            Report r = new Report(backend.name(), backend.client().plugin().apiVersion(), partitions,
                    java.util.Arrays.stream(compiled.options().deviceIds()).mapToInt(Math::toIntExact).boxed().toList(), ms);
            if (job != null) {
                r.job = job;
                r.localPartitions = compiled.localPartitions();
                r.localDevices = compiled.devices().stream().map(PjrtDevice::id).toList();
                r.placement = PjrtRun.placement(job, compiled);
            }
            try {
                r.cost = new TreeMap<>(exe.costAnalysis());
            } catch (PjrtException e) {
                r.costError = e.getMessage();
            }
            try {
                r.memory = exe.memoryStats();
            } catch (PjrtException e) {
                r.memoryError = e.getMessage();
            }
            HloProgram program = null;
            try {
                PjrtExecutable.Program p = exe.optimizedProgram();
                r.programBytes = p.code().length;
                program = HloProgram.decode(p.format(), p.code());
            } catch (PjrtException e) {
                if (dumpOptimized != null || dumpOptimizedProto != null) throw e;   // asked for it: not having it is a failure
                r.programError = e.getMessage();
            }
            if (program != null && dumpOptimized != null && writes) {
                CliFiles.prepareOutputFile(dumpOptimized, "--dump-optimized");
                CliFiles.writeString(dumpOptimized, program.text());
            }
            if (program != null && dumpOptimizedProto != null && writes) {
                CliFiles.prepareOutputFile(dumpOptimizedProto, "--dump-optimized-proto");
                CliFiles.write(dumpOptimizedProto, withConfig(program, r.partitions).toByteArray());
            }
            java.lang.ref.Reference.reachabilityFence(compiled);   // exe stays open until here
            out().print(json ? json(r, program) : text(r, program));
            out().flush();
            return Main.OK;
        });
    }

    /** What one compile reported; absent parts carry the plugin's reason instead. */
    private static final class Report {
        final String platform, api;
        final int partitions;
        final List<Integer> devices;
        final double compileMs;
        Map<String, Object> cost;
        String costError, memoryError, programError;
        PjrtExecutable.CompiledMemoryStats memory;
        long programBytes;
        io.hlo4j.runtime.pjrt.distributed.JobSpec job;   // null: one process
        List<Integer> localPartitions, localDevices;
        String placement;

        Report(String platform, String api, int partitions, List<Integer> devices, double compileMs) {
            this.platform = platform;
            this.api = api;
            this.partitions = partitions;
            this.devices = devices;
            this.compileMs = compileMs;
        }
    }

    private String text(Report r, HloProgram program) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "compiled %s on %s (PJRT C API %s): %d partition%s on device%s %s in %.1f ms%n", file, r.platform,
                r.api, r.partitions, r.partitions == 1 ? "" : "s", r.devices.size() == 1 ? "" : "s", r.devices, r.compileMs));
        if (r.job != null) b.append(r.placement).append('\n');
        if (r.cost != null) {
            List<String> kv = new ArrayList<>();
            r.cost.forEach((k, v) -> kv.add(k + "=" + value(v)));
            b.append("cost analysis: ").append(String.join(", ", kv)).append('\n');
        } else {
            b.append("cost analysis: not offered (").append(r.costError).append(")\n");
        }
        if (r.memory != null) {
            PjrtExecutable.CompiledMemoryStats m = r.memory;
            b.append(String.format(Locale.ROOT, "memory (bytes): arguments %d, outputs %d, temp %d, alias %d, generated code %d, peak %d, total %d;"
                            + " host: arguments %d, outputs %d, temp %d, alias %d, generated code %d%n",
                    m.argumentBytes(), m.outputBytes(), m.tempBytes(), m.aliasBytes(), m.generatedCodeBytes(), m.peakMemoryBytes(), m.totalBytes(),
                    m.hostArgumentBytes(), m.hostOutputBytes(), m.hostTempBytes(), m.hostAliasBytes(), m.hostGeneratedCodeBytes()));
        } else {
            b.append("memory: not offered (").append(r.memoryError).append(")\n");
        }
        if (program == null) {
            b.append("optimized program: not offered (").append(r.programError).append(")\n");
        } else {
            b.append("optimized program: format ").append(program.format()).append(", ").append(r.programBytes).append(" bytes\n");
            b.append(summary(program, r.partitions).text());
            if (r.job != null && r.job.processId() != 0 && (dumpOptimized != null || dumpOptimizedProto != null))
                b.append("(process 0 writes the --dump-optimized files)\n");
            else {
                if (dumpOptimized != null) b.append("wrote ").append(dumpOptimized).append('\n');
                if (dumpOptimizedProto != null) b.append("wrote ").append(dumpOptimizedProto).append('\n');
            }
        }
        return b.toString();
    }

    private String json(Report r, HloProgram program) throws IOException {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("file", file.toString());
        root.put("platform", r.platform);
        root.put("pjrt_api", r.api);
        root.put("partitions", r.partitions);
        ArrayNode devs = root.putArray("devices");
        r.devices.forEach(devs::add);
        root.put("compile_ms", Math.round(r.compileMs * 10) / 10.0);
        if (r.job != null) {
            ObjectNode p = root.putObject("process");
            p.put("index", r.job.processId());
            p.put("count", r.job.numProcesses());
            p.set("partitions", om.valueToTree(r.localPartitions));
            p.set("devices", om.valueToTree(r.localDevices));
        }
        if (r.cost != null) {
            ObjectNode c = root.putObject("cost_analysis");
            r.cost.forEach((k, v) -> c.set(k, om.valueToTree(v)));
        } else {
            root.putNull("cost_analysis");
        }
        if (r.memory != null) root.set("memory_stats", om.valueToTree(memoryMap(r.memory)));
        else root.putNull("memory_stats");
        if (program == null) {
            root.putNull("optimized_program");
        } else {
            ObjectNode p = programJson(root.putObject("optimized_program"), program, summary(program, r.partitions), r.programBytes);
            boolean wrote = r.job == null || r.job.processId() == 0;
            if (dumpOptimized != null && wrote) p.put("dump", dumpOptimized.toString());
            if (dumpOptimizedProto != null && wrote) p.put("dump_proto", dumpOptimizedProto.toString());
        }
        return om.writeValueAsString(root) + "\n";
    }

    /**
     * The program's summary with the device counts that size the groups it leaves implicit, by {@link #counts}: as
     * {@code inspect FILE.pb} reads them, with this compile's own counts where the program states none.
     */
    static HloSummary summary(HloProgram program, int partitions) {
        HloProgram.Counts c = counts(program, partitions);
        return HloSummary.of(program.module(), c.replicas(), c.partitions());
    }

    /**
     * The device counts {@link #summary} sizes implicit groups with: {@link HloProgram.Counts#of}'s rule (config, else the
     * module's device_assignment, as inspect reads them), and where the program states neither, this compile's: one
     * replica of {@code partitions} partitions.
     */
    static HloProgram.Counts counts(HloProgram program, int partitions) {
        return program.counts(new HloProgram.Counts(1, partitions, "this compile"));
    }

    /**
     * What {@code --dump-optimized-proto} writes: the module with a config stating the counts {@link #summary} used, so that
     * {@code inspect OUT.pb} sizes the implicit replica groups as this report did. A program the plugin returned with its
     * config ({@code hlo_with_config}) keeps that config whole (layout, seed, partitioning flags... as the plugin wrote
     * them), with only the counts it leaves 0 filled in; a bare module ({@code hlo}) gets a config of the two counts.
     */
    static HloModuleProtoWithConfig withConfig(HloProgram program, int partitions) {
        HloProgram.Counts c = counts(program, partitions);
        HloModuleConfigProto.Builder config = program.config() != null ? program.config().toBuilder() : HloModuleConfigProto.newBuilder();
        if (config.getReplicaCount() == 0) config.setReplicaCount(c.replicas());
        if (config.getNumPartitions() == 0) config.setNumPartitions(c.partitions());
        return HloModuleProtoWithConfig.newBuilder().setHloModule(program.module()).setConfig(config).build();
    }

    /** The optimized program's summary {@code s} as JSON fields of {@code p} (shared with {@code inspect FILE.pb}). */
    static ObjectNode programJson(ObjectNode p, HloProgram program, HloSummary s, long bytes) {
        ObjectMapper om = new ObjectMapper();
        p.put("format", program.format());
        p.put("bytes", bytes);
        p.put("module", s.module());
        p.put("entry", s.entry());
        p.put("computations", s.computations());
        p.put("instructions", s.instructions());
        ObjectNode f = p.putObject("fusions");
        f.put("count", s.fusions().size());
        f.set("kinds", om.valueToTree(s.fusionKinds()));
        ArrayNode fl = f.putArray("list");
        for (HloSummary.Fusion x : s.fusions())
            fl.addObject().put("name", x.name()).put("kind", x.kind()).put("backend_kind", x.backendKind()).put("calls", x.calls())
                    .put("instructions", x.fusedInstructions());
        ArrayNode cl = p.putArray("collectives");
        for (HloSummary.Collective x : s.collectives()) {
            ObjectNode o = cl.addObject().put("name", x.name()).put("op", x.opcode()).put("shape", x.shape())
                    .put("replica_groups", x.replicaGroups());
            o.set("groups", om.valueToTree(x.groups()));
            o.put("channel_id", x.channelId());
            // the keys inspect of StableHLO writes; -1 (with the reason) when the group size is unknown
            if (x.groupSize() != 0) o.put("group_size", x.groupSize());
            o.put("bytes_received_per_device", x.bytesReceived()).put("bytes_received_is_bound", x.bound());
            if (x.unknownWhy() != null) o.put("bytes_received_unknown", x.unknownWhy());
            o.put("buffer_bytes_per_device", x.bufferBytes());
        }
        return p;
    }

    private static Map<String, Long> memoryMap(PjrtExecutable.CompiledMemoryStats m) {
        Map<String, Long> x = new LinkedHashMap<>();
        x.put("argument_bytes", m.argumentBytes());
        x.put("output_bytes", m.outputBytes());
        x.put("temp_bytes", m.tempBytes());
        x.put("alias_bytes", m.aliasBytes());
        x.put("generated_code_bytes", m.generatedCodeBytes());
        x.put("peak_bytes", m.peakMemoryBytes());
        x.put("total_bytes", m.totalBytes());
        x.put("host_argument_bytes", m.hostArgumentBytes());
        x.put("host_output_bytes", m.hostOutputBytes());
        x.put("host_temp_bytes", m.hostTempBytes());
        x.put("host_alias_bytes", m.hostAliasBytes());
        x.put("host_generated_code_bytes", m.hostGeneratedCodeBytes());
        return x;
    }

    /** Whole floats without ".0"; arrays in brackets. */
    private static String value(Object v) {
        return switch (v) {
            case Float f when f == Math.rint(f) && Math.abs(f) < 1e15 -> String.valueOf(f.longValue());
            case Double d when d == Math.rint(d) && Math.abs(d) < 1e15 -> String.valueOf(d.longValue());
            case long[] a -> java.util.Arrays.toString(a);
            default -> String.valueOf(v);
        };
    }
}
