package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Evaluates a module's functions on concrete values, op by op, as the StableHLO spec defines each op.
 * Thread-safe: each simulated device evaluates with its own {@link Process} and scopes.
 */
public final class Interpreter {
    static { Kernels.init(); }

    private final Module module;
    private final SymbolTable symbols;
    private volatile long deadline = Long.MAX_VALUE;
    private final Map<Block, ElementwiseFusion.Plan> fusionPlans = new ConcurrentHashMap<>();
    /** Where each block's values are read for the last time (under its fusion plan), to unbind them then. */
    private final Map<Block, Liveness> liveness = new ConcurrentHashMap<>();
    /** Each block's transposes that its dots read in place ({@link TransposeFolding}). */
    private final Map<Block, Set<Operation>> foldings = new ConcurrentHashMap<>();
    /** Blocks whose every static result fits a tensor (see {@link #checkSizes}); each block is checked once. */
    private final Set<Block> sizeChecked = ConcurrentHashMap.newKeySet();
    /** Functions from which no recursive call chain is reachable ({@link CallCycles}); each is walked once. */
    private final Set<Operation> acyclic = ConcurrentHashMap.newKeySet();
    private final java.util.Map<io.hlo4j.mlir.attr.DenseElementsAttr, Tensor> constants =
            java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    public Interpreter(Module module) {
        this.module = module;
        this.symbols = module.symbols();
    }

    public Module module() { return module; }

    private volatile java.util.function.Consumer<String> printSink = System.out::print;
    private volatile java.nio.file.Path probeDir;
    private long probeFiles;

    /** Where {@code interpreter.print} writes (default {@code System.out}); each print arrives as one string. */
    public void setPrintSink(java.util.function.Consumer<String> sink) { printSink = java.util.Objects.requireNonNull(sink); }

    /**
     * The folder {@code interpreter.probe} writes into ({@code probe<N>.npy} and {@code index.csv}). Like the
     * reference at the start of a run, this removes an {@code index.csv} left there and restarts the file numbering.
     */
    public synchronized void setProbeDir(java.nio.file.Path dir) {
        try {
            if (dir != null) java.nio.file.Files.deleteIfExists(dir.resolve(ProbeKernels.INDEX));
        } catch (java.io.IOException e) {
            throw new InterpreterException("cannot remove " + dir.resolve(ProbeKernels.INDEX) + ": " + e.getMessage(), null);
        }
        probeDir = dir;
        probeFiles = 0;
    }

    /** The probe folder; null when none was set. */
    public java.nio.file.Path probeDir() { return probeDir; }

    synchronized long nextProbeFile() { return ++probeFiles; }

    /** Sends one printed value to the print sink; one at a time, so outputs of parallel devices never interleave. */
    synchronized void emit(String text) { printSink.accept(text); }

    /**
     * Evaluation stops with a {@link DeadlineExceeded} once {@link System#nanoTime()} passes {@code nanoTime}: every
     * device of a run, at its next op or in the collective it waits in.
     */
    public void setDeadline(long nanoTime) { deadline = nanoTime; }

    /**
     * The one place a device learns it must stop, checked before every op and while waiting in a collective: past
     * the deadline it fails naming where it is; once another device of its run failed ({@link Rendezvous#abort}),
     * it gives up. Evaluation is cooperative: no thread is killed, each returns through its own stack.
     */
    void checkStop(Operation op, Process process, boolean waiting) { checkStop(op, process, waiting, Thread.currentThread()); }

    /**
     * {@link #checkStop(Operation, Process, boolean)} for the device running on {@code owner}: a long kernel's parallel
     * workers check on behalf of the thread that runs the op ({@link StopCheck}), whose interrupt stops it.
     */
    void checkStop(Operation op, Process process, boolean waiting, Thread owner) {
        if (pastDeadline()) throw DeadlineExceeded.at(op, process, waiting);
        if (owner.isInterrupted() || process.grid().rendezvous().interrupted()) throw EvaluationInterrupted.at(op, process, waiting);
        // Read the deadline again: this thread may have read it before it was set, then paused while another device
        // passed it and aborted the run; that device's abort makes the deadline visible here, and past it this device
        // stopped at the deadline too (not merely abandoned by the other).
        if (process.grid().rendezvous().aborted()) throw pastDeadline() ? DeadlineExceeded.at(op, process, waiting) : Rendezvous.abandoned(op, process);
    }

