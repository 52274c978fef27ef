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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A device counts as stuck only while the collective it waits in still lacks a member. Three devices, timeout 0 ms:
 * C waits in Y = {A, B, C}; A and B complete X = {A, B} and are held (by the test probe) just after their collective
 * completed, before they leave the wait, as a loaded machine may leave a woken thread unscheduled. A counter of waiting
 * threads sees all three blocked and fails C ("every device blocked") at its next poll; A and B are not stuck, so C
 * must wait on until they, released, arrive in Y. Ordering is by latches: the test releases A and B only after C has
 * polled several times (20 ms apart) while both were held, each poll a point where the old count failed it.
 */
class RendezvousStuckTest {
    private static final int POLLS_WHILE_HELD = 5;

    @Test
    void devicesWhoseCollectiveCompletedAreNotStuckWhileTheyWake() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Interpreter interp = new Interpreter(MlirParser.parseModule("func.func @main() {\n  func.return\n}\n", "r.mlir"));
            ProcessGrid grid = new ProcessGrid(1, 3, 0);
            Rendezvous r = grid.rendezvous();
            Process a = grid.process(0, 0), b = grid.process(0, 1), c = grid.process(0, 2);
            Operation x = Operation.builder("stablehlo.all_reduce").build(), y = Operation.builder("stablehlo.all_gather").build(),
                    z = Operation.builder("stablehlo.all_to_all").build();
            CountDownLatch held = new CountDownLatch(2), release = new CountDownLatch(1), cPolledWhileHeld = new CountDownLatch(POLLS_WHILE_HELD);
            AtomicBoolean bothHeld = new AtomicBoolean();
            r.probe = new Rendezvous.Probe() {
                @Override public void polled(Process self) {
                    if (self.equals(c) && bothHeld.get()) cPolledWhileHeld.countDown();
                }

                @Override public void completed(Process self) {
                    if (self.equals(c)) return;
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            // one thread per device (the common pool may have a single worker on a small machine)
            ExecutorService devices = Executors.newFixedThreadPool(3);
            // collective 0: A and B meet in X, C alone in Z (a group of one); collective 1: all three meet in Y. Whichever
            // of A and B arrives in X second completes it; both are then held in 'completed'.
            List<Process> xg = List.of(a, b), yg = List.of(a, b, c);
            CompletableFuture<List<List<Tensor>>> cy = CompletableFuture.supplyAsync(() -> {
                r.exchange(z, c, List.of(c), 3, List.of(v(3)), interp);
                return r.exchange(y, c, yg, 2, List.of(v(3)), interp);
            }, devices);
            CompletableFuture<List<List<Tensor>>[]> ax = both(devices, () -> r.exchange(x, a, xg, 1, List.of(v(1)), interp),
                    () -> r.exchange(y, a, yg, 2, List.of(v(1)), interp));
            CompletableFuture<List<List<Tensor>>[]> bx = both(devices, () -> r.exchange(x, b, xg, 1, List.of(v(2)), interp),
                    () -> r.exchange(y, b, yg, 2, List.of(v(2)), interp));
            try {
                held.await();
                bothHeld.set(true);
                // C polls while A and B are held; had it failed (the old count), its future is done and the wait ends
                while (!cPolledWhileHeld.await(50, TimeUnit.MILLISECONDS)) if (cy.isDone()) break;
                assertThat(cy).as("C must still wait while A and B only have to wake").isNotDone();
                release.countDown();
                // each member gets every member's value, in group order
                List<List<Tensor>>[] aOut = ax.join(), bOut = bx.join();
                assertThat(values(aOut[0])).containsExactly(1L, 2L);
                assertThat(values(bOut[0])).containsExactly(1L, 2L);
                assertThat(values(aOut[1])).containsExactly(1L, 2L, 3L);
                assertThat(values(bOut[1])).containsExactly(1L, 2L, 3L);
                assertThat(values(cy.join())).containsExactly(1L, 2L, 3L);
            } finally {
                // passed: every device is done and this only ends the pool; failed: A and B may wait in Y for a C that
                // gave up, and the interrupt ends their wait (shutdown() would leave them parked)
                release.countDown();
                devices.shutdownNow();
            }
        });
    }

    /** A device's two collectives, one after the other, on {@code pool}. */
    private static CompletableFuture<List<List<Tensor>>[]> both(ExecutorService pool, java.util.function.Supplier<List<List<Tensor>>> first,
                                                                java.util.function.Supplier<List<List<Tensor>>> second) {
        return CompletableFuture.supplyAsync(() -> {
            @SuppressWarnings("unchecked") List<List<Tensor>>[] out = new List[] {first.get(), second.get()};
            return out;
        }, pool);
    }

    private static Tensor v(long x) { return Ir.ints(IntegerType.I32, shape(), x); }

    /** The one scalar each member deposited, in group order. */
    private static List<Long> values(List<List<Tensor>> exchanged) {
        return exchanged.stream().map(m -> m.getFirst().getInt(0)).toList();
    }
}
