package io.hlo4j.dsltest.bench;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.ir.Operation;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

/**
 * Time to trace a function of about 10,000 ops through the DSL (each op's type rule and verifier run as it is
 * emitted): transpose, slice, pad, concat, broadcasting add, compare + where, dot_general and dynamic_update_slice in a
 * loop. Not a test: {@code docs/benchmarks-dsl.md} gives the command. Prints the op count and the best and median of
 * the timed rounds, wall and thread CPU.
 */
public final class TraceBench {
    private TraceBench() {}

    static final TracedFunction BODY = a -> {
        Tensor x = (Tensor) a[0], w = (Tensor) a[1], b = (Tensor) a[2];
        Tensor zero = Ops.scalar(0, DType.I32);
        for (int i = 0; i < 800; i++) {
            Tensor t = Ops.transpose(Ops.transpose(x, 1, 0), 1, 0);
            Tensor s = Ops.slice(t, new long[]{0, 0}, new long[]{8, 8});
            Tensor p = Ops.pad(s, 0, new long[]{0, 0}, new long[]{0, 8}, new long[]{0, 0});
            Tensor y = Ops.add(Ops.concat(0, p, x), b);
            Tensor m = Ops.where(Ops.gt(y, 0.0), y, Ops.neg(y));
            Tensor d = Linalg.dotGeneral(m, w, new int[]{1}, new int[]{0}, new int[0], new int[0], null);
            x = Ops.dynamicUpdateSlice(x, Ops.slice(d, new long[]{0, 0}, new long[]{8, 16}), List.of(zero, zero));
        }
        return x;
    };

    public static void main(String[] args) {
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 5, repeat = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Spec xs = Spec.of(DType.F32, 8, 16), ws = Spec.of(DType.F32, 16, 16), bs = Spec.of(DType.F32, 16);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int ops = 0;
        for (int r = 0; r < warmup; r++) ops = count(Jit.jit("bench", BODY).trace(xs, ws, bs).function());
        double[] wall = new double[repeat], cpu = new double[repeat];
        for (int r = 0; r < repeat; r++) {
            long c0 = mx.getCurrentThreadCpuTime(), w0 = System.nanoTime();
            Jit.jit("bench", BODY).trace(xs, ws, bs);
            wall[r] = (System.nanoTime() - w0) / 1e6;
            cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        System.out.printf("traced %d ops; %d warmup + %d timed rounds%n", ops, warmup, repeat);
        System.out.printf("wall ms: best %.1f, median %.1f; thread CPU ms: best %.1f, median %.1f; best CPU us/op %.2f%n",
                wall[0], wall[repeat / 2], cpu[0], cpu[repeat / 2], cpu[0] * 1000 / ops);
    }

    static int count(Operation fn) {
        int n = 0;
        for (var region : fn.regions()) for (var block : region.blocks()) n += block.operations().size();
        return n;
    }
}
