package io.hlo4j.compiler.fuzz;

import io.hlo4j.compiler.spmd.DeviceLimits;
import io.hlo4j.compiler.gspmd.GspmdImport;
import io.hlo4j.compiler.gspmd.SdyRoundTripImport;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionDeadline;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.array.Shape;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.Process;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.spmd.SpmdRunner;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What hlo4j does with a module's text, in order: parse, verify, and, when it verifies, interpret it on small inputs
 * under a deadline and (for a module with Shardy annotations) propagate, partition and run the partitioned program on
 * its simulated devices. Returns the last stage reached; a failure propagates as thrown, for {@link Verdicts} to judge.
 */
final class Pipeline {
    private Pipeline() {}

    /** The furthest stage a mutant reached without an error. */
    enum Stage { PARSED, VERIFIED, INTERPRETED, PARTITIONED, RAN_SPMD }

    /** Arguments up to this many elements are made up; a larger one leaves its function uninterpreted. */
    static final long MAX_INPUT_ELEMENTS = 4096;
    /**
     * Tensors between this and the interpreter's own limit ({@link Shape#MAX_ELEMENTS}, which it refuses by name) are
     * not evaluated: they are legal but would spend the test JVM's heap and time on one mutant.
     */
    static final long MAX_EVAL_ELEMENTS = 1 << 20;
    /** Partitioned programs are run on at most this many simulated devices. */
    static final int MAX_DEVICES = 16;

    /** The furthest stage a mutant got to, even when a later stage (or the one-device run) then failed. */
    static final class Progress {
        volatile Stage furthest = null;

        void at(Stage s) { if (furthest == null || s.compareTo(furthest) > 0) furthest = s; }
    }

    static Stage run(String text, long deadlineNanos, long seed) { return run(text, deadlineNanos, seed, new Progress()); }

    static Stage run(String text, long deadlineNanos, long seed, Progress progress) {
        List<Module> modules = MlirParser.parseSplit(text, "mutant.mlir");
        Stage reached = Stage.PARSED;
        progress.at(reached);
        for (Module m : modules) {
            ModuleVerifier.verify(m);
            roundTrip(m);
            // inspect's cost report, after the sharding check inspect runs first (CostAnalysis alone throws an
            // IllegalArgumentException without a location for a sharding of the wrong rank or an undeclared mesh)
            io.hlo4j.mlir.dialect.sdy.SdyVerifier.verifyShardingAnnotations(m.op());
            io.hlo4j.compiler.cost.CostReport.text(io.hlo4j.compiler.cost.CostAnalysis.analyze(m), io.hlo4j.compiler.cost.Target.ALL.get(0));
            reached = Stage.VERIFIED;
            progress.at(reached);
            boolean sharded = text.contains("sdy.");
            // a sharded module is partitioned whatever its one-device run did: manual computations, jax.export's round-trip
            // form and per-device programs with collectives do not run on one device but are what run --spmd is for
            RuntimeException oneDevice = null;
            if (interpretable(m)) {
                try {
                    interpret(m, deadlineNanos, new Random(seed));
                    reached = Stage.INTERPRETED;
                    progress.at(reached);
                } catch (RuntimeException e) {
                    if (!sharded) throw e;
                    oneDevice = e;
                }
            }
            if (sharded) {
                try {
                    reached = spmd(m, deadlineNanos, new Random(seed), reached, progress);
                } catch (RuntimeException | Error e) {
                    if (oneDevice != null) e.addSuppressed(oneDevice);
                    throw e;
                }
            }
            if (oneDevice != null) throw oneDevice; // judged as it stands, after the partitioned run
        }
        return reached;
    }

    /**
     * A verified module prints (pretty and generic) to text that parses again: a printer that writes what the parser
     * refuses is a bug, not a refusal, so it is reported as a {@link PrinterBug} rather than a ParseException. The
     * printer itself refuses, by name, a form that nests deeper than the parser reads (a PrintLimitException: a refusal).
     */
    private static void roundTrip(Module m) {
        for (io.hlo4j.mlir.print.PrintOptions o : List.of(io.hlo4j.mlir.print.PrintOptions.DEFAULT, io.hlo4j.mlir.print.PrintOptions.GENERIC)) {
            String printed = io.hlo4j.mlir.print.MlirPrinter.print(m, o);
            try {
                MlirParser.parseModule(printed, "printed.mlir");
            } catch (Hlo4jException e) {
                throw new PrinterBug("the " + (o.generic() ? "generic" : "pretty") + " form of a verified module does not parse: " + e.format(), e);
            }
        }
    }

