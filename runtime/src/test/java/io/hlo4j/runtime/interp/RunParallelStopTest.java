package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.EndlessWhile;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * How a parallel run stops: at the interpreter's deadline (every device, wherever it is, named), and when the OS
 * refuses a device's thread (the started devices stopped, the refused one named). Each run must end with every
 * device's thread ended, well within the time a hang would take.
 */
class RunParallelStopTest {
    /** A device whose input is nonzero spins forever (line 5-10); then every device meets in an all_reduce (line 11). */
    private static final String SPIN_THEN_REDUCE = """
            func.func @main(%x: tensor<i32>) -> tensor<i32> {
              %zero = stablehlo.constant dense<0> : tensor<i32>
              %r = stablehlo.while(%i = %x) : tensor<i32>
                cond {
                  %c = stablehlo.compare NE, %i, %zero : (tensor<i32>, tensor<i32>) -> tensor<i1>
                  stablehlo.return %c : tensor<i1>
                } do {
                  %j = stablehlo.add %i, %zero : tensor<i32>
                  stablehlo.return %j : tensor<i32>
                }
              %s = "stablehlo.all_reduce"(%r) ({
                ^bb0(%a: tensor<i32>, %b: tensor<i32>):
                  %t = stablehlo.add %a, %b : tensor<i32>
                  stablehlo.return %t : tensor<i32>
              }) {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<i32>) -> tensor<i32>
              func.return %s : tensor<i32>
            }
            """;

    /** The program on {@code devices} (2 or 4) meeting in one all_reduce; InterpreterCancelTest uses it too. */
    static Module module(int devices) {
        String groups = devices == 4 ? "[[0, 1, 2, 3]]> : tensor<1x4xi64>" : "[[0, 1]]> : tensor<1x2xi64>";
        return MlirParser.parseModule(SPIN_THEN_REDUCE.replace("[[0, 1, 2, 3]]> : tensor<1x4xi64>", groups), "spin.mlir");
    }

    private static List<List<RtValue>> inputs(long... perDevice) {
        List<List<RtValue>> in = new ArrayList<>();
        for (long v : perDevice) in.add(List.of(Ir.ints(IntegerType.I32, shape(), v)));
        return in;
    }

    /** Starts threads as the default does, remembering each, and refuses device {@code refuse} (-1: none) as the OS would. */
    private static final class Recording implements RunParallel.DeviceThreads {
        final List<Thread> started = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> asked = Collections.synchronizedList(new ArrayList<>());
        final int refuse;

        Recording(int refuse) { this.refuse = refuse; }

        @Override public Thread start(int device, Runnable body) {
            asked.add(device);
            if (device == refuse) throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
            Thread t = PLATFORM.start(device, body);
            started.add(t);
            return t;
        }

        void assertAllEnded() {
            for (Thread t : started) assertThat(t.isAlive()).as(t.getName() + " still running").isFalse();
        }
    }

    private static List<List<RtValue>> run(Interpreter interp, int devices, List<List<RtValue>> in, RunParallel.DeviceThreads threads) {
        ProcessGrid grid = new ProcessGrid(1, devices);
        Operation main = interp.function("main");
        return RunParallel.run(interp, grid, Collections.nCopies(devices, main), in, threads);
    }

    private static double secondsSince(long t0) { return (System.nanoTime() - t0) / 1e9; }

    /**
     * Runs {@code run} and, once device {@code waiting} is blocked in a wait (however long a loaded machine takes to
     * get it there), sets the interpreter's deadline to now; returns what the run threw. The devices must all stop
     * within 10 s of the deadline.
     */
    private static Throwable deadlineOnceWaiting(Interpreter interp, Recording threads, int devices, int waiting,
                                                 org.assertj.core.api.ThrowableAssert.ThrowingCallable run) {
        return thrownWithin20s(() -> {
            java.util.concurrent.CompletableFuture<Throwable> outcome = java.util.concurrent.CompletableFuture.supplyAsync(() -> catchThrowable(run));
            // the deadline is set only once the waiting device is blocked and every other device is inside its loop,
            // so a loaded machine that starts a thread late cannot stop it before the loop (at its first constant)
            while (threads.started.size() < devices || threads.started.get(waiting).getState() != Thread.State.TIMED_WAITING
                    || !othersInLoop(threads, waiting)) {
                Thread.sleep(5);
            }
            long t0 = System.nanoTime();
            interp.setDeadline(t0);
            Throwable t = outcome.get();
            assertThat(secondsSince(t0)).isLessThan(10);
            if (t != null) throw t;
        });
    }

