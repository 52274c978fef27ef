package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.ad.Autodiff;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.checkParallel;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * collective_reduce and cross-replica-sum under vmap on 4 simulated devices (batched run on every device against the
 * per-example runs of all devices together, stacked), and the gradient of a vmapped all_reduce (psum) against central
 * differences of the summed objective over all devices.
 */
class CollectiveReduceBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private static final int DEVICES = 4;
    private static final String ADD = BatchCheck.ADD_F64;
    private final Random r = new Random(17);

    private List<List<HostArray>> perDevice(long[]... shapes) { return BatchCheck.perDevice(r, DEVICES, shapes); }

    @Test
    void collectiveReduceKeepsTheBatchDimWhereItIs() {
        // the root (first of each group) gets the group's sum, the others zeros; an unbatched operand stays unbatched
        String f = """
                func.func @f(%x: tensor<3x2xf64>, %y: tensor<2xf64>) -> (tensor<3x2xf64>, tensor<2xf64>) {
                  %r = "stablehlo.collective_reduce"(%x) %ADD {replica_groups = dense<[[1, 0], [3, 2]]> : tensor<2x2xi64>} : (tensor<3x2xf64>) -> tensor<3x2xf64>
                  %sn = stablehlo.sine %r : tensor<3x2xf64>
                  %q = "stablehlo.collective_reduce"(%y) %ADD {replica_groups = dense<[[2, 0, 1, 3]]> : tensor<1x4xi64>} : (tensor<2xf64>) -> tensor<2xf64>
                  return %sn, %q : tensor<3x2xf64>, tensor<2xf64>
                }""".replace("%ADD", ADD);
        String text = checkParallel(f, new int[]{1, NONE}, new int[]{1, NONE}, 3, DEVICES, perDevice(new long[]{3, 3, 2}, new long[]{2}));
        assertThat(text).contains("(tensor<3x3x2xf64>) -> tensor<3x3x2xf64>").contains("(tensor<2xf64>) -> tensor<2xf64>");
        checkParallel(f, new int[]{2, 0}, new int[]{0, 1}, 2, DEVICES, perDevice(new long[]{3, 2, 2}, new long[]{2, 2}));
    }

    @Test
    void crossReplicaSumKeepsTheBatchDimWhereItIs() {
        String f = """
                func.func @f(%x: tensor<2x3xf64>) -> tensor<2x3xf64> {
                  %e = stablehlo.exponential %x : tensor<2x3xf64>
                  %r = "stablehlo.cross-replica-sum"(%e) {replica_groups = dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>} : (tensor<2x3xf64>) -> tensor<2x3xf64>
                  %m = stablehlo.multiply %r, %x : tensor<2x3xf64>
                  return %m : tensor<2x3xf64>
                }""";
        String text = checkParallel(f, new int[]{2}, new int[]{2}, 4, DEVICES, perDevice(new long[]{2, 3, 4}));
        assertThat(text).contains("(tensor<2x3x4xf64>) -> tensor<2x3x4xf64>");
        checkParallel(f, new int[]{0}, new int[]{1}, 2, DEVICES, perDevice(new long[]{2, 2, 3}));
    }

    /**
     * grad of vmap: g(xs) = vmap(x -> psum(sin x) * x) over a batch of 2 per device; the VJP of the batched function on 4
     * devices against central differences of sum over devices of {@code <g(xs)_d, ct_d>}, perturbing one element of one
     * device's batch at a time (the psum carries a perturbation on one device to the others' outputs).
     */
    @Test
    void gradOfVmapThroughAPsumMatchesCentralDifferences() {
        Module m = MlirParser.parseModule("""
                module {
                  func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                    %sn = stablehlo.sine %x : tensor<3xf64>
                    %r = "stablehlo.all_reduce"(%sn) %ADD {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>} : (tensor<3xf64>) -> tensor<3xf64>
                    %m = stablehlo.multiply %r, %x : tensor<3xf64>
                    return %m : tensor<3xf64>
                  }
                }""".replace("%ADD", ADD), "psum.mlir");
        ModuleVerifier.verify(m);
        Operation vf = Batching.vmap(m.functions().get(0), new int[]{1}, new int[]{0}, 2, "g");
        Operation vjp = Autodiff.vjp(vf, new int[]{0}, "vjp");
        Module vm = Module.of("b", null, List.of(vf, vjp), vf.location());
        ModuleVerifier.verify(vm);
        Interpreter in = new Interpreter(MlirParser.parseModule(MlirPrinter.print(vm), "grad.mlir"));
        List<HostArray> xs = new ArrayList<>(), cts = new ArrayList<>();
        for (int d = 0; d < DEVICES; d++) {
            xs.add(uniform(r, TensorType.of(FloatType.F64, 3, 2)));     // batch at 1
            cts.add(uniform(r, TensorType.of(FloatType.F64, 2, 3)));    // result batched at 0
        }
        List<List<HostArray>> got = run(in, "vjp", xs, cts);
        List<List<HostArray>> primal = run(in, "g", xs, null);
        double h = 1e-6;
        for (int p = 0; p < DEVICES; p++) {
            assertThat(got.get(p).get(0).allClose(primal.get(p).get(0), 0, 0)).as("device %d primal", p).isTrue();
            HostArray g = got.get(p).get(1);
            assertThat(g.shape()).containsExactly(3, 2);
            double[] x = xs.get(p).toDoubleArray();
            for (int j = 0; j < x.length; j++) {
                double fd = (objective(in, xs, cts, p, j, h) - objective(in, xs, cts, p, j, -h)) / (2 * h);
                assertThat(g.getDouble(j)).as("device %d dxs[%d]", p, j).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-7));
            }
        }
    }

    private static double objective(Interpreter in, List<HostArray> xs, List<HostArray> cts, int p, int j, double h) {
        double[] x = xs.get(p).toDoubleArray();
        x[j] += h;
        List<HostArray> args = new ArrayList<>(xs);
        args.set(p, HostArray.fromDoubles(xs.get(p).type(), x));
        List<List<HostArray>> out = run(in, "g", args, null);
        double s = 0;
        for (int q = 0; q < DEVICES; q++) {
            double[] o = out.get(q).get(0).toDoubleArray(), c = cts.get(q).toDoubleArray();
            for (int e = 0; e < o.length; e++) s += o[e] * c[e];
        }
        return s;
    }

    private static List<List<HostArray>> run(Interpreter in, String name, List<HostArray> xs, List<HostArray> cts) {
        List<List<RtValue>> inputs = new ArrayList<>();
        for (int d = 0; d < DEVICES; d++) {
            List<HostArray> a = new ArrayList<>(List.of(xs.get(d)));
            if (cts != null) a.add(cts.get(d));
            inputs.add(HostArrays.toValues(a));
        }
        List<List<HostArray>> out = new ArrayList<>();
        for (List<RtValue> o : in.runParallel(name, DEVICES, 1, inputs)) out.add(HostArrays.toHost(o));
        return out;
    }
}