    /** The printed form of a verified module did not parse again. */
    static final class PrinterBug extends AssertionError {
        PrinterBug(String message, Throwable cause) { super(message, cause); }
    }

    /** Every function's arguments can be made up small, and no value is too large to evaluate within the test's budget. */
    private static boolean interpretable(Module m) {
        boolean[] ok = {true};
        Walker.walk(m.op(), op -> {
            for (OpResult r : op.results()) {
                if (r.type() instanceof TensorType t && t.hasStaticShape()) {
                    long n = elements(t);
                    if (n > MAX_EVAL_ELEMENTS && n <= Shape.MAX_ELEMENTS) ok[0] = false;
                }
            }
        });
        return ok[0];
    }

    private static long elements(TensorType t) {
        try {
            return t.numElements();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** @main (or the only function) on made-up inputs; otherwise each function that takes no arguments, as the conformance runner does. */
    private static void interpret(Module m, long deadlineNanos, Random r) {
        Interpreter interp = new Interpreter(m);
        interp.setDeadline(deadlineNanos);
        interp.setPrintSink(s -> { });
        Operation entry = m.entryFunction();
        List<Operation> fns = entry != null ? List.of(entry) : m.functions();
        for (Operation fn : fns) {
            List<HostArray> args = inputs(fn.region(0).isEmpty() ? List.of() : argTypes(fn), r);
            if (args == null) continue;
            List<RtValue> in = new ArrayList<>();
            for (HostArray a : args) in.add(HostArrays.toTensor(a));
            interp.call(fn, in, Process.single());
        }
    }

    private static List<Type> argTypes(Operation fn) {
        List<Type> out = new ArrayList<>();
        for (var a : fn.region(0).entry().arguments()) out.add(a.type());
        return out;
    }

    /** Small values (0..3, which also make valid indices for small gathers and slices) for each argument; null when one cannot be made. */
    static List<HostArray> inputs(List<? extends Type> types, Random r) {
        List<HostArray> out = new ArrayList<>();
        for (Type t : types) {
            if (!(t instanceof TensorType tt) || !tt.hasStaticShape() || elements(tt) > MAX_INPUT_ELEMENTS) return null;
            if (tt.encoding() != null) return null;
            int n = (int) tt.numElements();
            try {
                if (tt.elementType() instanceof FloatType) {
                    double[] v = new double[n];
                    for (int i = 0; i < n; i++) v[i] = r.nextInt(4) - 0.5 * r.nextInt(2);
                    out.add(HostArray.fromDoubles(tt, v));
                } else {
                    long[] v = new long[n];
                    for (int i = 0; i < n; i++) v[i] = r.nextInt(2);
                    out.add(HostArray.fromLongs(tt, v));
                }
            } catch (RuntimeException e) { // an element type HostArray has no values for (complex, token): not run
                return null;
            }
        }
        return out;
    }

    /** Propagation and partitioning (as {@code run --spmd} does, imports included), then the run on the simulated devices. */
    private static Stage spmd(Module m, long deadlineNanos, Random r, Stage reached, Progress progress) {
        // the rule run --spmd applies first (DeviceLimits, declared and inline meshes): a mesh too large to simulate is
        // refused by name, as a limit (Verdicts counts it as a refusal because the CLI refuses it the same way)
        DeviceLimits.simulatable(m);
        Module shardy = GspmdImport.toShardy(SdyRoundTripImport.toShardy(m));
        PartitionedProgram pp = PartitionDeadline.within(deadlineNanos, () -> Spmd.explicit(shardy));
        ModuleVerifier.verify(pp.module());
        progress.at(Stage.PARTITIONED);
        if (pp.devices() > MAX_DEVICES) return Stage.PARTITIONED;
        List<HostArray> args = inputs(pp.argTypes(), r);
        if (args == null) return Stage.PARTITIONED;
        SpmdRunner.run(pp.module(), pp.meshes(), args, pp.argShardings(), pp.resultShardings(), pp.resultTypes(), deadlineNanos);
        progress.at(Stage.RAN_SPMD);
        return Stage.RAN_SPMD;
    }

    /** For messages: the class and detail of a failure that is an hlo4j error. */
    static String describe(Hlo4jException e) { return e.getClass().getSimpleName() + ": " + e.format(); }
}
