package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Jit's compile cache: a future per argument structure, so one trace and compile per key however many callers race to it,
 * callers of other keys never wait for it (proved with latches: the first trace is held until the second key's call has
 * returned), a failure is not kept, the {@link Jit#cacheLimit()} programs used last are kept and a dropped one stays
 * callable, a program still compiling is never the one dropped, and a recursive call of the same Jit while tracing works for another key and is refused for its own.
 * Values are computed by hand (x + x, small integers).
 */
class JitCacheTest {
    private static HostArray f32(double... v) { return HostArray.fromDoubles(Spec.of(DType.F32, v.length).tensorType(), v); }

    private static double[] doubled(double... v) {
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) out[i] *= 2;
        return out;
    }

    @Test
    void aTraceOfOneKeyNeverHoldsUpACallOfAnother() throws Exception {
        CountDownLatch firstTracing = new CountDownLatch(1), release = new CountDownLatch(1);
        Jit f = Jit.jit1(x -> {
            if (x.shape().dim(0) == 1) {   // the first key's trace waits until the other key's call is done
                firstTracing.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return x.add(x);
        });
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<Object> first = pool.submit(() -> f.call(f32(1)));
            assertThat(firstTracing.await(60, TimeUnit.SECONDS)).isTrue();
            // another key (many keys, so some share whatever bucket the first one's has), while the first key is mid-trace
            Future<List<Object>> others = pool.submit(() -> {
                List<Object> out = new ArrayList<>();
                for (int n = 2; n <= 17; n++) out.add(f.call(f32(new double[n])));
                return out;
            });
            List<Object> got = others.get(60, TimeUnit.SECONDS);   // a serialized cache would wait for `release`, never given before
            assertThat(got).hasSize(16).allSatisfy(r -> assertThat(((HostArray) r).toDoubleArray()).containsOnly(0));
            assertThat(first.isDone()).as("the first key is still being traced").isFalse();
            release.countDown();
            assertThat(((HostArray) first.get(60, TimeUnit.SECONDS)).toDoubleArray()).containsExactly(2);
        }
        assertThat(f.cacheSize()).isEqualTo(17);
    }

    @Test
    void eightThreadsCallingANewKeyTraceAndCompileItOnce() throws Exception {
        AtomicInteger traces = new AtomicInteger();
        Jit f = Jit.jit1(x -> {
            traces.incrementAndGet();
            return x.add(x);
        });
        CyclicBarrier start = new CyclicBarrier(8);
        List<Future<Object>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                double v = t;
                results.add(pool.submit(() -> {
                    start.await();
                    return f.call(f32(v, -v, 3));
                }));
            }
            for (int t = 0; t < 8; t++) {
                double v = t;   // -v of 0.0 is -0.0, and -0.0 + -0.0 is -0.0
                assertThat(((HostArray) results.get(t).get(60, TimeUnit.SECONDS)).toDoubleArray()).containsExactly(doubled(v, -v, 3));
            }
        }
        assertThat(traces.get()).isEqualTo(1);
        assertThat(f.cacheSize()).isEqualTo(1);
    }

    @Test
    void aFailedTraceIsNotKeptEachWaiterGetsItAndTheNextCallTriesAgain() throws Exception {
        AtomicInteger traces = new AtomicInteger();
        CountDownLatch tracing = new CountDownLatch(1), release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Jit f = Jit.jit1(x -> {
            traces.incrementAndGet();
            if (failing.get()) {
                tracing.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                throw new IllegalArgumentException("the model is broken");
            }
            return x.add(x);
        });
        List<Future<String>> callers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int t = 0; t < 4; t++)
                callers.add(pool.submit(() -> {
                    try {
                        f.call(f32(1, 2));
                        return "returned";
                    } catch (RuntimeException e) {
                        return e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                }));
            assertThat(tracing.await(60, TimeUnit.SECONDS)).isTrue();
            release.countDown();
            for (Future<String> c : callers) assertThat(c.get(60, TimeUnit.SECONDS)).isEqualTo("IllegalArgumentException: the model is broken");
        }
        // each caller got the failure, either waiting for the one trace or tracing again itself; none was kept
        assertThat(traces.get()).isBetween(1, 4);
        assertThat(f.cacheSize()).isZero();
        failing.set(false);
        assertThat(((HostArray) f.call(f32(1, 2))).toDoubleArray()).containsExactly(2, 4);
        assertThat(f.cacheSize()).isEqualTo(1);
    }

    @Test
    void theProgramsUsedLastAreKeptAndADroppedOneStaysCallable() {
        AtomicInteger traces = new AtomicInteger();
        Jit f = Jit.jit1(x -> {
            traces.incrementAndGet();
            return x.add(x);
        }).withCacheSize(2);
        assertThat(f.cacheLimit()).isEqualTo(2);
        Compiled one = f.compile(Spec.of(DType.F32, 1));
        f.call(f32(1, 2));
        f.call(f32(1, 2, 3));   // three keys, room for two: the least recently used (length 1) is dropped
        assertThat(f.cacheSize()).isEqualTo(2);
        assertThat(traces.get()).isEqualTo(3);
        f.call(f32(5, 6));      // kept: no trace
        assertThat(traces.get()).isEqualTo(3);
        assertThat(((HostArray) one.callTree(f32(7))).toDoubleArray()).as("the dropped program, still callable").containsExactly(14);
        f.call(f32(7));         // dropped: traced again, and now length 3 (used least recently) goes
        assertThat(traces.get()).isEqualTo(4);
        f.call(f32(1, 2));
        assertThat(traces.get()).isEqualTo(4);
        f.call(f32(1, 2, 3));
        assertThat(traces.get()).isEqualTo(5);
        assertThat(Jit.DEFAULT_CACHE_SIZE).isEqualTo(Jit.jit1(x -> x).cacheLimit());
        assertThatThrownBy(() -> f.withCacheSize(0)).isInstanceOf(DslException.class).hasMessageContaining("cache size 0 for @main: keep at least one program");
    }

    @Test
    void aProgramStillCompilingIsNeverDroppedSoItsKeyIsNotTracedTwice() throws Exception {
        AtomicInteger tracesOfOne = new AtomicInteger(), traces = new AtomicInteger();
        CountDownLatch firstTracing = new CountDownLatch(1), release = new CountDownLatch(1);
        Jit f = Jit.jit1(x -> {
            traces.incrementAndGet();
            if (x.shape().dim(0) == 1 && tracesOfOne.incrementAndGet() == 1) {   // A: the first trace of key 1 waits
                firstTracing.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return x.add(x);
        }).withCacheSize(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<Object> a = pool.submit(() -> f.call(f32(1)));
            assertThat(firstTracing.await(60, TimeUnit.SECONDS)).isTrue();
            // B: key 2 compiles while key 1 is pending; with room for one program it must not drop key 1's pending entry
            assertThat(((HostArray) f.call(f32(3, 4))).toDoubleArray()).containsExactly(6, 8);
            // C: key 1 again, while A still traces it: it must wait for A's compile, not start its own
            java.util.concurrent.atomic.AtomicReference<Thread> cThread = new java.util.concurrent.atomic.AtomicReference<>();
            Future<Object> c = pool.submit(() -> {
                cThread.set(Thread.currentThread());
                return f.call(f32(5));
            });
            // C waits (for A's future, or, were key 1 dropped, in a second trace at `release`); a state, not a timing
            for (long deadline = System.nanoTime() + 60_000_000_000L; ; Thread.sleep(1)) {
                Thread t = cThread.get();
                if (t != null && t.getState() == Thread.State.WAITING || c.isDone()) break;
                assertThat(System.nanoTime()).as("C never waited").isLessThan(deadline);
            }
            release.countDown();
            assertThat(((HostArray) a.get(60, TimeUnit.SECONDS)).toDoubleArray()).containsExactly(2);
            assertThat(((HostArray) c.get(60, TimeUnit.SECONDS)).toDoubleArray()).containsExactly(10);
        }
        assertThat(tracesOfOne.get()).as("key 1 traced once: its pending entry was kept").isEqualTo(1);
        assertThat(traces.get()).isEqualTo(2);
        assertThat(f.cacheSize()).as("back within the bound once key 1 completed").isEqualTo(1);
        f.call(f32(6));   // key 1 kept (key 2 went as it completed: the one done entry over the bound): no trace
        assertThat(traces.get()).isEqualTo(2);
    }

    @Test
    void aJitCalledWhileTracingItselfWorksForAnotherKeyAndIsRefusedForItsOwn() {
        Jit[] self = new Jit[1];
        AtomicInteger traces = new AtomicInteger();
        self[0] = Jit.jit1(x -> {
            traces.incrementAndGet();
            if (x.shape().dim(0) == 2) {
                // another key: traced, compiled and run inside this trace
                assertThat(((HostArray) self[0].call(f32(4))).toDoubleArray()).containsExactly(8);
            }
            if (x.shape().dim(0) == 3) self[0].call(f32(1, 2, 3));   // its own key: would wait for itself
            return x.add(x);
        });
        assertThat(((HostArray) self[0].call(f32(1, 2))).toDoubleArray()).containsExactly(2, 4);
        assertThat(self[0].cacheSize()).isEqualTo(2);
        assertThatThrownBy(() -> self[0].call(f32(1, 2, 3))).isInstanceOf(DslException.class)
                .hasMessageContaining("@main was called for [f32[3]] while tracing itself for the same arguments");
        assertThat(self[0].cacheSize()).as("the refused key is not kept").isEqualTo(2);
    }
}
