package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Traced;

import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: traces the forward pass of a DeepSeek-V3-shaped MoE stack (hidden 7168, 256 routed experts top-8,
 * one shared expert, expert width 2048, 4096 tokens; shapes only, nothing allocated) and prints milliseconds
 * and emitted bytes per layer count. Usage: {@code TraceBenchmark [layers...]}.
 */
public final class TraceBenchmark {
    static final long H = 7168, E = 256, K = 8, F = 2048, T = 4096;

    static Tensor moeLayer(Tensor x, List<Tensor> w) {
        Tensor logits = Linalg.matmul(x, w.get(0), DType.F32);                       // [T, E]
        List<Tensor> top = Indexing.topK(logits, (int) K);                           // [T, K] each
        Tensor gates = Reductions.softmax(top.get(0), 1);
        Tensor experts = Ops.reshape(top.get(1), T * K);                             // expert of each (token, slot)
        Tensor order = Indexing.argsort(experts, 0);
        Tensor tokenOf = Ops.div(order, Ops.scalar(K, DType.I32));
        Tensor rows = Indexing.take(x, tokenOf, 0);                                  // [T*K, H] grouped by expert
        Tensor groupSizes = Indexing.bincount(experts, E);
        Tensor gate = Linalg.raggedDot(rows, w.get(1), groupSizes, DType.F32);
        Tensor up = Linalg.raggedDot(rows, w.get(2), groupSizes, DType.F32);
        Tensor act = Ops.astype(Ops.mul(Nn.silu(gate), up), DType.BF16);
        Tensor down = Linalg.raggedDot(act, w.get(3), groupSizes, DType.F32);         // [T*K, H]
        Tensor weight = Ops.reshape(Indexing.take(Ops.reshape(gates, T * K), order, 0), T * K, 1);
        Tensor routed = Indexing.scatterAdd(Ops.zeros(io.hlo4j.dsl.Shape.of(T, H), DType.F32), tokenOf, Ops.mul(down, weight), 0);
        Tensor shared = Linalg.matmul(Ops.astype(Ops.mul(Nn.silu(Linalg.matmul(x, w.get(4), DType.F32)),
                Linalg.matmul(x, w.get(5), DType.F32)), DType.BF16), w.get(6), DType.F32);
        return Ops.add(x, Ops.astype(Ops.add(routed, shared), DType.BF16));
    }

    static List<Object> layerSpecs() {
        return List.of(Spec.of(DType.BF16, H, E), Spec.of(DType.BF16, E, H, F), Spec.of(DType.BF16, E, H, F), Spec.of(DType.BF16, E, F, H),
                Spec.of(DType.BF16, H, F), Spec.of(DType.BF16, H, F), Spec.of(DType.BF16, F, H));
    }

    public static void main(String[] args) {
        int[] counts = args.length == 0 ? new int[]{4, 16, 61} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up
            for (int n : counts) {
                List<Object> specs = new ArrayList<>();
                specs.add(Spec.of(DType.BF16, T, H));
                for (int l = 0; l < n; l++) specs.add(layerSpecs());
                long t0 = System.nanoTime();
                Traced tr = Jit.traceFunction("moe", a -> {
                    Tensor x = (Tensor) a[0];
                    for (int l = 1; l < a.length; l++) {
                        @SuppressWarnings("unchecked") List<Tensor> w = (List<Tensor>) a[l];
                        x = moeLayer(x, w);
                    }
                    return x;
                }, specs.toArray());
                long t1 = System.nanoTime();
                String text = tr.lower().asText();
                long t2 = System.nanoTime();
                if (round == 1) {
                    System.out.printf("layers %d: trace %.1f ms, print %.1f ms, %d bytes, %d ops%n", n, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                            text.length(), tr.function().region(0).entry().operations().size());
                }
            }
        }
    }
}
