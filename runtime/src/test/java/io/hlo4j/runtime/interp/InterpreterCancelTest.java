package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evaluation is cooperatively cancellable: an interrupt of the evaluating thread, or the interpreter's deadline, stops a
 * loop that never ends at its next op, a single long op inside its kernel (also on the workers of a parallel kernel),
 * and devices waiting in a collective for a device that never arrives; each ends with an error naming the op and its
 * line, and no thread of the run is left running (the live threads return to the baseline taken before the run).
 */
class InterpreterCancelTest {
    /** Counts up from 0 while the counter is not -1: never ends (lines 4-11 are the loop). */
    private static final String LOOP = """
            func.func @main() -> tensor<i64> {
              %zero = stablehlo.constant dense<0> : tensor<i64>
              %one = stablehlo.constant dense<1> : tensor<i64>
              %minus = stablehlo.constant dense<-1> : tensor<i64>
              %r = stablehlo.while(%i = %zero) : tensor<i64>
                cond {
                  %c = stablehlo.compare NE, %i, %minus : (tensor<i64>, tensor<i64>) -> tensor<i1>
                  stablehlo.return %c : tensor<i1>
                } do {
                  %j = stablehlo.add %i, %one : tensor<i64>
                  stablehlo.return %j : tensor<i64>
                }
              func.return %r : tensor<i64>
            }
            """;

    /** One dot of two {@code n x n} iotas (line 4): n^3 multiply-adds in one kernel call. */
    private static String dot(String type, int n) {
        String t = "tensor<" + n + "x" + n + "x" + type + ">";
        return "func.func @main() -> " + t + " {\n"
                + "  %a = stablehlo.iota dim = 0 : " + t + "\n"
                + "  %b = stablehlo.iota dim = 1 : " + t + "\n"
                + "  %c = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (" + t + ", " + t + ") -> " + t + "\n"
                + "  func.return %c : " + t + "\n"
                + "}\n";
    }

    /** Runs {@code body} on a fresh thread; returns it and what it threw (set when it ends). */
    private static Thread start(String name, AtomicReference<Throwable> thrown, Runnable body) {
        Thread t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, name, 16L << 20);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits (up to 20 s, however slow a loaded machine is) until {@code t} has a frame of class {@code inside} (or a
     * class named after it) other than its class initialiser, which may run before the op (a plan, a table).
     */
    private static void awaitInside(Thread t, Class<?> inside) throws InterruptedException {
        awaitInside(t, inside, null);
    }

