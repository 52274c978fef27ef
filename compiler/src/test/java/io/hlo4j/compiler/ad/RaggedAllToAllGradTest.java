package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.IntegerType;
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
 * custom_call @ragged_all_to_all on 4 simulated devices (partitions) with uneven chunks (some empty): the gradient
 * of each device's operand and output buffer against central finite differences of the objective summed over all
 * devices (perturbing one element of one device's argument at a time).
 */
class RaggedAllToAllGradTest {
    private static final int P = 4;

    /** send[j][i]: rows device j sends to device i. */
    private static final int[][] SEND = {{1, 0, 2, 1}, {0, 2, 1, 0}, {2, 1, 0, 1}, {1, 1, 1, 2}};

    @Test
    void raggedAllToAll() {
        Module m = GradCheck.parse("""
                func.func @f(%x: tensor<5x2xf64>, %buf: tensor<7x2xf64>, %io: tensor<4xi32>, %ss: tensor<4xi32>, %oo: tensor<4xi32>, %rs: tensor<4xi32>) -> tensor<7x2xf64> {
                  %s = stablehlo.sine %x : tensor<5x2xf64>
                  %0 = stablehlo.custom_call @ragged_all_to_all(%s, %buf, %io, %ss, %oo, %rs) {api_version = 4 : i32, backend_config = {channel_id = 1 : i64, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>}} : (tensor<5x2xf64>, tensor<7x2xf64>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) -> tensor<7x2xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<7x2xf64>
                  return %1 : tensor<7x2xf64>
                }""");
        Random r = new Random(8);
        List<List<HostArray>> args = new ArrayList<>();
        TensorType i32 = TensorType.of(IntegerType.I32, P);
        for (int j = 0; j < P; j++) {
            long[] io = new long[P], ss = new long[P], oo = new long[P], rs = new long[P];
            long at = 0;
            for (int i = 0; i < P; i++) { io[i] = at; ss[i] = SEND[j][i]; at += SEND[j][i]; }
            for (int i = 0; i < P; i++) {
                long off = 1; // receiver i keeps row 0 of its buffer; senders k < j fill the rows before j's chunk
                for (int k = 0; k < j; k++) off += SEND[k][i];
                oo[i] = off;
                rs[i] = SEND[i][j];
            }
            args.add(List.of(uniform(f64(5, 2), r, -1, 1), uniform(f64(7, 2), r, -1, 1), HostArray.fromLongs(i32, io),
                    HostArray.fromLongs(i32, ss), HostArray.fromLongs(i32, oo), HostArray.fromLongs(i32, rs)));
        }
        Interpreter primal = new Interpreter(m);
        List<List<HostArray>> out = run(primal, "f", args, null);
        List<HostArray> cts = new ArrayList<>();
        for (int p = 0; p < P; p++) cts.add(uniform(out.get(p).get(0).type(), r, -1, 1));
        List<List<HostArray>> vout = run(new Interpreter(GradCheck.vjpModule(m, "f", new int[] {0, 1})), "vjp", args, cts);
        for (int p = 0; p < P; p++) {
            assertThat(vout.get(p).get(0)).isEqualTo(out.get(p).get(0));
            for (int a = 0; a < 2; a++) {
                double[] g = vout.get(p).get(1 + a).toDoubleArray(), x = args.get(p).get(a).toDoubleArray(), fd = new double[x.length];
                for (int e = 0; e < x.length; e++) {
                    fd[e] = (objective(primal, args, p, a, x, e, GradCheck.H, cts) - objective(primal, args, p, a, x, e, -GradCheck.H, cts))
                            / (2 * GradCheck.H);
                }
                double num = 0, den = 0;
                for (int e = 0; e < x.length; e++) { num += (g[e] - fd[e]) * (g[e] - fd[e]); den += fd[e] * fd[e]; }
                assertThat(Math.sqrt(num / den)).as("device %d argument %d: vjp %s vs fd %s", p, a, java.util.Arrays.toString(g),
                        java.util.Arrays.toString(fd)).isLessThanOrEqualTo(GradCheck.TOL);
            }
        }
    }

    private static double objective(Interpreter in, List<List<HostArray>> args, int p, int a, double[] x, int e, double h, List<HostArray> cts) {
        double[] xp = x.clone();
        xp[e] += h;
        List<List<HostArray>> changed = new ArrayList<>(args);
        List<HostArray> mine = new ArrayList<>(args.get(p));
        mine.set(a, HostArray.fromDoubles(args.get(p).get(a).type(), xp));
        changed.set(p, mine);
        List<List<HostArray>> out = run(in, "f", changed, null);
        double s = 0;
        for (int q = 0; q < P; q++) {
            double[] o = out.get(q).get(0).toDoubleArray(), c = cts.get(q).toDoubleArray();
            for (int k = 0; k < o.length; k++) s += o[k] * c[k];
        }
        return s;
    }

    private static List<List<HostArray>> run(Interpreter in, String name, List<List<HostArray>> args, List<HostArray> cts) {
        List<List<RtValue>> inputs = new ArrayList<>();
        for (int p = 0; p < P; p++) {
            List<HostArray> a = new ArrayList<>(args.get(p));
            if (cts != null) a.add(cts.get(p));
            inputs.add(HostArrays.toValues(a));
        }
        List<List<HostArray>> out = new ArrayList<>();
        for (List<RtValue> o : in.runParallel(name, 1, P, inputs)) out.add(HostArrays.toHost(o));
        return out;
    }
}