    private boolean pastDeadline() { return deadline != Long.MAX_VALUE && System.nanoTime() > deadline; }

    /** A dense constant decoded once per attribute (tensors are immutable, so sharing is safe). */
    public Tensor constant(io.hlo4j.mlir.attr.DenseElementsAttr d) {
        return constants.computeIfAbsent(d, Tensor::fromDense);
    }

    /** The symbol table of the module's top level. */
    public SymbolTable symbols() { return symbols; }

    /** Runs the entry function ({@code @main}, or the only function) on one device. */
    public List<RtValue> run(List<? extends RtValue> inputs) { return run(null, inputs); }

    /** Runs function {@code name} (null: the entry function) on one device, with host arrays in and out. */
    public List<io.hlo4j.runtime.array.HostArray> runHost(String name, List<io.hlo4j.runtime.array.HostArray> inputs) {
        return HostArrays.toHost(run(name, HostArrays.toValues(inputs)));
    }

    /** Runs function {@code name} (null: the entry function) on one device. */
    public List<RtValue> run(String name, List<? extends RtValue> inputs) {
        return call(function(name), List.copyOf(inputs), Process.single());
    }

    /**
     * Runs function {@code name} (null: the entry function) on every device of a replicas x partitions grid, each
     * on its own thread; {@code inputs.get(i)} goes to process i in replica-major order. Returns each process's
     * results in that order.
     */
    public List<List<RtValue>> runParallel(String name, int replicas, int partitions, List<List<RtValue>> inputs) {
        return runParallel(name, replicas, partitions, inputs, null);
    }

    /** {@link #runParallel(String, int, int, List)} reporting every executed collective to {@code listener} (may be null). */
    public List<List<RtValue>> runParallel(String name, int replicas, int partitions, List<List<RtValue>> inputs,
                                           CollectiveListener listener) {
        ProcessGrid grid = new ProcessGrid(replicas, partitions).listen(listener);
        if (inputs.size() != grid.size()) {
            throw new InterpreterException(grid.size() + " devices need " + grid.size() + " input lists, got " + inputs.size(),
                    module.op().location());
        }
        Operation f = function(name);
        List<Operation> funcs = new ArrayList<>();
        for (int i = 0; i < grid.size(); i++) funcs.add(f);
        return RunParallel.run(this, grid, funcs, inputs);
    }

    /** The named function (null: the entry function); fails naming what is missing. */
    public Operation function(String name) {
        Operation f = name == null ? module.entryFunction() : symbols.lookup(name);
        if (f == null || !f.name().equals("func.func")) {
            throw new InterpreterException(name == null ? "no @main and not exactly one function in the module"
                    : "no function @" + name + " in the module", module.op().location());
        }
        return f;
    }

    /** Calls a {@code func.func} with {@code args} on {@code process}. */
    public List<RtValue> call(Operation func, List<RtValue> args, Process process) {
        Attribute ft = func.attr("function_type");
        String fname = SymbolTable.symbolName(func);
        Region body = func.region(0);
        if (body.isEmpty()) throw new InterpreterException("function @" + fname + " has no body", func.location());
        CallCycles.refuse(func, symbols, acyclic);
        Block entry = body.entry();
        if (entry.arguments().size() != args.size()) {
            throw new InterpreterException("function @" + fname + " takes " + entry.arguments().size()
                    + " arguments, got " + args.size(), func.location());
        }
        for (int i = 0; i < args.size(); i++) checkType("argument " + i + " of @" + fname, entry.argument(i).type(), args.get(i), func);
        List<RtValue> out = evalRegion(body, args, null, process);
        if (ft instanceof io.hlo4j.mlir.attr.TypeAttr ta && ta.value() instanceof FunctionType fty) {
            for (int i = 0; i < Math.min(out.size(), fty.results().size()); i++) {
                checkType("result " + i + " of @" + fname, fty.results().get(i), out.get(i), func);
            }
        }
        return out;
    }