    /** Whether every started device but {@code waiting} is inside a {@code stablehlo.while} (its kernel is on the stack). */
    private static boolean othersInLoop(Recording threads, int waiting) {
        for (int i = 0; i < threads.started.size(); i++) {
            if (i == waiting) continue;
            boolean inLoop = false;
            for (StackTraceElement f : threads.started.get(i).getStackTrace()) inLoop |= f.getClassName().startsWith(ControlKernels.class.getName());
            if (!inLoop) return false;
        }
        return true;
    }

    /** What {@code run} throws, failing the test (instead of hanging it) if the run has not ended within 20 s. */
    private static Throwable thrownWithin20s(org.assertj.core.api.ThrowableAssert.ThrowingCallable run) {
        Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> catchThrowable(run));
        assertThat(t).as("the run must fail").isNotNull();
        return t;
    }

    @Test
    void theDeadlineStopsASpinningDeviceAndTheOneWaitingForItNamingBoth() {
        Interpreter interp = new Interpreter(module(2));
        Recording threads = new Recording(-1);
        DeadlineExceeded e = (DeadlineExceeded) deadlineOnceWaiting(interp, threads, 2, 0, () -> run(interp, 2, inputs(0, 1), threads));
        threads.assertAllEnded();
        assertThat(e.devices()).isEqualTo(2);
        assertThat(e.stopped()).hasSize(2);
        DeadlineExceeded.Stopped waiting = e.stopped().get(0), spinning = e.stopped().get(1);
        assertThat(waiting.process().flatId()).isZero();
        assertThat(waiting.waiting()).isTrue();
        assertThat(waiting.op()).isEqualTo("stablehlo.all_reduce");
        assertThat(waiting.location().describe()).isEqualTo("spin.mlir:11:3");
        assertThat(spinning.process().flatId()).isEqualTo(1);
        assertThat(spinning.waiting()).isFalse();
        assertThat(((Location.FileLineCol) spinning.location()).line()).isBetween(5, 9); // somewhere in the loop's regions
        assertThat(e.getMessage()).startsWith("evaluation ran past its deadline on 2 of 2 simulated devices: device 0 waiting in "
                        + "stablehlo.all_reduce (spin.mlir:11:3) in @main; device 1 at stablehlo.")
                .contains("in stablehlo.while (spin.mlir:3:3) in @main");
        assertThat(e.location()).isEqualTo(spinning.location()); // the computing device is the likelier culprit
    }

    @Test
    void aDeadlineThatIsNotReachedChangesNothing() {
        Interpreter interp = new Interpreter(module(2));
        interp.setDeadline(System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
        List<List<RtValue>> out = interp.runParallel("main", 1, 2, inputs(0, 0));
        for (List<RtValue> d : out) assertThat(((Tensor) d.get(0)).ints).containsExactly(0); // 0 + 0 on each device
    }

    @Test
    void everyDeviceStillComputingIsListedWhenNoneReachesTheCollective() {
        Interpreter interp = new Interpreter(module(4));
        Recording threads = new Recording(-1);
        DeadlineExceeded e = (DeadlineExceeded) deadlineOnceWaiting(interp, threads, 4, 1, () -> run(interp, 4, inputs(1, 0, 1, 1), threads));
        threads.assertAllEnded();
        assertThat(e.stopped()).extracting(s -> s.process().flatId()).containsExactly(0, 1, 2, 3);
        assertThat(e.stopped()).extracting(DeadlineExceeded.Stopped::waiting).containsExactly(false, true, false, false);
        assertThat(e.getMessage()).startsWith("evaluation ran past its deadline on 4 of 4 simulated devices: device 0 at stablehlo.")
                .contains("; device 1 waiting in stablehlo.all_reduce (spin.mlir:11:3) in @main; device 2 at stablehlo.");
    }

    @Test
    void aDeviceWaitingInRecvIsStoppedAtTheDeadlineToo() {
        // Device 0 waits on a channel nobody sends to (waited for while device 1 computes); device 1 spins.
        Module m = MlirParser.parseModule("""
                func.func @waits() -> tensor<i32> {
                  %t = "stablehlo.create_token"() : () -> !stablehlo.token
                  %v, %t2 = "stablehlo.recv"(%t) {channel_handle = #stablehlo.channel_handle<handle = 5, type = 1>} : (!stablehlo.token) -> (tensor<i32>, !stablehlo.token)
                  func.return %v : tensor<i32>
                }
                """ + EndlessWhile.function("spins"), "recv.mlir");
        Interpreter interp = new Interpreter(m);
        Recording threads = new Recording(-1);
        List<Operation> funcs = List.of(interp.function("waits"), interp.function("spins"));
        Throwable t = deadlineOnceWaiting(interp, threads, 2, 0, () -> RunParallel.run(interp, new ProcessGrid(1, 2), funcs, List.of(List.of(), List.of()), threads));
        threads.assertAllEnded();
        assertThat(t).isInstanceOf(DeadlineExceeded.class).hasMessageStartingWith(
                "evaluation ran past its deadline on 2 of 2 simulated devices: device 0 waiting in stablehlo.recv (recv.mlir:3:3) in @waits; "
                        + "device 1 at stablehlo.");
    }

    @Test
    void aRecvWaitsForASenderThatComputesLongerThanTheTimeout() {
        // Device 1 counts to 100,000 (hundreds of ms, far past the 100 ms timeout) before it sends; device 0's recv
        // must wait for it, as a collective waits for a slow member (a fixed 100 ms limit failed it).
        Module m = MlirParser.parseModule("""
                func.func @waits() -> tensor<i32> {
                  %t = "stablehlo.create_token"() : () -> !stablehlo.token
                  %v, %t2 = "stablehlo.recv"(%t) {channel_handle = #stablehlo.channel_handle<handle = 5, type = 1>} : (!stablehlo.token) -> (tensor<i32>, !stablehlo.token)
                  func.return %v : tensor<i32>
                }
                func.func @sends() -> tensor<i32> {
                  %c0 = stablehlo.constant dense<0> : tensor<i32>
                  %one = stablehlo.constant dense<1> : tensor<i32>
                  %n = stablehlo.constant dense<100000> : tensor<i32>
                  %r = stablehlo.while(%i = %c0) : tensor<i32>
                    cond {
                      %c = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
                      stablehlo.return %c : tensor<i1>
                    } do {
                      %j = stablehlo.add %i, %one : tensor<i32>
                      stablehlo.return %j : tensor<i32>
                    }
                  %t = "stablehlo.create_token"() : () -> !stablehlo.token
                  %t2 = "stablehlo.send"(%r, %t) {channel_handle = #stablehlo.channel_handle<handle = 5, type = 1>} : (tensor<i32>, !stablehlo.token) -> !stablehlo.token
                  func.return %r : tensor<i32>
                }
                """, "sendlate.mlir");
        Interpreter interp = new Interpreter(m);
        List<Operation> funcs = List.of(interp.function("waits"), interp.function("sends"));
        String old = System.getProperty("hlo4j.interp.collectiveTimeoutMs");
        System.setProperty("hlo4j.interp.collectiveTimeoutMs", "100"); // where the old fixed limit was read
        try {
            long t0 = System.nanoTime();
            List<List<RtValue>> out = assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
                    RunParallel.run(interp, new ProcessGrid(1, 2, 100), funcs, List.of(List.of(), List.of())));
            assertThat(((Tensor) out.get(0).get(0)).ints).containsExactly(100000);
            assertThat((System.nanoTime() - t0) / 1e6).as("device 1's loop outlasts the timeout").isGreaterThan(100);
        } finally {
            if (old == null) System.clearProperty("hlo4j.interp.collectiveTimeoutMs");
            else System.setProperty("hlo4j.interp.collectiveTimeoutMs", old);
        }
    }

    @Test
    void aRecvThatNothingCanReachFailsOnceEveryDeviceIsBlockedOrFinished() {
        // device 1 finishes without sending: device 0's recv gives up after the grid's timeout, naming the op
        Module m = MlirParser.parseModule("""
                func.func @waits() -> tensor<i32> {
                  %t = "stablehlo.create_token"() : () -> !stablehlo.token
                  %v, %t2 = "stablehlo.recv"(%t) {channel_handle = #stablehlo.channel_handle<handle = 5, type = 1>} : (!stablehlo.token) -> (tensor<i32>, !stablehlo.token)
                  func.return %v : tensor<i32>
                }
                func.func @quits() -> tensor<i32> {
                  %c0 = stablehlo.constant dense<0> : tensor<i32>
                  func.return %c0 : tensor<i32>
                }
                """, "nosend.mlir");
        Interpreter interp = new Interpreter(m);
        List<Operation> funcs = List.of(interp.function("waits"), interp.function("quits"));
        assertThat(thrownWithin20s(() -> RunParallel.run(interp, new ProcessGrid(1, 2, 100), funcs, List.of(List.of(), List.of()))))
                .extracting(e -> ((InterpreterException) e).format()) // the location once, first
                .isEqualTo("nosend.mlir:3:3: stablehlo.recv: nothing arrived on channel 5 (every device blocked or finished for 100 ms)");
    }

    @Test
    void aRefusedThreadIsNamedAndTheStartedDevicesAreStopped() {
        // Devices 0 and 1 start and spin forever (no deadline): only the abort can stop them; device 2 is refused.
        Interpreter interp = new Interpreter(module(4));
        Recording threads = new Recording(2);
        long t0 = System.nanoTime();
        assertThat(thrownWithin20s(() -> run(interp, 4, inputs(1, 1, 1, 1), threads)))
                .isExactlyInstanceOf(InterpreterException.class)
                .hasMessage("cannot start simulated device 2 of 4 (one thread each): the machine refused another thread (unable to create "
                        + "native thread: possibly out of memory or process/resource limits reached); use fewer devices")
                .satisfies(e -> assertThat(((InterpreterException) e).location()).isEqualTo(Location.UNKNOWN));
        assertThat(secondsSince(t0)).isLessThan(10);
        assertThat(threads.asked).containsExactly(0, 1, 2); // device 3 was never tried
        assertThat(threads.started).hasSize(2);
        threads.assertAllEnded();
    }

    @Test
    void aRefusedThreadStopsDevicesWaitingInACollective() {
        // Devices 0 and 1 reach the all_reduce at once and wait there for devices 2 and 3.
        Interpreter interp = new Interpreter(module(4));
        Recording threads = new Recording(2);
        long t0 = System.nanoTime();
        assertThat(thrownWithin20s(() -> run(interp, 4, inputs(0, 0, 0, 0), threads))).hasMessageStartingWith("cannot start simulated device 2 of 4");
        assertThat(secondsSince(t0)).isLessThan(10);
        threads.assertAllEnded();
    }

    @Test
    void aFailingDeviceStopsTheOthersStillComputing() {
        // Device 1 fails at once (a custom_call the interpreter does not know); device 0 spins forever without a
        // deadline and must give up at its next op: the run ends with device 1's error, not device 0's.
        Module m = MlirParser.parseModule("""
                func.func @main(%x: tensor<i32>) -> tensor<i32> {
                  %zero = stablehlo.constant dense<0> : tensor<i32>
                  %p = stablehlo.compare EQ, %x, %zero : (tensor<i32>, tensor<i32>) -> tensor<i1>
                  %r = "stablehlo.if"(%p) ({
                    %f = stablehlo.custom_call @no_such_target(%x) : (tensor<i32>) -> tensor<i32>
                    stablehlo.return %f : tensor<i32>
                  }, {
                    %w = stablehlo.while(%i = %x) : tensor<i32>
                      cond {
                        %c = stablehlo.compare NE, %i, %zero : (tensor<i32>, tensor<i32>) -> tensor<i1>
                        stablehlo.return %c : tensor<i1>
                      } do {
                        stablehlo.return %i : tensor<i32>
                      }
                    stablehlo.return %w : tensor<i32>
                  }) : (tensor<i1>) -> tensor<i32>
                  func.return %r : tensor<i32>
                }
                """, "fail.mlir");
        Interpreter interp = new Interpreter(m);
        Recording threads = new Recording(-1);
        long t0 = System.nanoTime();
        assertThat(thrownWithin20s(() -> run(interp, 2, inputs(1, 0), threads)))
                .hasMessageContaining("custom_call @no_such_target").hasMessageNotContaining("abandoned");
        assertThat(secondsSince(t0)).isLessThan(10);
        threads.assertAllEnded();
    }
}
