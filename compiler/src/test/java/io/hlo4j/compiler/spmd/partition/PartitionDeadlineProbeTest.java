package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The partitioner's test probe is scoped to the work run in {@link PartitionDeadline#probing}: a probe one thread installs
 * is not called by a partitioning another thread runs meanwhile, nor after its scope ends.
 */
class PartitionDeadlineProbeTest {
    private static final int ADDS = 5;

    private static Module chain() {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= ADDS; i++) b.append("    %a").append(i).append(" = stablehlo.add %a").append(i - 1).append(", %a").append(i - 1).append(" : tensor<4xf32>\n");
        return MlirParser.parseModule("""
                module @m {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a0: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> (tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) {
                """ + b + """
                    return %a5 : tensor<4xf32>
                  }
                }
                """, "chain.mlir");
    }

    @Test
    void aProbeReachesOnlyThePartitioningInItsScope() throws Exception {
        List<Thread> callers = new CopyOnWriteArrayList<>();
        CountDownLatch probing = new CountDownLatch(1), otherDone = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        // A: partitions with the probe; its first probe call holds A until B has partitioned a whole program
        Thread a = Thread.ofPlatform().start(() -> {
            try {
                PartitionDeadline.probing(op -> {
                    callers.add(Thread.currentThread());
                    if (first.getAndSet(false)) {
                        probing.countDown();
                        try { otherDone.await(20, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                    }
                }, () -> Spmd.explicit(chain()));
            } catch (Throwable t) { failed.set(t); }
        });
        Thread b = Thread.ofPlatform().start(() -> {
            try {
                probing.await(20, TimeUnit.SECONDS);
                Spmd.explicit(chain());
            } catch (Throwable t) { failed.set(t); }
            finally { otherDone.countDown(); }
        });
        a.join(30_000);
        b.join(30_000);
        assertThat(failed.get()).isNull();
        assertThat(a.isAlive() || b.isAlive()).isFalse();
        // every call came from A: one per add it rewrote, none from B's partitioning
        assertThat(callers).hasSize(ADDS).containsOnly(a);
        // past its scope, the probe is gone from A's thread too
        Spmd.explicit(chain());
        assertThat(callers).hasSize(ADDS);
    }

    /** Past the deadline the error's location is the op's, said once (the CLI prints it first); the ops around it keep theirs. */
    @Test
    void theDeadlineNamesTheOpsLineOnce() {
        Module m = MlirParser.parseModule("""
                func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
                  %c = stablehlo.constant dense<0> : tensor<i64>
                  %r:2 = stablehlo.while(%i = %c, %v = %x) : tensor<i64>, tensor<4xf32>
                   cond {
                    %lt = stablehlo.compare LT, %i, %c : (tensor<i64>, tensor<i64>) -> tensor<i1>
                    stablehlo.return %lt : tensor<i1>
                  } do {
                    %n = stablehlo.negate %v : tensor<4xf32>
                    stablehlo.return %i, %n : tensor<i64>, tensor<4xf32>
                  }
                  return %r#1 : tensor<4xf32>
                }
                """, "loop.mlir");
        Operation negate = m.symbols().lookup("main").region(0).entry().operations().get(1).region(1).entry().operations().get(0);
        assertThat(negate.name()).isEqualTo("stablehlo.negate");
        assertThatThrownBy(() -> PartitionDeadline.within(System.nanoTime() - 1, () -> {
            PartitionDeadline.check(negate);
            return null;
        })).isInstanceOf(PartitionDeadline.Exceeded.class)
                .extracting(e -> ((PartitionDeadline.Exceeded) e).format())
                .isEqualTo("loop.mlir:8:5: partitioning ran past its deadline at stablehlo.negate in stablehlo.while (loop.mlir:3:3) in @main");
    }
}
