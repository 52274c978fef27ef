package io.hlo4j.cli;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionDeadline;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code hlo4j run FILE.mlir}: evaluates a function with the reference interpreter and writes its results as .npy. */
@Command(name = "run",
        description = {"Run a function of an MLIR module on the pure-Java interpreter.",
                "Inputs are .npy files in argument order; with --devices N each device gets the same inputs, or",
                "N x (number of arguments) files are dealt out device by device. Results go to DIR/result0.npy, ...",
                "(DIR/device<d>/result<i>.npy with several devices).",
                "With --pjrt-plugin PATH (or HLO4J_PJRT_PLUGIN) the entry function runs on its first N devices.",
                "(--spmd runs on simulated devices: it refuses --pjrt-plugin and leaves HLO4J_PJRT_PLUGIN unused.)",
                "A module with mhlo.num_partitions = N > 1 whose entry carries sdy.sharding annotations takes global",
                "inputs there: they are split onto the N devices by their shardings and the results assembled.",
                "With --spmd (implied for a module holding sdy.manual_computation) an annotated module is partitioned",
                "by hlo4j's SPMD partitioner and run on its mesh's simulated devices: global inputs, global results."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j run model.mlir --input x.npy --input w.npy -o out",
                "  hlo4j run spmd.mlir --devices 4 --function main",
                "  hlo4j run annotated.mlir --spmd --input x.npy --input w.npy -o out",
                "  hlo4j run annotated.mlir --spmd --collectives --input x.npy --input w.npy",
                "  hlo4j run model.mlir --input x.npy --pjrt-plugin gpu_plugin.so --pjrt-option visible_devices=0"})