    /** As {@link #awaitInside(Thread, Class)}, in method {@code method} of {@code inside} itself when not null. */
    private static void awaitInside(Thread t, Class<?> inside, String method) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            for (StackTraceElement f : t.getStackTrace()) {
                boolean in = method == null ? f.getClassName().startsWith(inside.getName()) && !f.getMethodName().equals("<clinit>")
                        : f.getClassName().equals(inside.getName()) && f.getMethodName().equals(method);
                if (in) return;
            }
            assertThat(t.isAlive()).as(t.getName() + " ended before reaching " + inside.getSimpleName()).isTrue();
            Thread.sleep(5);
        }
        throw new AssertionError(t.getName() + " never reached " + inside.getSimpleName());
    }

    /** The live threads that evaluate: device threads and any thread with an interpreter frame (pool workers included). */
    private static Set<Thread> evaluating(Set<Thread> baseline) {
        Set<Thread> out = new HashSet<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (baseline.contains(t) || t == Thread.currentThread()) continue;
            boolean interp = t.getName().startsWith("hlo4j-device-");
            for (StackTraceElement f : e.getValue()) interp |= f.getClassName().startsWith("io.hlo4j.runtime.interp.");
            if (interp) out.add(t);
        }
        return out;
    }

    /**
     * No thread started for the run is still alive, except idle common-pool workers (the JDK keeps them for a while,
     * with no interpreter frame): the non-pool thread count is back to the baseline's.
     */
    private static void assertBackToBaseline(Set<Thread> baseline) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<Thread> left = evaluating(baseline);
        while (!left.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(10);
            left = evaluating(baseline);
        }
        assertThat(left).as("threads still evaluating after the run stopped").isEmpty();
        List<Thread> extra = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!baseline.contains(t) && t.isAlive() && !(t instanceof java.util.concurrent.ForkJoinWorkerThread)) extra.add(t);
        }
        assertThat(extra).as("threads beyond the baseline").isEmpty();
    }

    /**
     * Applies {@code stop} to the running {@code t}; then {@code t} must end within 5 s of it (waiting up to 10 s),
     * having thrown {@code type} with exactly {@code message}, and the threads must be back to {@code before}.
     */
    private static void assertStopsWithin5s(Thread t, Runnable stop, String what, AtomicReference<Throwable> thrown,
                                            Class<? extends Throwable> type, String message, Set<Thread> before) throws InterruptedException {
        long t0 = System.nanoTime();
        stop.run();
        t.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(t.isAlive()).as(what).isFalse();
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);
        // the op's location once, before the message (format() is what the CLI prints)
        assertThat(thrown.get()).isInstanceOf(type).extracting(e -> ((InterpreterException) e).format()).isEqualTo(message);
        assertBackToBaseline(before);
    }

    private static Set<Thread> baseline() { return new HashSet<>(Thread.getAllStackTraces().keySet()); }

    @Test
    void anInterruptStopsALoopThatNeverEndsNamingTheOpAndItsLine() throws InterruptedException {
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(LOOP, "loop.mlir"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("loop", thrown, () -> interp.run(List.of()));
        awaitInside(t, ControlKernels.class);
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(t.isAlive()).as("the interrupted run must end").isFalse();
        assertThat(thrown.get()).isInstanceOf(EvaluationInterrupted.class)
                .hasMessageStartingWith("evaluation was interrupted at stablehlo.")
                .hasMessageContaining(" in stablehlo.while (loop.mlir:5:3) in @main");
        int line = ((Location.FileLineCol) ((EvaluationInterrupted) thrown.get()).location()).line();
        assertThat(line).isBetween(7, 11); // an op of the loop's regions
        assertBackToBaseline(before);
    }

    @Test
    void theDeadlineStopsAHugeIntegerDotInsideItsKernel() throws InterruptedException {
        // 2048^3 = 8.6e9 multiply-adds on one thread: seconds at best; the deadline comes once the kernel is running
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(dot("i32", 2048), "dot.mlir"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("dot", thrown, () -> interp.run(List.of()));
        awaitInside(t, DotKernels.class);
        assertStopsWithin5s(t, () -> interp.setDeadline(System.nanoTime()), "the dot must stop at the deadline", thrown, DeadlineExceeded.class,
                "dot.mlir:4:3: evaluation ran past its deadline at stablehlo.dot_general in @main", before);
    }

    /** A sliding sum over 2^21 elements with a window of 2^20 (line 4): 2^40 additions in one kernel call. */
    private static final String WINDOW = """
            func.func @main() -> tensor<1048577xi64> {
              %x = stablehlo.iota dim = 0 : tensor<2097152xi64>
              %z = stablehlo.constant dense<0> : tensor<i64>
              %r = "stablehlo.reduce_window"(%x, %z) ({
                ^bb0(%a: tensor<i64>, %b: tensor<i64>):
                  %s = stablehlo.add %a, %b : tensor<i64>
                  stablehlo.return %s : tensor<i64>
              }) {window_dimensions = array<i64: 1048576>} : (tensor<2097152xi64>, tensor<i64>) -> tensor<1048577xi64>
              func.return %r : tensor<1048577xi64>
            }
            """;

    @Test
    void theDeadlineStopsAHugeReduceWindowInsideItsKernel() throws InterruptedException {
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(WINDOW, "window.mlir"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("window", thrown, () -> interp.run(List.of()));
        awaitInside(t, ReduceKernels.class);
        assertStopsWithin5s(t, () -> interp.setDeadline(System.nanoTime()), "the reduce_window must stop at the deadline", thrown, DeadlineExceeded.class,
                "window.mlir:4:3: evaluation ran past its deadline at stablehlo.reduce_window in @main", before);
    }

    @Test
    void anInterruptStopsAHugeFloatDotOnItsParallelWorkers() throws InterruptedException {
        // f64: rows on the common pool's workers, which check for the interrupted thread that runs the op
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(dot("f64", 2048), "dot.mlir"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("dot", thrown, () -> interp.run(List.of()));
        awaitInside(t, DotKernels.class);
        assertStopsWithin5s(t, t::interrupt, "the dot must stop when interrupted", thrown, EvaluationInterrupted.class,
                "dot.mlir:4:3: evaluation was interrupted at stablehlo.dot_general in @main", before);
    }

    /** A stable sort of 2^22 f64 keys (line 4): about 92 million comparisons in one kernel call (merge sort). */
    private static final String SORT = """
            func.func @main() -> tensor<4194304xf64> {
              %x = stablehlo.iota dim = 0 : tensor<4194304xf64>
              %n = stablehlo.negate %x : tensor<4194304xf64>
              %r = "stablehlo.sort"(%n) ({
                ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                  %l = stablehlo.compare LT, %a, %b : (tensor<f64>, tensor<f64>) -> tensor<i1>
                  stablehlo.return %l : tensor<i1>
              }) {dimension = 0 : i64, is_stable = true} : (tensor<4194304xf64>) -> tensor<4194304xf64>
              func.return %r : tensor<4194304xf64>
            }
            """;

    @Test
    void anInterruptStopsAHugeSortInsideItsKernel() throws InterruptedException {
        // the comparator is read as a primitive test (no region per comparison, so no check between ops): only the
        // sort's own polls, one per merge, can stop it; before them the error named the func.return after it, or none
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(SORT, "sort.mlir"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("sort", thrown, () -> interp.run(List.of()));
        awaitInside(t, SortKernels.class);
        assertStopsWithin5s(t, t::interrupt, "the sort must stop when interrupted", thrown, EvaluationInterrupted.class,
                "sort.mlir:4:3: evaluation was interrupted at stablehlo.sort in @main", before);
    }

    @Test
    void anInterruptWhileTheOpsThreadWaitsForItsParallelWorkersStopsTheOp() throws InterruptedException {
        // the op's thread waits (parked) for the pool's workers; a ForkJoin wait used to hold back its interrupt until
        // the whole loop ended, so the workers never saw it and the error named a later op (or none)
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(dot("f64", 2048), "dot.mlir"));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("dot", thrown, () -> interp.run(List.of()));
        awaitParkedInside(t, DotKernels.class);
        assertStopsWithin5s(t, t::interrupt, "the dot must stop when interrupted", thrown, EvaluationInterrupted.class,
                "dot.mlir:4:3: evaluation was interrupted at stablehlo.dot_general in @main", before);
    }

    /** Waits (up to 20 s) until {@code t} is parked (WAITING) with a frame of class {@code inside} on its stack. */
    private static void awaitParkedInside(Thread t, Class<?> inside) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            Thread.State st = t.getState();
            if (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING) {
                for (StackTraceElement f : t.getStackTrace()) if (f.getClassName().startsWith(inside.getName())) return;
            }
            assertThat(t.isAlive()).as(t.getName() + " ended before waiting in " + inside.getSimpleName()).isTrue();
            Thread.sleep(5);
        }
        throw new AssertionError(t.getName() + " never waited in " + inside.getSimpleName());
    }

    /*
     * Timed end to end: each kernel below runs well over a second without a stop (on 2 cores); 100 ms after the run is
     * seen inside it, the deadline passes. It must end within 5 s of setting the deadline: 100 ms plus the time
     * to its next poll (one chunk: 2^14 elements of the fused chain, one row of the batch norm, 4,096 zetas: each
     * well under 100 ms even on a loaded machine), plus thread scheduling. Without a poll inside the kernel
     * the error would name the op after it (or the run would end normally).
     */

    private static void assertDeadlineStopsInside(String text, String file, Class<?> kernel, List<RtValue> args, String op,
                                                  String line) throws InterruptedException {
        assertDeadlineStopsInside(text, file, kernel, null, args, op, line);
    }

    /** {@code method}: the kernel's method that runs the op, when the class has others that run before it. */
    private static void assertDeadlineStopsInside(String text, String file, Class<?> kernel, String method, List<RtValue> args,
                                                  String op, String line) throws InterruptedException {
        Set<Thread> before = baseline();
        Interpreter interp = new Interpreter(MlirParser.parseModule(text, file));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start(kernel.getSimpleName(), thrown, () -> interp.run(args));
        awaitInside(t, kernel, method);
        assertStopsWithin5s(t, () -> interp.setDeadline(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)),
                op + " must stop at the deadline", thrown, DeadlineExceeded.class,
                file + ":" + line + ": evaluation ran past its deadline at " + op + " in @main", before);
    }

    @Test
    void theDeadlineStopsAFusedChainOfFortySinesInsideItsLoop() throws InterruptedException {
        // 40 sines of 2^22 f32 run as one fused group (lines 3-42), which bypasses evalOp: 168 million sines, about
        // 5 s on 2 cores; the group polls as its last op
        int n = 1 << 22;
        String t = "tensor<" + n + "xf32>";
        StringBuilder text = new StringBuilder("func.func @main() -> " + t + " {\n  %s0 = stablehlo.iota dim = 0 : " + t + "\n");
        for (int i = 1; i <= 40; i++) text.append("  %s").append(i).append(" = stablehlo.sine %s").append(i - 1).append(" : ").append(t).append("\n");
        text.append("  func.return %s40 : ").append(t).append("\n}\n");
        // ElementwiseFusion.eval: the block's entry runs ElementwiseFusion.plan (and the class's init) before the iota,
        // so any ElementwiseFusion frame could set the deadline while the iota runs, which the error would then name
        assertDeadlineStopsInside(text.toString(), "sines.mlir", ElementwiseFusion.class, "eval", List.of(), "stablehlo.sine", "42:3");
    }

    @Test
    void theDeadlineStopsABatchNormWithTheFeatureDimensionLast() throws InterruptedException {
        // feature_index 1 of 2048x4096 f64 (64 MiB, and as much for the result): one element per (row, feature), read
        // with a stride of 32 KiB, three passes per feature; polled once per row
        String x = "tensor<2048x4096xf64>", f = "tensor<4096xf64>";
        String text = "func.func @main() -> " + x + " {\n"
                + "  %x = stablehlo.iota dim = 0 : " + x + "\n"
                + "  %one = stablehlo.constant dense<1.0> : " + f + "\n"
                + "  %r, %m, %v = \"stablehlo.batch_norm_training\"(%x, %one, %one) {epsilon = 1.0e-05 : f32, feature_index = 1 : i64} : ("
                + x + ", " + f + ", " + f + ") -> (" + x + ", " + f + ", " + f + ")\n"
                + "  func.return %r : " + x + "\n}\n";
        assertDeadlineStopsInside(text, "bn.mlir", BatchNorm.class, List.of(), "stablehlo.batch_norm_training", "4:3");
    }

    @Test
    void theDeadlineStopsASerialElementwiseKernel() throws InterruptedException {
        // chlo.zeta, a serial element loop (StopCheck.end per 4,096 elements), on 2^21 f64: a series per element
        int n = 1 << 21;
        String t = "tensor<" + n + "xf64>";
        String text = "func.func @main(%x: " + t + ", %q: " + t + ") -> " + t + " {\n"
                + "  %r = \"chlo.zeta\"(%x, %q) : (" + t + ", " + t + ") -> " + t + "\n"
                + "  func.return %r : " + t + "\n}\n";
        double[] xs = new double[n], qs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = 2 + (i % 97) / 16.0;
            qs[i] = 0.5 + (i % 89) / 32.0;
        }
        assertDeadlineStopsInside(text, "zeta.mlir", SpecialChloKernels.class,
                List.of(Ir.reals(io.hlo4j.mlir.types.FloatType.F64, shape(n), xs), Ir.reals(io.hlo4j.mlir.types.FloatType.F64, shape(n), qs)),
                "chlo.zeta", "2:3");
    }

    @Test
    void aKernelCalledOutsideARunIsNotChecked() {
        // no interpreter, no deadline: the same kernel runs to the end and its numbers are the product's
        Tensor a = Ir.ints(IntegerType.I32, shape(2, 2), 1, 2, 3, 4), b = Ir.ints(IntegerType.I32, shape(2, 2), 5, 6, 7, 8);
        Tensor c = DotKernels.dotGeneral(null, a, b, new long[0], new long[0], new long[] {1}, new long[] {0},
                io.hlo4j.mlir.types.TensorType.of(IntegerType.I32, 2, 2));
        assertThat(c.ints).containsExactly(19, 22, 43, 50);
    }

    @Test
    void anInterruptStopsACollectiveWaitingForADeviceThatNeverArrives() throws InterruptedException {
        // no deadline: device 1 computes forever, so device 0's wait never times out by itself (a slow device is waited for)
        Set<Thread> before = baseline();
        // device 1 spins before the all_reduce (line 11), so device 0 waits there for a device that never arrives
        Module m = RunParallelStopTest.module(2);
        Interpreter interp = new Interpreter(m);
        List<List<RtValue>> in = List.of(List.of(Ir.ints(IntegerType.I32, shape(), 0)), List.of(Ir.ints(IntegerType.I32, shape(), 1)));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("collective", thrown, () -> interp.runParallel("main", 1, 2, in));
        awaitDeviceWaiting();
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(t.isAlive()).as("the interrupted run must end").isFalse();
        assertThat(thrown.get()).isInstanceOf(InterpreterException.class)
                .hasMessageStartingWith("interrupted while waiting for 2 simulated devices; they were stopped: device 0 waiting in "
                        + "stablehlo.all_reduce (spin.mlir:11:3) in @main; device 1 at stablehlo.")
                .hasMessageEndingWith(" in stablehlo.while (spin.mlir:3:3) in @main");
        assertThat(((InterpreterException) thrown.get()).location().describe()).isEqualTo("spin.mlir:11:3");
        assertBackToBaseline(before);
    }

    /** Waits until device 0 is blocked in the rendezvous and device 1 is in its loop. */
    private static void awaitDeviceWaiting() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            boolean waiting = false, spinning = false;
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                for (StackTraceElement f : e.getValue()) {
                    if (e.getKey().getName().equals("hlo4j-device-0")) waiting |= f.getClassName().equals(Rendezvous.class.getName());
                    if (e.getKey().getName().equals("hlo4j-device-1")) spinning |= f.getClassName().equals(ControlKernels.class.getName());
                }
            }
            if (waiting && spinning) return;
            Thread.sleep(5);
        }
        throw new AssertionError("the devices never reached the collective and the loop");
    }
}
