package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The run's stop (deadline, an interrupt of the device's thread, another device's failure) as seen from inside one
 * op's kernel. {@link Interpreter#checkStop} runs between ops; a single op can be long (a dot of large matrices, a
 * convolution, a sort, or any element-wise or data-movement op on a huge tensor), so every kernel whose time grows with
 * its data polls this: chunked loops through {@link #range} (parallel on the kernel pool), serial element loops through
 * {@link #end}, other outer loops through {@link #poll}, also from the worker threads of a parallel loop. Polls are
 * cheap: the check itself runs once per {@link #EVERY} units of reported work. KernelStopTest holds every such kernel to it.
 */
final class StopCheck {
    /** Work (multiply-adds, roughly) between two real checks: well under a millisecond of kernel time. */
    static final long EVERY = 1 << 18;

    private static final ThreadLocal<StopCheck> CURRENT = new ThreadLocal<>();
    /** Outside an interpreter run (a kernel called directly): polls do nothing. */
    private static final StopCheck NONE = new StopCheck(null, null, null, null);

    private final Interpreter interp;
    private final Operation op;
    private final Process process;
    private final Thread owner;
    /** Work since the last check; updated racily by parallel workers, which only shifts when the next check comes. */
    private long pending;
    /** Set when the op's thread was interrupted while waiting for a parallel loop: its workers stop at their next poll. */
    private volatile boolean cancelled;

    private StopCheck(Interpreter interp, Operation op, Process process, Thread owner) {
        this.interp = interp;
        this.op = op;
        this.process = process;
        this.owner = owner;
    }

    /** The check of the op the calling thread is evaluating; capture it before a parallel loop (workers have none). */
    static StopCheck current() {
        StopCheck s = CURRENT.get();
        return s == null ? NONE : s;
    }

    /** Makes {@code op} the current op of this thread; returns the previous check, for {@link #restore}. */
    static StopCheck enter(Interpreter interp, Operation op, Process process) {
        StopCheck prev = CURRENT.get();
        CURRENT.set(new StopCheck(interp, op, process, Thread.currentThread()));
        return prev;
    }

    /** Restores the check that {@link #enter} replaced (a region's op returns to its enclosing op's). */
    static void restore(StopCheck prev) {
        if (prev == null) CURRENT.remove();
        else CURRENT.set(prev);
    }

    /** Items of a serial element loop between two polls ({@link #end}). */
    static final int STEP = 1 << 12;

    /**
     * For a serial loop over elements, cut into chunks of {@link #STEP} whose inner loop stays plain (a test or a call
     * per element keeps C2 from vectorising it):
     * {@code for (long i0 = 0; i0 < n; i0 += STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++)}.
     * Polls the calling thread's op for the chunk starting at {@code from} and returns where the chunk ends.
     */
    static int end(long from, long n) {
        current().poll(STEP);
        return (int) Math.min(n, from + STEP);
    }

    /**
     * The one loop of kernels whose time grows with their data: runs {@code body} over [0, n) in chunks of
     * {@code chunk} items, polling the op's stop before each chunk ({@code workPerItem} units per item). From 4
     * chunks up the chunks run in parallel on the kernel pool ({@link #forEach}), else in order on this thread.
     * {@code body} must write disjoint outputs per item (the parallel case); the serial case runs chunks in order.
     */
    static void range(int n, int chunk, long workPerItem, FloatLoops.Range body) {
        StopCheck stop = current(); // captured here: the workers have none of their own
        int chunks = n <= 0 ? 0 : (int) (((long) n + chunk - 1) / chunk);
        long work = (long) chunk * Math.max(1, workPerItem);
        if (chunks < 4) {
            for (int c = 0; c < chunks; c++) {
                stop.poll(work);
                body.run(c * chunk, (int) Math.min(n, (long) (c + 1) * chunk));
            }
            return;
        }
        stop.forEach(IntStream.range(0, chunks).parallel(), c -> {
            stop.poll(work);
            body.run(c * chunk, (int) Math.min(n, (long) (c + 1) * chunk));
        });
    }

    /** {@link #range} run in order on this thread, whatever its size (for loops whose items depend on earlier ones). */
    static void serial(int n, int chunk, long workPerItem, FloatLoops.Range body) {
        StopCheck stop = current();
        long work = (long) chunk * Math.max(1, workPerItem);
        for (long lo = 0; lo < n; lo += chunk) {
            stop.poll(work);
            body.run((int) lo, (int) Math.min(n, lo + chunk));
        }
    }

    /** Reports {@code work} units done; past {@link #EVERY} since the last check, stops the op if the run must stop. */
    void poll(long work) {
        if (interp == null) return;
        if (cancelled) throw EvaluationInterrupted.at(op, process, false);
        long p = pending + work;
        if (p < EVERY) {
            pending = p;
            return;
        }
        pending = 0;
        interp.checkStop(op, process, false, owner);
    }

    /**
     * Where parallel kernel loops run: one worker per core. The common pool has one fewer (it counts on the calling
     * thread to work too), and here the caller only waits, so on it a 2-core machine would run these loops on one core.
     * A parallel stream started inside a worker forks into that worker's pool.
     */
    private static final ForkJoinPool KERNEL_POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    /**
     * Runs {@code body} over {@code ids}; a parallel stream runs on {@link #KERNEL_POOL} while the op's thread waits
     * interruptibly. (Running it on the calling thread would park that thread, once its own share is done, in a
     * ForkJoin wait that holds back its interrupt until the whole loop ends: the workers would never see it.) On an
     * interrupt the workers stop at their next {@link #poll}, the wait ends once they have, and the op fails.
     */
    void forEach(IntStream ids, IntConsumer body) {
        if (interp == null || !ids.isParallel() || Thread.currentThread() instanceof ForkJoinWorkerThread) {
            ids.forEach(body);
            return;
        }
        ForkJoinTask<?> task = KERNEL_POOL.submit(() -> ids.forEach(body));
        try {
            task.get();
        } catch (InterruptedException e) {
            cancelled = true;
            try {
                task.join(); // uninterruptible: no worker is left running the op's loop
            } catch (RuntimeException | Error ignored) {
                // the workers' own EvaluationInterrupted; the op's is thrown below
            }
            Thread.currentThread().interrupt();
            throw EvaluationInterrupted.at(op, process, false);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            // the pool may wrap a worker's exception in a fresh one of the same class: report the original
            while (c.getCause() != null && c.getCause().getClass() == c.getClass()) c = c.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }
}
