package io.hlo4j.cli;

import io.hlo4j.mlir.dialect.sdy.MeshUse;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Tensor;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code hlo4j run --pjrt-plugin PATH}: the same run through {@link PjrtBackend}. An N-partition module whose entry carries
 * {@code sdy.sharding}s takes global inputs and gives global results ({@link PjrtBackend.Compiled#callGlobal}); an
 * unannotated one runs on the plugin's first N devices for --devices N with each device's own inputs.
 */
final class PjrtRun {
    private PjrtRun() {}

    static int run(PrintWriter out, Module module, Operation fn, List<HostArray> args, int devices, Path plugin,
                   Map<String, Object> opts, Path outDir) throws IOException {
        return run(out, module, fn, args, devices, plugin, opts, outDir, null);
    }

    /** As above; with {@code job}, as one process of a multi-process job (an annotated N-partition entry only). */
    static int run(PrintWriter out, Module module, Operation fn, List<HostArray> args, int devices, Path plugin,
                   Map<String, Object> opts, Path outDir, JobSpec job) throws IOException {
        Operation entry = module.entryFunction();
        if (entry == null || !SymbolTable.symbolName(entry).equals(SymbolTable.symbolName(fn))) {
            throw new IllegalArgumentException("a PJRT plugin (--pjrt-plugin or HLO4J_PJRT_PLUGIN) runs the module's entry function (@main or the only function), not @"
                    + SymbolTable.symbolName(fn));
        }
        int declared = PjrtBackend.partitions(module);
        int nargs = fn.region(0).entry().arguments().size();
        if (declared > 1 && MeshUse.shardsSignature(fn)) return runGlobal(out, module, fn, args, devices, declared, nargs, plugin, opts, outDir, job);
        if (job != null)
            throw new IllegalArgumentException("--num-processes " + job.numProcesses() + ": @" + SymbolTable.symbolName(fn) + " must declare mhlo.num_partitions > 1"
                    + " and carry sdy.sharding on its arguments and results, so that each process runs its partitions' blocks of global arrays");
        if (module.attributes() != null && module.attributes().contains("mhlo.num_partitions") && declared != devices)
            throw new IllegalArgumentException("--devices " + devices + " but the module declares mhlo.num_partitions = " + declared);
        List<List<HostArray>> perDevice = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            if (args.size() == nargs) perDevice.add(args);
            else if (args.size() == (long) nargs * devices) perDevice.add(args.subList(d * nargs, (d + 1) * nargs));
            else throw new IllegalArgumentException("@" + SymbolTable.symbolName(fn) + " takes " + nargs + " arguments; got " + args.size()
                    + " --input files" + (devices > 1 ? " (need " + nargs + " or " + nargs * devices + ")" : ""));
        }
        try (PjrtBackend backend = PjrtBackend.open(plugin, opts)) {
            PjrtBackend.Compiled exe = backend.compile(module, devices);
            long t0 = System.nanoTime();
            List<List<HostArray>> results = devices == 1 ? List.of(exe.call(perDevice.getFirst())) : exe.callPerDevice(perDevice);
            double ms = (System.nanoTime() - t0) / 1e6;
            for (int d = 0; d < results.size(); d++) {
                for (int i = 0; i < results.get(d).size(); i++) {
                    HostArray r = results.get(d).get(i);
                    Tensor t = (Tensor) HostArrays.toValues(List.of(r)).getFirst();
                    out.println((devices > 1 ? "device " + d + " " : "") + "result" + i + ": " + t.type + " " + RunCommand.stats(t));
                    if (outDir != null) {
                        Path dir = devices > 1 ? outDir.resolve("device" + d) : outDir;
                        Files.createDirectories(dir);
                        CliFiles.writeNpy(dir.resolve("result" + i + ".npy"), r);
                    }
                }
            }
            out.println(String.format(Locale.ROOT, "ran @%s on %s (%d device%s) in %.1f ms", SymbolTable.symbolName(fn), backend.name(),
                    devices, devices == 1 ? "" : "s", ms));
            out.flush();
            return 0;
        }
    }

    /**
     * An entry function with {@code sdy.sharding}s on an N-partition module: global inputs, split by their shardings onto
     * the plugin's first N devices, and global results assembled from the devices' blocks (as the interpreter runs it).
     */
    private static int runGlobal(PrintWriter out, Module module, Operation fn, List<HostArray> args, int devices, int partitions,
                                 int nargs, Path plugin, Map<String, Object> opts, Path outDir, JobSpec job) throws IOException {
        if (devices != 1 && devices != partitions)
            throw new IllegalArgumentException("--devices " + devices + " but the module declares mhlo.num_partitions = " + partitions);
        if (args.size() != nargs)
            throw new IllegalArgumentException("@" + SymbolTable.symbolName(fn) + " carries sdy.sharding annotations on " + partitions
                    + " partitions: give its " + nargs + " global arguments as --input files (got " + args.size()
                    + "); they are split onto the devices by their shardings");
        if (job != null) return runJob(out, module, fn, args, partitions, plugin, opts, outDir, job);
        try (PjrtBackend backend = PjrtBackend.open(plugin, opts)) {
            PjrtBackend.Compiled exe = backend.compile(module, partitions);
            long t0 = System.nanoTime();
            List<HostArray> results = exe.callGlobal(args);
            double ms = (System.nanoTime() - t0) / 1e6;
            for (int i = 0; i < results.size(); i++) {
                HostArray r = results.get(i);
                Tensor t = (Tensor) HostArrays.toValues(List.of(r)).getFirst();
                out.println("result" + i + ": " + t.type + " " + RunCommand.stats(t));
                if (outDir != null) {
                    Files.createDirectories(outDir);
                    CliFiles.writeNpy(outDir.resolve("result" + i + ".npy"), r);
                }
            }
            out.println(String.format(Locale.ROOT, "ran @%s on %s (%d devices; global arrays split and assembled by the entry's shardings) in %.1f ms",
                    SymbolTable.symbolName(fn), backend.name(), partitions, ms));
            out.flush();
            return 0;
        }
    }

    /**
     * One process of a job: joins through the coordinator, creates the client with the job's store and {@code node_id}/
     * {@code num_nodes}, compiles over the job's devices, runs this process's partitions, exchanges result blocks through
     * the store and prints the global results (every process prints them; process 0 writes {@code -o}).
     */
    private static int runJob(PrintWriter out, Module module, Operation fn, List<HostArray> args, int partitions, Path plugin,
                              Map<String, Object> opts, Path outDir, JobSpec job) throws IOException {
        return PjrtSession.with(plugin, opts, job, backend -> {
            PjrtBackend.Compiled exe = backend.compile(module, partitions);
            out.println(placement(job, exe));
            long t0 = System.nanoTime();
            List<HostArray> results = exe.call(args);   // this process's partitions; the others' result blocks through the job's store
            double ms = (System.nanoTime() - t0) / 1e6;
            for (int i = 0; i < results.size(); i++) {
                HostArray r = results.get(i);
                Tensor t = (Tensor) HostArrays.toValues(List.of(r)).getFirst();
                out.println("result" + i + ": " + t.type + " " + RunCommand.stats(t));
                if (outDir != null && job.processId() == 0) {
                    Files.createDirectories(outDir);
                    CliFiles.writeNpy(outDir.resolve("result" + i + ".npy"), r);
                }
            }
            if (outDir != null && job.processId() != 0) out.println("(-o: process 0 writes the result files)");
            out.println(String.format(Locale.ROOT, "ran @%s on %s (%d devices over %d processes; result blocks exchanged through %s) in %.1f ms",
                    SymbolTable.symbolName(fn), backend.name(), partitions, job.numProcesses(), backend.job().store().describe(), ms));
            out.flush();
            return 0;
        });
    }

    /** {@code process I of N: partitions [..] on devices [..]}: what this process of a job runs of the compiled program. */
    static String placement(JobSpec job, PjrtBackend.Compiled exe) {
        return "process " + job.processId() + " of " + job.numProcesses() + ": partition" + (exe.localPartitions().size() == 1 ? " " : "s ")
                + exe.localPartitions() + " on device" + (exe.devices().size() == 1 ? " " : "s ") + exe.devices().stream().map(PjrtDevice::id).toList();
    }
}
