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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code hlo4j run --pjrt-plugin PATH}: the same run, on the plugin's first device through {@link PjrtBackend}. */
final class PjrtRun {
    private PjrtRun() {}

    static int run(PrintWriter out, Module module, Operation fn, List<HostArray> args, int devices, Path plugin,
                   List<String> options, Path outDir) throws IOException {
        if (devices != 1) throw new IllegalArgumentException("--devices " + devices + " is not supported with --pjrt-plugin (one device only)");
        Operation entry = module.entryFunction();
        if (entry == null || !SymbolTable.symbolName(entry).equals(SymbolTable.symbolName(fn))) {
            throw new IllegalArgumentException("--pjrt-plugin runs the module's entry function (@main or the only function), not @"
                    + SymbolTable.symbolName(fn));
        }
        Map<String, Object> opts = parseOptions(options);
        try (PjrtBackend backend = PjrtBackend.open(plugin, opts)) {
            var exe = backend.compile(module);
            long t0 = System.nanoTime();
            List<HostArray> results = exe.call(args);
            double ms = (System.nanoTime() - t0) / 1e6;
            for (int i = 0; i < results.size(); i++) {
                Tensor t = (Tensor) HostArrays.toValues(List.of(results.get(i))).getFirst();
                out.println("result" + i + ": " + t.type + " " + RunCommand.stats(t));
                if (outDir != null) {
                    Files.createDirectories(outDir);
                    Npy.write(outDir.resolve("result" + i + ".npy"), results.get(i));
                }
            }
            out.println(String.format(Locale.ROOT, "ran @%s on %s in %.1f ms", SymbolTable.symbolName(fn), backend.name(), ms));
            out.flush();
            return 0;
        }
    }

    /** KEY=VALUE pairs: an integer is an int64, a number a float, true/false a bool, anything else a string. */
    static Map<String, Object> parseOptions(List<String> options) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String o : options) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--pjrt-option '" + o + "' is not KEY=VALUE");
            m.put(o.substring(0, eq), value(o.substring(eq + 1)));
        }
        return m;
    }

    private static Object value(String v) {
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        try { return Long.parseLong(v); } catch (NumberFormatException ignored) { /* not an integer */ }
        try { return Double.parseDouble(v); } catch (NumberFormatException ignored) { /* not a number */ }
        return v;
    }
}
