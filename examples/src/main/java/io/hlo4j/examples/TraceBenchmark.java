package io.hlo4j.examples;

import io.hlo4j.compiler.ad.Autodiff;
import io.hlo4j.dsl.Control;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Traced;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.print.MlirPrinter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not a test: traces a DeepSeek-V3-shaped MoE stack (hidden 7168, 256 routed experts top-8, one shared expert,
 * expert width 2048, 4096 tokens; shapes only, nothing allocated), differentiates a scalar loss over the stack's
 * parameters and prints the module, timing each stage. The stack is either unrolled (one copy of the layer per
 * layer) or a {@link Control#scan} over parameters stacked on a leading layer axis (one copy in total).
 * Usage: {@code TraceBenchmark [layers...]}; after one untimed sweep over every configuration, prints one table
 * row per (layers, mode), best of 3 rounds.
 */
public final class TraceBenchmark {
    /** Model sizes: hidden, routed experts, experts per token, expert width, tokens. */
    public record Dims(long h, long e, long k, long f, long t) {
        public static final Dims DEEPSEEK_V3 = new Dims(7168, 256, 8, 2048, 4096);
    }

    public enum Mode { UNROLLED, SCAN }

    /** One measured configuration: the forward function, the module holding its value-and-grad function, and that module's text. */
    public record Run(int layers, Mode mode, Operation forward, Module module, String text,
                      double traceMs, double adMs, double printMs) {
        /** {@code loss_value_and_grad}: the arguments of {@code loss}; returns the loss, then one gradient per weight. */
        public Operation valueAndGrad() { return module.operations().get(0); }
        public long ops() { return countOps(valueAndGrad()); }
        public long forwardOps() { return countOps(forward); }
    }

    private TraceBenchmark() {}

    /** One MoE layer: router, top-k, tokens grouped by expert, grouped SwiGLU via ragged dots, scatter back, shared expert. */
    static Tensor moeLayer(Dims d, Tensor x, List<Tensor> w) {
        long tk = d.t() * d.k();
        Tensor logits = Linalg.matmul(x, w.get(0), DType.F32);                       // [T, E]
        List<Tensor> top = Indexing.topK(logits, (int) d.k());                       // [T, K] each
        Tensor gates = Reductions.softmax(top.get(0), 1);
        Tensor experts = Ops.reshape(top.get(1), tk);                                // expert of each (token, slot)
        Tensor order = Indexing.argsort(experts, 0);
        Tensor tokenOf = Ops.div(order, Ops.scalar(d.k(), DType.I32));
        Tensor rows = Indexing.takeInBounds(x, tokenOf, 0);                                  // [T*K, H] grouped by expert
        Tensor groupSizes = Indexing.bincount(experts, d.e());
        Tensor gate = Linalg.raggedDot(rows, w.get(1), groupSizes, DType.F32);
        Tensor up = Linalg.raggedDot(rows, w.get(2), groupSizes, DType.F32);
        Tensor act = Ops.astype(Ops.mul(Nn.silu(gate), up), DType.BF16);
        Tensor down = Linalg.raggedDot(act, w.get(3), groupSizes, DType.F32);         // [T*K, H]
        Tensor weight = Ops.reshape(Indexing.takeInBounds(Ops.reshape(gates, tk), order, 0), tk, 1);
        Tensor routed = Indexing.scatterAdd(Ops.zeros(Shape.of(d.t(), d.h()), DType.F32), tokenOf, Ops.mul(down, weight), 0);
        Tensor shared = Linalg.matmul(Ops.astype(Ops.mul(Nn.silu(Linalg.matmul(x, w.get(4), DType.F32)),
                Linalg.matmul(x, w.get(5), DType.F32)), DType.BF16), w.get(6), DType.F32);
        return Ops.add(x, Ops.astype(Ops.add(routed, shared), DType.BF16));
    }

    /** The seven weights of one layer; with {@code stacked > 0}, each gets a leading axis of that many layers. */
    static List<Object> layerSpecs(Dims d, long stacked) {
        long[][] shapes = {{d.h(), d.e()}, {d.e(), d.h(), d.f()}, {d.e(), d.h(), d.f()}, {d.e(), d.f(), d.h()},
                {d.h(), d.f()}, {d.h(), d.f()}, {d.f(), d.h()}};
        List<Object> out = new ArrayList<>();
        for (long[] s : shapes) {
            long[] dims = s;
            if (stacked > 0) {
                dims = new long[s.length + 1];
                dims[0] = stacked;
                System.arraycopy(s, 0, dims, 1, s.length);
            }
            out.add(Spec.of(DType.BF16, dims));
        }
        return out;
    }

    /** The arguments: activations [T, H], then per-layer weight lists (unrolled) or one list of stacked weights (scan). */
    static Object[] specs(Dims d, int layers, Mode mode) {
        List<Object> specs = new ArrayList<>();
        specs.add(Spec.of(DType.BF16, d.t(), d.h()));
        if (mode == Mode.SCAN) specs.add(layerSpecs(d, layers));
        else for (int l = 0; l < layers; l++) specs.add(layerSpecs(d, 0));
        return specs.toArray();
    }

    /** Traces {@code loss(x, params) = sum(f32(stack(x)))} as a function of flat leaves (x first, then the weights). */
    static Traced traceLoss(Dims d, int layers, Mode mode) {
        return Jit.traceFunction("loss", a -> {
            Tensor x = (Tensor) a[0];
            if (mode == Mode.SCAN) {
                @SuppressWarnings("unchecked") List<Tensor> ws = (List<Tensor>) a[1];
                x = Control.scan((carry, w) -> new Control.Step(List.of(moeLayer(d, carry.get(0), w)), List.of()),
                        List.of(x), ws).carry().get(0);
            } else {
                for (int l = 1; l < a.length; l++) {
                    @SuppressWarnings("unchecked") List<Tensor> w = (List<Tensor>) a[l];
                    x = moeLayer(d, x, w);
                }
            }
            return Reductions.sum(Ops.astype(x, DType.F32));
        }, specs(d, layers, mode));
    }

    /** Trace, differentiate with respect to every weight (all leaves but x), print: one timed configuration. */
    public static Run run(Dims d, int layers, Mode mode) {
        long t0 = System.nanoTime();
        Traced tr = traceLoss(d, layers, mode);
        long t1 = System.nanoTime();
        Operation fwd = tr.function();
        int leaves = fwd.region(0).entry().arguments().size();
        int[] wrt = new int[leaves - 1];
        for (int i = 0; i < wrt.length; i++) wrt[i] = i + 1;
        Operation vg = Autodiff.valueAndGrad(Module.of("bench", null, List.of(fwd), fwd.location()), "loss", wrt, "loss_value_and_grad");
        long t2 = System.nanoTime();
        Module module = Module.of("bench", null, List.of(vg), vg.location());
        String text = MlirPrinter.print(module);
        long t3 = System.nanoTime();
        return new Run(layers, mode, fwd, module, text, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
    }

    /** Operations in {@code op}'s regions, nested regions included (the op itself not counted). */
    public static long countOps(Operation op) {
        long n = 0;
        for (Region r : op.regions()) {
            for (Block b : r.blocks()) {
                for (Operation o : b.operations()) n += 1 + countOps(o);
            }
        }
        return n;
    }

    public static void main(String[] args) {
        int[] counts = args.length == 0 ? new int[]{4, 16, 61} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        Dims d = Dims.DEEPSEEK_V3;
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int n : counts) for (Mode m : Mode.values()) run(d, n, m); // warm-up sweep, untimed
        int rounds = 3; // each stage's figure is its best of 3; total and CPU are the best whole runs
        System.out.println("| layers | mode | trace ms | AD ms | print ms | total ms | total thread-CPU ms | fwd ops | fwd+bwd ops | text bytes |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (int n : counts) {
            for (Mode m : Mode.values()) {
                Run last = null;
                double bt = Double.MAX_VALUE, ba = Double.MAX_VALUE, bp = Double.MAX_VALUE, bsum = Double.MAX_VALUE, bcpu = Double.MAX_VALUE;
                for (int r = 0; r < rounds; r++) {
                    long c0 = cpu.getCurrentThreadCpuTime();
                    Run run = run(d, n, m);
                    bcpu = Math.min(bcpu, (cpu.getCurrentThreadCpuTime() - c0) / 1e6);
                    last = run;
                    bt = Math.min(bt, run.traceMs());
                    ba = Math.min(ba, run.adMs());
                    bp = Math.min(bp, run.printMs());
                    bsum = Math.min(bsum, run.traceMs() + run.adMs() + run.printMs());
                }
                System.out.printf("| %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %,d | %,d | %,d |%n", n, m.name().toLowerCase(), bt, ba, bp, bsum, bcpu,
                        last.forwardOps(), last.ops(), last.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            }
        }
    }
}