public final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The MLIR module.")
    Path file;

    @Option(names = "--function", paramLabel = "NAME", description = {"Function to run (default: @main, or the only function). Not with --spmd,",
            "nor for a module holding sdy.manual_computation: those run @main."})
    String function;

    @Option(names = "--input", paramLabel = "A.npy", description = "An input array (repeat in argument order); a folder stands for "
            + "its numbered files in order (arg0.npy, arg1.npy, ..., as 'hlo4j dump --inputs' writes them; or result0.npy, ...).")
    List<Path> inputs = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Folder for result<i>.npy (default: no files).")
    Path outDir;

    @Option(names = "--devices", paramLabel = "N", description = "Simulated devices (1 replica x N partitions; default 1); not with --spmd, whose mesh gives the count.")
    int devices = 1;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Stop the interpreter after this long (default: no limit), on every simulated device (--devices, --spmd; "
                    + "with --spmd the time partitioning takes counts too); a program that loops forever then fails naming where "
                    + "each device was (or the op partitioning had reached).")
    Long timeoutSeconds;

    @Option(names = "--spmd", description = "Partition the annotated module (propagation, then hlo4j's SPMD partitioner) and "
            + "run the per-device program on the mesh's simulated devices; inputs and results are global arrays.")
    boolean spmd;

    @Option(names = "--collectives", description = "With --spmd, or on a module holding sdy.manual_computation (which runs partitioned anyway): "
            + "one line per collective the per-device program executed "
            + "(op, the location of the op it came from, groups of partition ids, bytes received per device).")
    boolean collectives;

    @Mixin PjrtFlags pjrt;

    @Mixin ProcessFlags processes;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        // Flags first: a wrong one is a usage error before any file is read.
        if (devices < 1 || devices > RunChecks.MAX_SIMULATED_DEVICES) {
            throw new Main.UsageError("--devices must be between 1 and " + RunChecks.MAX_SIMULATED_DEVICES + ", got " + devices);
        }
        if (timeoutSeconds != null && (timeoutSeconds < 1 || timeoutSeconds > 7 * 24 * 3600)) {
            throw new Main.UsageError("--timeout must be between 1 and 604800 seconds, got " + timeoutSeconds);
        }
        // --spmd's device count is the mesh's: a --devices beside it conflicts, found before the file is read
        if (spmd && devices != 1) throw new Main.UsageError("--spmd takes the device count from the module's mesh; drop --devices " + devices);
        if (spmd && function != null && !function.equals("main")) throw new Main.UsageError("--spmd partitions @main; drop --function " + function);
        if (spmd) pjrt.unused("--spmd runs the partitioned program on simulated devices");
        boolean onPlugin = !spmd && pjrt.plugin() != null;
        if (timeoutSeconds != null && onPlugin) throw new Main.UsageError("--timeout limits the interpreter; it does not apply with " + pjrt.source());
        if (collectives && onPlugin) throw new Main.UsageError("--collectives reports the SPMD run on simulated devices; it does not apply with " + pjrt.source());
        Path pjrtPlugin = spmd ? null : pjrt.use();
        if (spmd) processes.unused("--spmd runs on simulated devices in this process", System.getenv());
        io.hlo4j.runtime.pjrt.distributed.JobSpec job = spmd ? null
                : processes.job(System.getenv(), pjrtPlugin, pjrtPlugin == null ? Map.of() : pjrt.createOptions());
        List<Module> modules = ModuleText.parse(file);
        if (modules.size() != 1) throw new IllegalArgumentException(file + " holds " + modules.size() + " modules; run takes one");
        // the interpreter's kernels and the partitioner assume a verified module: an out-of-range dimension number
        // would otherwise fail inside a kernel (an index out of bounds) instead of at its line
        ModuleText.verify(modules);
        // before the inputs are read: a per-device program's are one device's blocks, a global program's would not match it
        if (spmd) RunChecks.notPerDevice(modules.get(0), "--spmd would run one device's program on replicated inputs");
        Interpreter interp = new Interpreter(modules.get(0));
        Operation fn = interp.function(function);
        int nargs = fn.region(0).entry().arguments().size();
        InputFolders.Expanded given = InputFolders.expand(inputs);
        inputs = given.files();
        // a folder's files are counted here, naming what it stood for: a stale file there is then visible
        if (!given.note().isEmpty() && inputs.size() != nargs && inputs.size() != (long) nargs * devices) {
            throw new IllegalArgumentException(given.note() + "; @" + name(fn) + " takes " + nargs + " argument" + (nargs == 1 ? "" : "s")
                    + (devices > 1 ? " (or " + nargs * devices + " files for --devices " + devices + ")" : ""));
        }
        List<HostArray> arrays = RunChecks.readInputs(inputs);
        RunChecks.inputsMatch(fn, inputs, arrays, devices, spmd ? modules.get(0) : null);
        boolean writes = outDir != null && (job == null || job.processId() == 0);   // in a job, process 0 alone writes -o
        if (writes) CliFiles.checkOutputDir(outDir, "-o"); // before the run: a bad -o must not cost the run
        int rc;
        if (pjrtPlugin != null) rc = PjrtRun.run(out, modules.get(0), fn, arrays, devices, pjrtPlugin, pjrt.createOptions(), outDir, job);
        else rc = runHere(out, modules.get(0), interp, fn, nargs, arrays);
        if (writes) removeStaleResults(fn);
        return rc;
    }

    /**
     * After a run wrote result0.npy .. result{n-1}.npy (per device folder with --devices N), the result files of an
     * earlier run with more results are deleted, so that {@code --input DIR} stands for this run's results only.
     */
    private void removeStaleResults(Operation fn) throws java.io.IOException {
        int n = fn.attr("function_type") instanceof io.hlo4j.mlir.attr.TypeAttr(io.hlo4j.mlir.types.FunctionType t) ? t.results().size()
                : Integer.MAX_VALUE;
        if (n == Integer.MAX_VALUE) return;
        if (devices == 1 || spmd) InputFolders.removeBeyond(outDir, "result", n);
        else for (int d = 0; d < devices; d++) InputFolders.removeBeyond(outDir.resolve("device" + d), "result", n);
    }

    /** The interpreter's run: partitioned (--spmd, or a module with manual computations) or on N simulated devices. */
    private int runHere(PrintWriter out, Module module, Interpreter interp, Operation fn, int nargs, List<HostArray> arrays) throws Exception {
        RunChecks.runnable(module, fn);
        boolean manual = holdsManualComputation(module);
        if (spmd || manual) return runSpmd(out, module, fn, arrays, manual && !spmd);
        if (collectives) throw new Main.UsageError("--collectives needs --spmd (it reports the partitioned run's collectives)");
        List<List<RtValue>> perDevice = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            List<HostArray> mine;
            if (arrays.size() == nargs) mine = arrays;
            else if (arrays.size() == (long) nargs * devices) mine = arrays.subList(d * nargs, (d + 1) * nargs);
            else throw new IllegalArgumentException(file + ": @" + name(fn) + " takes " + nargs + " arguments; got " + arrays.size()
                    + " --input files" + (devices > 1 ? " for " + devices + " devices" : "") + RunChecks.inputHint(nargs, devices));
            perDevice.add(HostArrays.toValues(mine));
        }
        long t0 = System.nanoTime();
        if (timeoutSeconds != null) interp.setDeadline(t0 + timeoutSeconds * 1_000_000_000L);
        List<List<RtValue>> results;
        try {
            results = devices == 1 ? List.of(interp.run(function, perDevice.get(0))) : interp.runParallel(function, 1, devices, perDevice);
        } catch (io.hlo4j.runtime.interp.DeadlineExceeded e) {
            throw timedOut(fn, e);
        } catch (OutOfMemoryError e) { // name the program and the heap it outgrew
            throw new io.hlo4j.mlir.ir.Hlo4jException(file + ": out of memory running @" + name(fn) + " on " + devices + " simulated device"
                    + (devices == 1 ? "" : "s") + " (Java heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB; raise -Xmx in HLO4J_JAVA_OPTS)",
                    io.hlo4j.mlir.ir.Location.UNKNOWN);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        for (int d = 0; d < results.size(); d++) {
            List<RtValue> rs = results.get(d);
            for (int i = 0; i < rs.size(); i++) {
                String label = (devices > 1 ? "device " + d + " " : "") + "result" + i;
                if (!(rs.get(i) instanceof Tensor t)) {
                    out.println(label + ": " + rs.get(i).getClass().getSimpleName());
                    continue;
                }
                out.println(label + ": " + t.type + " " + stats(t));
                if (outDir != null) {
                    Path dir = devices > 1 ? outDir.resolve("device" + d) : outDir;
                    Files.createDirectories(dir);
                    CliFiles.writeNpy(dir.resolve("result" + i + ".npy"), HostArrays.toHost(t));
                }
            }
        }
        out.println(String.format(Locale.ROOT, "ran @%s on %d device%s in %.1f ms", name(fn), devices, devices == 1 ? "" : "s", ms));
        out.flush();
        return 0;
    }

    /**
     * The global program partitioned by {@code Spmd.explicit} and run by {@code SpmdRunner} on the mesh's devices: the
     * path XLA takes with Shardy, with hlo4j's partitioner, so a dumped annotated module runs as it is.
     */
    private int runSpmd(PrintWriter out, Module given, Operation fn, List<HostArray> arrays, boolean implied) throws Exception {
        // a module JAX lowered before Shardy (mhlo.sharding strings) is read in its Shardy form
        // and one jax.export serialized with Shardy (xla.sdy.* frontend attributes) in its sdy form
        Module module = io.hlo4j.compiler.gspmd.GspmdImport.toShardy(io.hlo4j.compiler.gspmd.SdyRoundTripImport.toShardy(given));
        // with --spmd given these were refused before the file was read; here the manual computation implied it
        if (devices != 1) {
            throw new Main.UsageError(file + ": a module holding sdy.manual_computation runs partitioned (as with --spmd)"
                    + " on as many devices as its mesh has; drop --devices " + devices);
        }
        if (!name(fn).equals("main")) {
            throw new Main.UsageError(file + ": a module holding sdy.manual_computation runs @main partitioned (as with --spmd);"
                    + " drop --function " + name(fn));
        }
        int nargs = fn.region(0).entry().arguments().size();
        if (arrays.size() != nargs) {
            throw new IllegalArgumentException(file + ": @main takes " + nargs + " global arguments; got " + arrays.size() + " --input files"
                    + RunChecks.INPUT_HINT);
        }
        RunChecks.meshesSimulatable(module);
        // the partitioner runs on the module's first mesh, and every declared mesh must span as many devices: that is
        // checked first, then a stated partition count that disagrees is refused before any work
        io.hlo4j.compiler.spmd.DeviceLimits.MeshSite first = io.hlo4j.compiler.spmd.DeviceLimits.sameDevices(module);
        if (first != null) checkPartitionCount(module, (int) first.devices(), first.what());
        if (implied) out.println("the module holds sdy.manual_computation: partitioned by hlo4j's SPMD partitioner (as with --spmd)");
        long t0 = System.nanoTime();
        // one deadline for partitioning and the run: the partitioner checks it before each op, on this thread
        long deadline = timeoutSeconds == null ? Long.MAX_VALUE : t0 + timeoutSeconds * 1_000_000_000L;
        PartitionedProgram pp;
        try {
            pp = timeoutSeconds == null ? Spmd.explicit(module) : PartitionDeadline.within(deadline, () -> Spmd.explicit(module));
        } catch (PartitionDeadline.Exceeded e) {
            throw new io.hlo4j.mlir.ir.Hlo4jException("@" + name(fn) + " stopped by --timeout " + timeoutSeconds + " s: " + e.detail(),
                    e.location(), e);
        }
        long t1 = System.nanoTime();
        if (first == null) checkPartitionCount(module, pp.devices(), "its inline mesh"); // an inline mesh is known once partitioned
        SpmdRun run;
        try {
            run = SpmdRunner.run(pp.module(), pp.meshes(), arrays, pp.argShardings(), pp.resultShardings(), pp.resultTypes(), deadline);
        } catch (io.hlo4j.runtime.interp.DeadlineExceeded e) {
            throw timedOut(fn, e);
        }
        long t2 = System.nanoTime();
        for (int i = 0; i < run.results().size(); i++) {
            HostArray r = run.results().get(i);
            out.println("result" + i + ": " + r.type() + " " + stats(io.hlo4j.runtime.interp.HostArrays.toTensor(r)));
            if (outDir != null) {
                Files.createDirectories(outDir);
                CliFiles.writeNpy(outDir.resolve("result" + i + ".npy"), r);
            }
        }
        for (var e : pp.report().entries()) out.println("partitioner: " + e);
        if (collectives) RunCollectives.print(out, run.log());
        String unsharded = RunChecks.unshardedNote(given);
        out.println(String.format(Locale.ROOT, "partitioned @main for %d devices in %.1f ms, ran in %.1f ms: %s, at most %d bytes "
                + "received per device%s", pp.devices(), (t1 - t0) / 1e6, (t2 - t1) / 1e6, CollectivesReport.count(run.log().size()),
                run.maxBytesReceived(pp.devices()), unsharded == null ? "" : "; " + unsharded));
        out.flush();
        return 0;
    }

    /** The run stopped at --timeout: one line naming the limit, the program and where each device still running was. */
    private io.hlo4j.mlir.ir.Hlo4jException timedOut(Operation fn, io.hlo4j.runtime.interp.DeadlineExceeded e) {
        return new io.hlo4j.mlir.ir.Hlo4jException("@" + name(fn) + " stopped by --timeout " + timeoutSeconds + " s: " + e.getMessage(),
                e.location(), e);
    }

    /** A module that states its partition count (JAX writes mhlo.num_partitions) must agree with the mesh it is partitioned over. */
    static void checkPartitionCount(Module m, int meshDevices, String mesh) {
        if (m.attributes() != null && m.attributes().get("mhlo.num_partitions") instanceof io.hlo4j.mlir.attr.IntegerAttr n
                && n.value() != meshDevices) {
            throw new io.hlo4j.mlir.ir.Hlo4jException("module @" + m.name() + " has mhlo.num_partitions = " + n.value() + " but " + mesh
                    + " has " + meshDevices + " device" + (meshDevices == 1 ? "" : "s")
                    + ": run --spmd runs one device per mesh device, so the two must agree", m.op().location());
        }
    }

    private static boolean holdsManualComputation(Module m) {
        boolean[] found = {false};
        io.hlo4j.mlir.ir.Walker.walk(m.op(), op -> { if (op.name().equals("sdy.manual_computation")) found[0] = true; });
        // jax.export's Shardy round-trip form writes a shard_map as a call between custom calls; the importer knows the layouts
        return found[0] || io.hlo4j.compiler.gspmd.SdyRoundTripImport.holdsShardMap(m);
    }

    private static String name(Operation fn) { return io.hlo4j.mlir.ir.SymbolTable.symbolName(fn); }

    /** min/max/mean of real values, or the first elements otherwise. */
    static String stats(Tensor t) {
        if (t.size == 0) return "(empty)";
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < t.size; i++) {
            double v = t.asDouble(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        return String.format(Locale.ROOT, "min %.6g max %.6g mean %.6g", min, max, sum / t.size);
    }
}