    private static void checkType(String what, Type expected, RtValue v, Operation where) {
        if (expected instanceof TensorType et && v instanceof Tensor t) {
            if (!et.hasStaticShape()) {
                if (et.rank() != t.rank() || !et.elementType().equals(t.elementType)) {
                    throw new InterpreterException(what + " must be " + et + ", got " + t.type, where.location());
                }
                return;
            }
            if (!et.withShape(et.shape()).equals(t.type.withShape(t.shape))) {
                throw new InterpreterException(what + " must be " + et + ", got " + t.type, where.location());
            }
        }
    }

    /** Evaluates a single-block region: binds {@code args} to its block arguments and returns the terminator's operands. */
    public List<RtValue> evalRegion(Region region, List<RtValue> args, Scope parent, Process process) {
        if (region.blocks().size() != 1) {
            throw new InterpreterException("regions with " + region.blocks().size() + " blocks are not supported by the interpreter",
                    region.parent() == null ? null : region.parent().location());
        }
        Block b = region.entry();
        checkSizes(b);
        Scope scope = new Scope(parent);
        if (b.arguments().size() != args.size()) {
            throw new InterpreterException("region of " + (region.parent() == null ? "?" : region.parent().name()) + " takes "
                    + b.arguments().size() + " arguments, got " + args.size(), region.parent() == null ? null : region.parent().location());
        }
        for (int i = 0; i < args.size(); i++) scope.bind(b.argument(i), args.get(i));
        Frame frame = new Frame(this, scope, process);
        ElementwiseFusion.Plan plan = fusionPlans.computeIfAbsent(b, ElementwiseFusion::plan);
        Liveness live = liveness.computeIfAbsent(b, k -> Liveness.of(k, plan));
        for (Value v : live.deadOnEntry()) scope.unbind(v);
        Set<Operation> deferrable = plan.broadcasts();
        Set<Operation> folds = foldings.computeIfAbsent(b, TransposeFolding::plan);
        Map<Value, TransposeFolding.Folded> folded = folds.isEmpty() ? null : new IdentityHashMap<>(); // skipped transposes
        List<Operation> ops = b.operations();
        for (int at = 0; at < ops.size(); at++) {
            if (at > 0) live.release(at - 1, scope); // every path below ends its op here, skipped ones too
            Operation op = ops.get(at);
            checkStop(op, process, false);
            if (!deferrable.isEmpty() && deferrable.contains(op)) {
                continue; // its users read its operand (which a fused group may compute later)
            }
            if (folded != null && folds.contains(op)) { // its one reader, a dot, reads its operand in place
                RtValue x = scope.lookup(op.operand(0));
                if (!(x instanceof Tensor t)) throw InterpreterException.at(op, "operand 0 has no tensor value");
                folded.put(op.result(0), new TransposeFolding.Folded(t, Attrs.required(op, "permutation"), (TensorType) op.result().type()));
                continue;
            }
            List<RtValue> results;
            ElementwiseFusion.Group group = plan.groups().isEmpty() ? null : plan.groups().get(op);
            if (group == null && !plan.skipped().isEmpty() && plan.skipped().contains(op)) continue; // runs with its group
            if (group != null) {
                // the fused loops bypass evalOp: their chunks poll the stop as the group's last op
                guarded(op, group.last(), process, () -> {
                    ElementwiseFusion.eval(group, scope, plan); // binds every value of the group
                    return null;
                });
                continue;
            } else if (!deferrable.isEmpty() && op.numOperands() == 2
                    && (plan.broadcastOf().containsKey(op.operand(0)) || plan.broadcastOf().containsKey(op.operand(1)))) {
                Map<Value, Tensor> deferred = new IdentityHashMap<>(); // deferred broadcast results -> their operands
                for (Value v : op.operands()) {
                    Operation bc = plan.broadcastOf().get(v);
                    if (bc != null) deferred.put(v, (Tensor) scope.lookup(bc.operand(0)));
                }
                results = guarded(op, op, process,
                        () -> List.of(BroadcastFusion.eval(op, scope.lookup(op.operand(0)), scope.lookup(op.operand(1)), deferred)));
            } else if (folded != null && !folded.isEmpty() && op.numOperands() >= 2
                    && (folded.containsKey(op.operand(0)) || folded.containsKey(op.operand(1)))) {
                results = evalFoldedDot(op, scope, folded, frame);
            } else {
                List<RtValue> operands = operands(op, scope);
                if (isTerminator(op)) return operands;
                results = evalOp(op, operands, frame);
            }
            if (results.size() != op.numResults()) {
                throw InterpreterException.at(op, "kernel returned " + results.size() + " results, the op has " + op.numResults());
            }
            for (int i = 0; i < results.size(); i++) scope.bind(op.result(i), results.get(i));
        }
        throw new InterpreterException("block has no terminator", region.parent() == null ? null : region.parent().location());
    }

