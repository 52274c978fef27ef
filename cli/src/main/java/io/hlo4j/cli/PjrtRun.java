package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Tensor;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code hlo4j run --pjrt-plugin PATH}: the same run through {@link PjrtBackend}, on the plugin's first N devices for --devices N. */
final class PjrtRun {
    private PjrtRun() {}

    static int run(PrintWriter out, Module module, Operation fn, List<HostArray> args, int devices, Path plugin,
                   List<String> options, Path outDir) throws IOException {
        Operation entry = module.entryFunction();
        if (entry == null || !SymbolTable.symbolName(entry).equals(SymbolTable.symbolName(fn))) {
            throw new IllegalArgumentException("--pjrt-plugin runs the module's entry function (@main or the only function), not @"
                    + SymbolTable.symbolName(fn));
        }
        Map<String, Object> opts = parseOptions(options);
        int declared = PjrtBackend.partitions(module);
        if (module.attributes() != null && module.attributes().contains("mhlo.num_partitions") && declared != devices)
            throw new IllegalArgumentException("--devices " + devices + " but the module declares mhlo.num_partitions = " + declared);
        int nargs = fn.region(0).entry().arguments().size();
        List<List<HostArray>> perDevice = new java.util.ArrayList<>();
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
                        Npy.write(dir.resolve("result" + i + ".npy"), r);
                    }
                }
            }
            out.println(String.format(Locale.ROOT, "ran @%s on %s (%d device%s) in %.1f ms", SymbolTable.symbolName(fn), backend.name(),
                    devices, devices == 1 ? "" : "s", ms));
            out.flush();
            return 0;
        }
    }

    /** KEY=VALUE pairs: an integer is an int64, a number a float, true/false a bool, anything else a string. */
    static Map<String, Object> parseOptions(List<String> options) {
        try {
            return io.hlo4j.runtime.backend.Backend.pjrtOptions(options);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("PJRT option", "--pjrt-option"));
        }
    }
}
