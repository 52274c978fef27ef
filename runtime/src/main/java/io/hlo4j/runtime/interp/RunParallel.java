package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code interpreter.run_parallel}: {@code programs = [[@f, @g], ...]} lists, per replica (outer) and partition
 * (inner), the function each simulated device runs. Inputs are consumed and results returned in process order.
 */
final class RunParallel {
    private RunParallel() {}

    static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Attribute a = op.attr("programs");
        if (!(a instanceof ArrayAttr rows) || rows.size() == 0) throw InterpreterException.at(op, "programs must be a non-empty list of lists");
        int replicas = rows.size();
        int partitions = -1;
        List<Operation> funcs = new ArrayList<>();
        for (Attribute row : rows.elements()) {
            if (!(row instanceof ArrayAttr r)) throw InterpreterException.at(op, "programs must be a list of lists, got " + row);
            if (partitions < 0) partitions = r.size();
            else if (partitions != r.size()) throw InterpreterException.at(op, "every replica must list the same number of partitions");
            for (Attribute s : r.elements()) {
                String name = s instanceof SymbolRefAttr sr ? sr.root() : s.toString();
                Operation fn = f.interpreter().symbols().lookup(name);
                if (fn == null) throw InterpreterException.at(op, "no function @" + name);
                funcs.add(fn);
            }
        }
        ProcessGrid grid = new ProcessGrid(replicas, partitions);
        if (op.attr("infeed") instanceof ArrayAttr feeds) {
            // Each listed function (no arguments) produces one infeed entry, in order.
            for (Attribute s : feeds.elements()) {
                String name = s instanceof SymbolRefAttr sr ? sr.root() : s.toString();
                Operation fn = f.interpreter().symbols().lookup(name);
                if (fn == null) throw InterpreterException.at(op, "no infeed function @" + name);
                List<Tensor> entry = new ArrayList<>();
                for (RtValue v : f.interpreter().call(fn, new ArrayList<>(), f.process())) entry.add((Tensor) v);
                grid.infeed().add(entry);
            }
        }
        List<List<RtValue>> inputs = new ArrayList<>();
        int next = 0;
        for (Operation fn : funcs) {
            int n = fn.region(0).entry().arguments().size();
            if (next + n > args.size()) throw InterpreterException.at(op, "not enough inputs for the programs: " + args.size());
            inputs.add(args.subList(next, next + n));
            next += n;
        }
        List<List<RtValue>> results = run(f.interpreter(), grid, funcs, inputs);
        List<RtValue> out = new ArrayList<>();
        for (List<RtValue> r : results) out.addAll(r);
        return out;
    }

    /** Starts one simulated device's thread; the OS may refuse (an {@link OutOfMemoryError} or {@link IllegalStateException}). */
    @FunctionalInterface
    interface DeviceThreads {
        Thread start(int device, Runnable body);

        /** One platform thread per device, named after it, with a stack deep enough for nested regions. */
        DeviceThreads PLATFORM = (device, body) ->
                Thread.ofPlatform().name("hlo4j-device-" + device).stackSize(16 << 20).start(body);
    }

    /** Runs {@code funcs.get(i)} on process i (replica-major order), each on its own thread; rethrows the first failure. */
    static List<List<RtValue>> run(Interpreter interp, ProcessGrid grid, List<Operation> funcs, List<List<RtValue>> inputs) {
        return run(interp, grid, funcs, inputs, DeviceThreads.PLATFORM);
    }

    /**
     * As {@link #run(Interpreter, ProcessGrid, List, List)}, threads started by {@code threadStarter}. Every device stops
     * cooperatively ({@link Interpreter#checkStop}): when one fails the others give up at their next op or wait, and
     * at the interpreter's deadline all of them stop where they are; this returns or throws only once every device's
     * thread has ended.
     */
    static List<List<RtValue>> run(Interpreter interp, ProcessGrid grid, List<Operation> funcs, List<List<RtValue>> inputs,
                                   DeviceThreads threadStarter) {
        int n = grid.size();
        List<List<RtValue>> results = new ArrayList<>();
        Throwable[] errors = new Throwable[n];
        long[] failedAt = new long[n];
        java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) results.add(null);
        for (int i = 0; i < n; i++) {
            final int id = i;
            Process p = grid.process(i / grid.numPartitions(), i % grid.numPartitions());
            Runnable body = () -> {
                try {
                    results.set(id, interp.call(funcs.get(id), new ArrayList<>(inputs.get(id)), p));
                } catch (Throwable t) {
                    failedAt[id] = failures.incrementAndGet();
                    errors[id] = t;
                    grid.rendezvous().abort(t);
                } finally {
                    grid.rendezvous().finished(p);
                }
            };
            try {
                threads[i] = threadStarter.start(i, body);
            } catch (OutOfMemoryError | IllegalStateException e) {   // the OS refused another thread
                InterpreterException refused = new InterpreterException("cannot start simulated device " + i + " of " + n
                        + " (one thread each): the machine refused another thread (" + e.getMessage() + "); use fewer devices", io.hlo4j.mlir.ir.Location.UNKNOWN);
                grid.rendezvous().abort(refused);   // the devices already started stop at their next op or wait
                joinStarted(grid, threads, i);
                throw refused;
            }
        }
        if (joinStarted(grid, threads, n)) { // name where each device stopped, as a deadline's report does
            List<EvaluationInterrupted> stopped = new ArrayList<>();
            for (Throwable t : errors) if (t instanceof EvaluationInterrupted e) stopped.add(e);
            stopped.sort(java.util.Comparator.comparingInt(EvaluationInterrupted::device));
            StringBuilder m = new StringBuilder("interrupted while waiting for " + n + " simulated devices; they were stopped");
            for (int k = 0; k < stopped.size(); k++) m.append(k == 0 ? ": " : "; ").append(stopped.get(k).describeDevice());
            throw new InterpreterException(m.toString(), stopped.isEmpty() ? null : stopped.get(0).location());
        }
        // Report the root failure: the earliest one that is not a wait another failure abandoned. (A device that
        // gives up on a partner which already failed and finished reports that partner's absence; it came later.)
        Throwable first = null;
        long firstAt = Long.MAX_VALUE;
        boolean firstSecondary = true;
        for (int i = 0; i < n; i++) {
            Throwable t = errors[i];
            if (t == null) continue;
            boolean secondary = t.getMessage() != null && t.getMessage().contains("abandoned: " + Rendezvous.ABANDONED);
            if (first == null || firstSecondary && !secondary || secondary == firstSecondary && failedAt[i] < firstAt) {
                first = t;
                firstAt = failedAt[i];
                firstSecondary = secondary;
            }
        }
        if (first instanceof DeadlineExceeded) { // every device past the deadline stopped by itself: name them all
            List<DeadlineExceeded> stopped = new ArrayList<>();
            for (Throwable t : errors) if (t instanceof DeadlineExceeded d) stopped.add(d);
            throw DeadlineExceeded.of(stopped, n);
        }
        if (first instanceof RuntimeException re) throw re;
        if (first instanceof Error e) throw e;
        if (first != null) throw new IllegalStateException(first);
        return results;
    }

    /**
     * Waits for the first {@code started} threads to end. An interrupt of the waiting thread does not cut this short
     * (that would leave devices running): it is passed on to the devices, which stop at their next op, and is restored.
     * Returns whether there was one.
     */
    private static boolean joinStarted(ProcessGrid grid, Thread[] threads, int started) {
        boolean interrupted = false;
        for (int k = 0; k < started; k++) {
            while (true) {
                try {
                    threads[k].join();
                    break;
                } catch (InterruptedException e) {
                    // passed on to every device: each stops at its next op or wait with an EvaluationInterrupted
                    // naming where (an abort would make them report only an abandoned wait); the grid is marked
                    // first, so that no device sees another's abort before its own interrupt
                    if (!interrupted) {
                        grid.rendezvous().interruptAll();
                        for (int j = 0; j < started; j++) threads[j].interrupt();
                    }
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return interrupted;
    }
}