    /**
     * Refuses, by op and location, a block holding a result too large for a tensor (a declared
     * {@code tensor<65536x65536xf32>} constant, say) before any of its ops runs, so no kernel allocates it (or
     * overflows an int or a long computing its size): the caller, whether the CLI, the conformance runner or the DSL, gets the
     * interpreter's limit rather than an OutOfMemoryError or an ArithmeticException.
     */
    private void checkSizes(Block b) {
        if (sizeChecked.contains(b)) return;
        for (Operation op : b.operations()) {
            for (io.hlo4j.mlir.ir.OpResult r : op.results()) {
                String why = TensorLimit.tooLarge(r.type());
                if (why != null) throw InterpreterException.at(op, "result #" + r.index() + " " + why);
            }
        }
        sizeChecked.add(b);
    }

    private static boolean isTerminator(Operation op) {
        return switch (op.name()) {
            case "func.return", "stablehlo.return", "sdy.return", "chlo.return" -> true;
            default -> false;
        };
    }

    private static List<RtValue> operands(Operation op, Scope scope) {
        List<RtValue> out = new ArrayList<>(op.numOperands());
        for (Value v : op.operands()) {
            RtValue x = scope.lookup(v);
            if (x == null) throw InterpreterException.at(op, "operand " + out.size() + " has no value");
            out.add(x);
        }
        return out;
    }

    /** A dot whose operand 0 or 1 is a skipped transpose: {@link TransposeFolding#evalDot}, as {@link #evalOp} runs kernels. */
    private List<RtValue> evalFoldedDot(Operation op, Scope scope, Map<Value, TransposeFolding.Folded> folded, Frame frame) {
        Object[] dot = new Object[2];
        List<RtValue> rest = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            Value v = op.operand(i);
            TransposeFolding.Folded f = i < 2 ? folded.remove(v) : null;
            RtValue x = f == null ? scope.lookup(v) : null;
            if (f == null && x == null) throw InterpreterException.at(op, "operand " + i + " has no value");
            if (i < 2) dot[i] = f != null ? f : x;
            else rest.add(x);
        }
        return guarded(op, op, frame.process(), () -> TransposeFolding.evalDot(op, dot[0], dot[1], rest));
    }

    /** Runs one op's kernel; failures are reported with the op and its location. */
    public List<RtValue> evalOp(Operation op, List<RtValue> operands, Frame frame) {
        Kernel k = Kernels.lookup(op);
        if (k == null) {
            // the location travels with the exception: the CLI and format() print it before the message
            throw new InterpreterException("not supported by the interpreter: " + op.name(), op.location());
        }
        return guarded(op, op, frame.process(), () -> Quant.needsDequantizedEvaluation(op)
                ? Quant.evalDequantized(op, operands, frame, k) : k.eval(op, operands, frame));
    }

    /**
     * Runs a kernel ({@code body}) for op {@code op}: with the stop check entered as {@code stopAt} (long kernels poll
     * it through {@link StopCheck#current}; a fused group polls as its last op), and a failure that is not already an
     * {@link InterpreterException} reported with {@code op}'s name and location.
     */
    private <T> T guarded(Operation op, Operation stopAt, Process process, Supplier<T> body) {
        StopCheck outer = StopCheck.enter(this, stopAt, process);
        try {
            return body.get();
        } catch (InterpreterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InterpreterException(op.name() + ": " + e, op.location(), e);
        } finally {
            StopCheck.restore(outer);
        }
    }
}
