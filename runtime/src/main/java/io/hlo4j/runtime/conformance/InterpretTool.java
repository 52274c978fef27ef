package io.hlo4j.runtime.conformance;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.Process;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;
import io.hlo4j.runtime.interp.TensorPrinter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What {@code stablehlo-translate --interpret} does with a file, reproduced on hlo4j's interpreter: parse (split
 * into chunks with {@code --split-input-file}), take the entry function's arguments from {@code --args}, run each
 * chunk, print each result (nested form, or dense with {@code --interpreter-print-dense}) and errors as
 * {@code error: ...}. A failing chunk makes the exit status 1 and the remaining chunks still run.
 */
public final class InterpretTool {
    private InterpretTool() {}

    static final String ARGS_USAGE = ", i.e. --args=[dense<1> : tensor<2xi32>, ...]";

    /**
     * The outcome of one run. {@code output} is what the run's pipe carries (stdout, plus stderr with
     * {@code 2>&1}); {@code failure} is the first error (a CheckFailure for a failing check), null when none.
     */
    public record Outcome(int exitCode, String output, String stderr, RuntimeException failure, int modules) {}

    public static Outcome run(String text, Path file, ToolRun run, long deadlineNanos) {
        StringBuilder out = new StringBuilder();
        StringBuilder err = run.stderrToStdout() ? out : new StringBuilder();
        List<Tensor> args;
        try {
            args = arguments(run.args());
        } catch (IllegalArgumentException e) {
            err.append("error: ").append(e.getMessage()).append('\n');
            return new Outcome(1, out.toString(), err.toString(), e, 0);
        }
        List<Module> modules;
        try {
            modules = run.splitInput() ? MlirParser.parseSplit(text, file.toString()) : List.of(MlirParser.parseModule(text, file.toString()));
        } catch (Hlo4jException e) {
            err.append("error: parse: ").append(e.format()).append('\n');
            return new Outcome(1, out.toString(), err.toString(), e, 0);
        } catch (RuntimeException | StackOverflowError e) {
            RuntimeException r = new RuntimeException("parse: " + e, e);
            err.append("error: ").append(r.getMessage()).append('\n');
            return new Outcome(1, out.toString(), err.toString(), r, 0);
        }
        RuntimeException first = null;
        Path probeDir = null;
        try {
            if (run.probeDir()) probeDir = Files.createTempDirectory("hlo4j-probe");
            for (int i = 0; i < modules.size(); i++) {
                try {
                    for (RtValue v : module(modules.get(i), args, probeDir, out, deadlineNanos)) {
                        if (!(v instanceof Tensor t)) throw new IllegalStateException("result is not a tensor: " + v);
                        out.append(run.printDense() ? TensorPrinter.dense(t) : TensorPrinter.nested(t)).append('\n');
                    }
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    RuntimeException r = e instanceof RuntimeException re ? re : new RuntimeException(e.toString(), e);
                    String where = modules.size() > 1 ? "module " + (i + 1) + ": " : "";
                    String msg = r instanceof Hlo4jException h ? h.format() : r.toString();
                    err.append("error: ").append(where).append(msg).append('\n');
                    if (first == null) first = modules.size() > 1 ? new ChunkFailure(where, r) : r;
                }
            }
        } catch (IOException e) {
            first = new RuntimeException("cannot make a probe directory: " + e.getMessage(), e);
            err.append("error: ").append(first.getMessage()).append('\n');
        } finally {
            if (probeDir != null) deleteTree(probeDir);
        }
        return new Outcome(first == null ? 0 : 1, out.toString(), run.stderrToStdout() ? "" : err.toString(), first, modules.size());
    }

    /** A failure in one chunk of a split file; the message names the chunk. */
    static final class ChunkFailure extends RuntimeException {
        ChunkFailure(String where, RuntimeException cause) {
            super(where + (cause instanceof Hlo4jException h ? h.format() : cause.toString()), cause);
        }
    }

    /** {@code --args}: an array attribute of dense elements attributes, as the reference parses it. */
    static List<Tensor> arguments(String text) {
        if (text == null || text.isEmpty()) return List.of();
        Attribute a;
        try {
            a = MlirParser.parseAttribute(text);
        } catch (RuntimeException e) {
            a = null;
        }
        // The reference's own spelling, typo included: FileCheck lines match it.
        if (!(a instanceof ArrayAttr arr)) throw new IllegalArgumentException("expectected array attribute string for args" + ARGS_USAGE);
        List<Tensor> out = new ArrayList<>();
        for (Attribute e : arr.elements()) {
            if (!(e instanceof DenseElementsAttr d)) throw new IllegalArgumentException("expected dense elements attribute for args elements" + ARGS_USAGE);
            out.add(Tensor.fromDense(d));
        }
        return out;
    }

    private static List<RtValue> module(Module m, List<Tensor> args, Path probeDir, StringBuilder out, long deadline) {
        Interpreter interp = new Interpreter(m);
        interp.setDeadline(deadline);
        interp.setPrintSink(out::append);
        if (probeDir != null) interp.setProbeDir(probeDir);
        // One entry function (@main or the only one); otherwise, as the reference translate tool does for a chunk
        // holding several test functions (interpret/triangular_solve.mlir comments out one "// -----"), each
        // function in order, all of which must take no arguments.
        List<Operation> entries = m.entryFunction() != null ? List.of(interp.function(null)) : m.functions();
        if (entries.isEmpty()) return List.of(); // a module without functions evaluates to nothing, as in the reference
        if (entries.size() > 1) {
            for (Operation entry : entries) {
                int n = entry.region(0).entry().arguments().size();
                if (n != 0) {
                    throw new Hlo4jException("module has no @main and " + entries.size() + " functions; each then runs without arguments, but @"
                            + io.hlo4j.mlir.ir.SymbolTable.symbolName(entry) + " takes " + n, entry.location());
                }
            }
            if (!args.isEmpty()) throw new Hlo4jException("--args needs one entry function (@main or the only one); the module has "
                    + entries.size() + " and no @main", null);
        }
        List<RtValue> results = new ArrayList<>();
        for (Operation entry : entries) results.addAll(interp.call(entry, new ArrayList<>(args), Process.single()));
        return results;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }

    static long deadline(long t0, long timeoutMillis) { return t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMillis); }
}
