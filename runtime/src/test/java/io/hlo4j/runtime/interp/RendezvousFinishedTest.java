package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A member missing from one poll's snapshot that then arrives, completes the collective and finishes its program
 * before the poll asks whether it finished has not "never arrived". Two devices: A waits in X = {A, B}; the test
 * probe holds A just after its poll saw B missing; B then arrives (completing X), leaves and is marked finished, as a
 * loaded machine may schedule it while A is descheduled; A, released, must return both values, not fail naming B
 * (the old check: "B finished its program" from the stale snapshot; seen in ReshardPropertyTest under load).
 */
class RendezvousFinishedTest {
    @Test
    void aMemberThatArrivedAfterTheSnapshotAndFinishedIsNotMissing() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Interpreter interp = new Interpreter(MlirParser.parseModule("func.func @main() {\n  func.return\n}\n", "r.mlir"));
            ProcessGrid grid = new ProcessGrid(1, 2, 0);
            Rendezvous r = grid.rendezvous();
            Process a = grid.process(0, 0), b = grid.process(0, 1);
            Operation x = Operation.builder("stablehlo.all_gather").build();
            CountDownLatch aSawBMissing = new CountDownLatch(1), bFinished = new CountDownLatch(1);
            r.probe = new Rendezvous.Probe() {
                @Override public void sawMissing(Process self, List<Process> missing) {
                    if (!self.equals(a) || !missing.contains(b) || aSawBMissing.getCount() == 0) return;
                    aSawBMissing.countDown();
                    try {
                        bFinished.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            ExecutorService devices = Executors.newFixedThreadPool(2);
            try {
                List<Process> group = List.of(a, b);
                CompletableFuture<List<List<Tensor>>> ax = CompletableFuture.supplyAsync(() -> r.exchange(x, a, group, 1, List.of(v(1)), interp), devices);
                aSawBMissing.await();
                List<List<Tensor>> bOut = CompletableFuture.supplyAsync(() -> r.exchange(x, b, group, 1, List.of(v(2)), interp), devices).join();
                r.finished(b);
                bFinished.countDown();
                assertThat(values(bOut)).containsExactly(1L, 2L);
                assertThat(values(ax.join())).as("A's values: B arrived, it did not 'never arrive'").containsExactly(1L, 2L);
            } finally {
                bFinished.countDown();
                devices.shutdownNow();
            }
        });
    }

    @Test
    void aMemberThatFinishedWithoutArrivingIsNamed() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Interpreter interp = new Interpreter(MlirParser.parseModule("func.func @main() {\n  func.return\n}\n", "r.mlir"));
            ProcessGrid grid = new ProcessGrid(1, 2, 0);
            Rendezvous r = grid.rendezvous();
            Process a = grid.process(0, 0), b = grid.process(0, 1);
            r.finished(b);
            Operation x = Operation.builder("stablehlo.all_gather").build();
            try {
                r.exchange(x, a, List.of(a, b), 1, List.of(v(1)), interp);
                throw new AssertionError("A's wait must fail: B finished without arriving");
            } catch (InterpreterException e) {
                assertThat(e.getMessage()).contains("never arrived").contains(b + " finished its program");
            }
        });
    }

    /**
     * The flake of RunParallelStopTest.everyDeviceStillComputingIsListedWhenNoneReachesTheCollective (1 in 50 runs
     * under load): A's poll passed its stop check; before it asked whether B finished, the deadline was set and B,
     * stopped by it, failed and was marked finished. A must report the deadline it waits past, not "B never arrived".
     */
    @Test
    void aPartnerStoppedByTheDeadlineSinceThePollsCheckIsNotReportedAsNeverArrived() {
        Throwable t = partnerFailsBetweenCheckAndQuestion(true);
        assertThat(t).isInstanceOf(DeadlineExceeded.class);
        assertThat(((DeadlineExceeded) t).stopped()).singleElement().satisfies(s -> assertThat(s.waiting()).isTrue());
    }

    /** The same window when B failed otherwise (no deadline): A gives up as abandoned, which the run reports as secondary. */
    @Test
    void aPartnerThatFailedSinceThePollsCheckMakesTheWaitAbandoned() {
        assertThat(partnerFailsBetweenCheckAndQuestion(false)).hasMessageContaining("abandoned: " + Rendezvous.ABANDONED);
    }

    /** A waits in X = {A, B}; held after a poll saw B missing, B fails (at the deadline, or otherwise) as RunParallel records it. */
    private static Throwable partnerFailsBetweenCheckAndQuestion(boolean deadline) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Interpreter interp = new Interpreter(MlirParser.parseModule("func.func @main() {\n  func.return\n}\n", "r.mlir"));
            ProcessGrid grid = new ProcessGrid(1, 2, 60_000);
            Rendezvous r = grid.rendezvous();
            Process a = grid.process(0, 0), b = grid.process(0, 1);
            Operation x = Operation.builder("stablehlo.all_gather").build();
            CountDownLatch aSawBMissing = new CountDownLatch(1), bFailed = new CountDownLatch(1);
            r.probe = new Rendezvous.Probe() {
                @Override public void sawMissing(Process self, List<Process> missing) {
                    if (!self.equals(a) || aSawBMissing.getCount() == 0) return;
                    aSawBMissing.countDown();
                    try {
                        bFailed.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            ExecutorService devices = Executors.newFixedThreadPool(1);
            try {
                CompletableFuture<Throwable> ax = CompletableFuture.supplyAsync(() -> {
                    try {
                        r.exchange(x, a, List.of(a, b), 1, List.of(v(1)), interp);
                        return null;
                    } catch (Throwable e) {
                        return e;
                    }
                }, devices);
                aSawBMissing.await();
                if (deadline) interp.setDeadline(System.nanoTime());
                r.abort(new InterpreterException("B failed", null)); // RunParallel: abort first, then finished
                r.finished(b);
                bFailed.countDown();
                Throwable t = ax.join();
                assertThat(t).as("A's wait must fail").isNotNull();
                return t;
            } finally {
                bFailed.countDown();
                devices.shutdownNow();
            }
        });
    }

    private static Tensor v(long x) { return Ir.ints(IntegerType.I32, shape(), x); }

    private static List<Long> values(List<List<Tensor>> exchanged) {
        return exchanged.stream().map(m -> m.getFirst().getInt(0)).toList();
    }
}
