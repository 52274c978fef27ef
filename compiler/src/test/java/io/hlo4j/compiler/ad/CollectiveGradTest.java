package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Collectives on 4 replicas: the gradient on each replica against central finite differences of the summed
 * objective over all replicas (perturbing one element of one replica's argument at a time).
 */
class CollectiveGradTest {
    private static final int P = 4;
    private static final String SUM = """
            ({
              ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                %s = stablehlo.add %a, %b : tensor<f64>
                stablehlo.return %s : tensor<f64>
            })""";
    private static final String GROUPS = "replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>";

    @Test
    void allReduceSum() {
        check("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.all_reduce"(%x) SUM {GROUPS} : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""", f64(3));
    }

    @Test
    void allGatherTransposesToReduceScatter() {
        check("""
                func.func @f(%x: tensor<2x3xf64>) -> tensor<8x3xf64> {
                  %0 = "stablehlo.all_gather"(%x) {all_gather_dim = 0 : i64, GROUPS} : (tensor<2x3xf64>) -> tensor<8x3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<8x3xf64>
                  return %1 : tensor<8x3xf64>
                }""", f64(2, 3));
    }

    @Test
    void reduceScatterTransposesToAllGather() {
        check("""
                func.func @f(%x: tensor<3x8xf64>) -> tensor<3x2xf64> {
                  %0 = "stablehlo.reduce_scatter"(%x) SUM {scatter_dimension = 1 : i64, GROUPS} : (tensor<3x8xf64>) -> tensor<3x2xf64>
                  %1 = stablehlo.sine %0 : tensor<3x2xf64>
                  return %1 : tensor<3x2xf64>
                }""", f64(3, 8));
    }

    @Test
    void allToAllSwapsSplitAndConcatDims() {
        check("""
                func.func @f(%x: tensor<4x2xf64>) -> tensor<1x8xf64> {
                  %0 = "stablehlo.all_to_all"(%x) {split_dimension = 0 : i64, concat_dimension = 1 : i64, split_count = 4 : i64, GROUPS} : (tensor<4x2xf64>) -> tensor<1x8xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<1x8xf64>
                  return %1 : tensor<1x8xf64>
                }""", f64(4, 2));
    }

    @Test
    void collectivePermuteInvertsPairs() {
        check("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.collective_permute"(%x) {source_target_pairs = dense<[[0, 1], [1, 3], [3, 2]]> : tensor<3x2xi64>} : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""", f64(3));
    }

    /** The root (first of each group) broadcasts; its cotangent is the group's sum of cotangents (collective_reduce). */
    @Test
    void collectiveBroadcastTransposesToCollectiveReduce() {
        check("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.collective_broadcast"(%x) {replica_groups = dense<[[2, 0], [1, 3]]> : tensor<2x2xi64>} : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""", f64(3));
    }

    /** The root gets the group's sum, the others zeros; the transpose broadcasts the root's cotangent. */
    @Test
    void collectiveReduceTransposesToCollectiveBroadcast() {
        check("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.collective_reduce"(%x) SUM {replica_groups = dense<[[1, 0, 3, 2]]> : tensor<1x4xi64>} : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.sine %0 : tensor<3xf64>
                  %2 = stablehlo.multiply %1, %x : tensor<3xf64>
                  return %2 : tensor<3xf64>
                }""", f64(3));
    }

    /** cross-replica-sum (an all_reduce sum over replica groups, without a channel) is its own transpose. */
    @Test
    void crossReplicaSumIsItsOwnTranspose() {
        check("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.cross-replica-sum"(%x) {replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>} : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""", f64(3));
    }

    private static void check(String text, TensorType argType) {
        Module m = GradCheck.parse(text.replace("SUM", SUM).replace("GROUPS", GROUPS));
        Interpreter primal = new Interpreter(m);
        Random r = new Random(text.length());
        List<HostArray> xs = new ArrayList<>();
        for (int p = 0; p < P; p++) xs.add(uniform(argType, r, -1, 1));
        List<List<HostArray>> out = run(primal, "f", xs, null);
        List<HostArray> cts = new ArrayList<>();
        for (int p = 0; p < P; p++) cts.add(uniform(out.get(p).get(0).type(), r, -1, 1));
        List<List<HostArray>> vout = run(new Interpreter(GradCheck.vjpModule(m, "f", new int[] {0})), "vjp", xs, cts);
        for (int p = 0; p < P; p++) {
            assertThat(vout.get(p).get(0)).isEqualTo(out.get(p).get(0));
            double[] g = vout.get(p).get(1).toDoubleArray(), x = xs.get(p).toDoubleArray(), fd = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                fd[j] = (objective(primal, xs, p, x, j, GradCheck.H, cts) - objective(primal, xs, p, x, j, -GradCheck.H, cts))
                        / (2 * GradCheck.H);
            }
            double num = 0, den = 0;
            for (int j = 0; j < x.length; j++) { num += (g[j] - fd[j]) * (g[j] - fd[j]); den += fd[j] * fd[j]; }
            double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
            assertThat(rel).as("replica %d: vjp %s vs fd %s", p, java.util.Arrays.toString(g), java.util.Arrays.toString(fd))
                    .isLessThanOrEqualTo(GradCheck.TOL);
        }
    }

    private static double objective(Interpreter in, List<HostArray> xs, int p, double[] x, int j, double h, List<HostArray> cts) {
        double[] xp = x.clone();
        xp[j] += h;
        List<HostArray> args = new ArrayList<>(xs);
        args.set(p, HostArray.fromDoubles(xs.get(p).type(), xp));
        List<List<HostArray>> out = run(in, "f", args, null);
        double s = 0;
        for (int q = 0; q < P; q++) {
            double[] o = out.get(q).get(0).toDoubleArray(), c = cts.get(q).toDoubleArray();
            for (int e = 0; e < o.length; e++) s += o[e] * c[e];
        }
        return s;
    }

    private static List<List<HostArray>> run(Interpreter in, String name, List<HostArray> xs, List<HostArray> cts) {
        List<List<RtValue>> inputs = new ArrayList<>();
        for (int p = 0; p < P; p++) {
            List<HostArray> a = new ArrayList<>(List.of(xs.get(p)));
            if (cts != null) a.add(cts.get(p));
            inputs.add(HostArrays.toValues(a));
        }
        List<List<HostArray>> out = new ArrayList<>();
        for (List<RtValue> o : in.runParallel(name, P, 1, inputs)) out.add(HostArrays.toHost(o));
        return out;
    }
}
