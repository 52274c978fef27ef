package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * shard_map ({@code sdy.manual_computation}) gradients on 2 and 4 simulated devices. Each sharded function has a
 * reference written without shard_map (one device). The VJP of the sharded module is lowered to its per-device
 * program ({@link ManualLowering}) and run on every device; each device's gradient must equal central finite
 * differences of the reference (f64, rel. error <= 1e-6) and the reference's own VJP, and the sharded primal
 * must equal the reference's.
 */
class ManualComputationGradTest {
    private static final String SUM = """
            ({
              ^bb0(%sum_l: tensor<f64>, %sum_r: tensor<f64>):
                %sum = stablehlo.add %sum_l, %sum_r : tensor<f64>
                stablehlo.return %sum : tensor<f64>
            })""";

    private static String groups(int n) {
        StringBuilder sb = new StringBuilder("dense<[[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(i);
        return sb.append("]]> : tensor<1x").append(n).append("xi64>").toString();
    }

    private static final String CH = "channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids";

    static String fill(String text, int n) {
        return text.replace("SUM", SUM).replace("GROUPS", groups(n)).replace("CH", CH).replace("NN", "" + n)
                .replace("LL", "" + 8 / n).replace("QQ", "" + 4 / n);
    }

    /** The one-device meaning of a psum over n devices of sin(x) x, squared: the reference of the shard_map tests here and in CallGradTest. */
    static final String PSUM_REFERENCE = """
            func.func @f(%x: tensor<8x3xf64>) -> tensor<LLx3xf64> {
              %s = stablehlo.sine %x : tensor<8x3xf64>
              %p = stablehlo.multiply %s, %x : tensor<8x3xf64>
              %q = stablehlo.reshape %p : (tensor<8x3xf64>) -> tensor<NNxLLx3xf64>
              %z = stablehlo.constant dense<0.0> : tensor<f64>
              %r = stablehlo.reduce(%q init: %z) applies stablehlo.add across dimensions = [0] : (tensor<NNxLLx3xf64>, tensor<f64>) -> tensor<LLx3xf64>
              %1 = stablehlo.multiply %r, %r : tensor<LLx3xf64>
              return %1 : tensor<LLx3xf64>
            }""";

    /** psum of a sharded value, returned replicated (out spec P()): each copy gets 1/n of the cotangent. */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void psumToAReplicatedResult(int n) {
        String sharded = """
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<8x3xf64>) -> tensor<LLx3xf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<LLx3xf64>) {
                    %s = stablehlo.sine %a : tensor<LLx3xf64>
                    %p = stablehlo.multiply %s, %a : tensor<LLx3xf64>
                    %r = "stablehlo.all_reduce"(%p) SUM {replica_groups = GROUPS, CH} : (tensor<LLx3xf64>) -> tensor<LLx3xf64>
                    sdy.return %r : tensor<LLx3xf64>
                  } : (tensor<8x3xf64>) -> tensor<LLx3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<LLx3xf64>
                  return %1 : tensor<LLx3xf64>
                }""";
        Random r = new Random(11 + n);
        check(fill(sharded, n), fill(PSUM_REFERENCE, n), n, List.of(uniform(f64(8, 3), r, -2, 2)));
    }

    /** all_gather of a sharded value times a replicated operand (in spec P()): its cotangent is summed over devices. */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void allGatherWithAReplicatedOperand(int n) {
        String sharded = """
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<8x3xf64>, %w: tensor<3xf64>) -> tensor<8x3xf64> {
                  %0 = sdy.manual_computation(%x, %w) in_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<LLx3xf64>, %v: tensor<3xf64>) {
                    %t = stablehlo.tanh %a : tensor<LLx3xf64>
                    %g = "stablehlo.all_gather"(%t) {all_gather_dim = 0 : i64, replica_groups = GROUPS, CH} : (tensor<LLx3xf64>) -> tensor<8x3xf64>
                    %vb = stablehlo.broadcast_in_dim %v, dims = [1] : (tensor<3xf64>) -> tensor<8x3xf64>
                    %o = stablehlo.multiply %g, %vb : tensor<8x3xf64>
                    sdy.return %o : tensor<8x3xf64>
                  } : (tensor<8x3xf64>, tensor<3xf64>) -> tensor<8x3xf64>
                  return %0 : tensor<8x3xf64>
                }""";
        String reference = """
                func.func @f(%x: tensor<8x3xf64>, %w: tensor<3xf64>) -> tensor<8x3xf64> {
                  %t = stablehlo.tanh %x : tensor<8x3xf64>
                  %vb = stablehlo.broadcast_in_dim %w, dims = [1] : (tensor<3xf64>) -> tensor<8x3xf64>
                  %o = stablehlo.multiply %t, %vb : tensor<8x3xf64>
                  return %o : tensor<8x3xf64>
                }""";
        Random r = new Random(21 + n);
        Module vjp = check(fill(sharded, n), fill(reference, n), n, List.of(uniform(f64(8, 3), r, -2, 2), uniform(f64(3), r, -2, 2)));
        // The cotangent computation: same mesh and manual axes, in_shardings = forward in ++ out, out = forward in; the
        // replicated operand's cotangent is psum'ed over x, and the replicated result's cotangent scaled by 1/n.
        String text = MlirPrinter.print(vjp);
        assertThat(text).contains("in_shardings=[<@mesh, [{\"x\"}, {}]>, <@mesh, [{}]>, <@mesh, [{}, {}]>] "
                        + "out_shardings=[<@mesh, [{\"x\"}, {}]>, <@mesh, [{}]>] manual_axes={\"x\"}")
                .contains("\"stablehlo.reduce_scatter\"")
                .contains("replica_groups = " + groups(n) + ", use_global_device_ids")
                .contains("stablehlo.constant dense<" + String.format("%.6e", 1.0 / n) + "> : tensor<8x3xf64>");
    }

    /** all_to_all from row blocks to column blocks (the global value is exp(x)), used with x again outside. */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void allToAllReshards(int n) {
        String sharded = """
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {"x"}]>] manual_axes={"x"} (%a: tensor<QQx8xf64>) {
                    %e = stablehlo.exponential %a : tensor<QQx8xf64>
                    %t = "stablehlo.all_to_all"(%e) {split_dimension = 1 : i64, concat_dimension = 0 : i64, split_count = NN : i64, replica_groups = GROUPS, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>} : (tensor<QQx8xf64>) -> tensor<4xLLxf64>
                    sdy.return %t : tensor<4xLLxf64>
                  } : (tensor<4x8xf64>) -> tensor<4x8xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<4x8xf64>
                  return %1 : tensor<4x8xf64>
                }""";
        String reference = """
                func.func @f(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
                  %e = stablehlo.exponential %x : tensor<4x8xf64>
                  %1 = stablehlo.multiply %e, %x : tensor<4x8xf64>
                  return %1 : tensor<4x8xf64>
                }""";
        Random r = new Random(31 + n);
        check(fill(sharded, n), fill(reference, n), n, List.of(uniform(f64(4, 8), r, -1, 1)));
    }

    /** ppermute i -> i+1 (mod n): the global value is the blocks rolled by one. */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void collectivePermuteRolls(int n) {
        StringBuilder pairs = new StringBuilder("dense<[");
        for (int i = 0; i < n; i++) pairs.append(i == 0 ? "" : ", ").append("[").append(i).append(", ").append((i + 1) % n).append("]");
        pairs.append("]> : tensor<").append(n).append("x2xi64>");
        String sharded = """
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<8xf64>) -> tensor<8xf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}]>] out_shardings=[<@mesh, [{"x"}]>] manual_axes={"x"} (%a: tensor<LLxf64>) {
                    %s = stablehlo.sine %a : tensor<LLxf64>
                    %p = "stablehlo.collective_permute"(%s) {source_target_pairs = PAIRS, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>} : (tensor<LLxf64>) -> tensor<LLxf64>
                    %o = stablehlo.multiply %p, %a : tensor<LLxf64>
                    sdy.return %o : tensor<LLxf64>
                  } : (tensor<8xf64>) -> tensor<8xf64>
                  return %0 : tensor<8xf64>
                }""".replace("PAIRS", pairs);
        String reference = """
                func.func @f(%x: tensor<8xf64>) -> tensor<8xf64> {
                  %s = stablehlo.sine %x : tensor<8xf64>
                  %hi = "stablehlo.slice"(%s) {start_indices = array<i64: KK>, limit_indices = array<i64: 8>, strides = array<i64: 1>} : (tensor<8xf64>) -> tensor<LLxf64>
                  %lo = "stablehlo.slice"(%s) {start_indices = array<i64: 0>, limit_indices = array<i64: KK>, strides = array<i64: 1>} : (tensor<8xf64>) -> tensor<KKxf64>
                  %rolled = stablehlo.concatenate %hi, %lo, dim = 0 : (tensor<LLxf64>, tensor<KKxf64>) -> tensor<8xf64>
                  %o = stablehlo.multiply %rolled, %x : tensor<8xf64>
                  return %o : tensor<8xf64>
                }""".replace("KK", "" + (8 - 8 / n));
        Random r = new Random(41 + n);
        check(fill(sharded, n), fill(reference, n), n, List.of(uniform(f64(8), r, -2, 2)));
    }

    /** psum_scatter of a replicated operand: the global value is n * x * x. */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void reduceScatterOfAReplicatedOperand(int n) {
        String sharded = """
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{}, {}]>] out_shardings=[<@mesh, [{}, {"x"}]>] manual_axes={"x"} (%a: tensor<4x8xf64>) {
                    %q = stablehlo.multiply %a, %a : tensor<4x8xf64>
                    %s = "stablehlo.reduce_scatter"(%q) SUM {scatter_dimension = 1 : i64, replica_groups = GROUPS, CH} : (tensor<4x8xf64>) -> tensor<4xLLxf64>
                    sdy.return %s : tensor<4xLLxf64>
                  } : (tensor<4x8xf64>) -> tensor<4x8xf64>
                  %1 = stablehlo.sine %0 : tensor<4x8xf64>
                  return %1 : tensor<4x8xf64>
                }""";
        String reference = """
                func.func @f(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
                  %q = stablehlo.multiply %x, %x : tensor<4x8xf64>
                  %c = stablehlo.constant dense<NN.0> : tensor<4x8xf64>
                  %s = stablehlo.multiply %q, %c : tensor<4x8xf64>
                  %1 = stablehlo.sine %s : tensor<4x8xf64>
                  return %1 : tensor<4x8xf64>
                }""";
        Random r = new Random(51 + n);
        check(fill(sharded, n), fill(reference, n), n, List.of(uniform(f64(4, 8), r, -1, 1)));
    }

    /** A 2x2 mesh: rows over a, columns over b, psum over b only; the result is replicated over b. */
    @Test
    void twoAxesPsumOverOne() {
        String sharded = """
                sdy.mesh @mesh = <["a"=2, "b"=2]>
                func.func @f(%x: tensor<4x4xf64>) -> tensor<4x2xf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"a"}, {"b"}]>] out_shardings=[<@mesh, [{"a"}, {}]>] manual_axes={"a", "b"} (%a: tensor<2x2xf64>) {
                    %s = stablehlo.sine %a : tensor<2x2xf64>
                    %r = "stablehlo.all_reduce"(%s) SUM {replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, CH} : (tensor<2x2xf64>) -> tensor<2x2xf64>
                    sdy.return %r : tensor<2x2xf64>
                  } : (tensor<4x4xf64>) -> tensor<4x2xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<4x2xf64>
                  return %1 : tensor<4x2xf64>
                }""";
        String reference = """
                func.func @f(%x: tensor<4x4xf64>) -> tensor<4x2xf64> {
                  %s = stablehlo.sine %x : tensor<4x4xf64>
                  %q = stablehlo.reshape %s : (tensor<4x4xf64>) -> tensor<4x2x2xf64>
                  %z = stablehlo.constant dense<0.0> : tensor<f64>
                  %r = stablehlo.reduce(%q init: %z) applies stablehlo.add across dimensions = [1] : (tensor<4x2x2xf64>, tensor<f64>) -> tensor<4x2xf64>
                  %1 = stablehlo.multiply %r, %r : tensor<4x2xf64>
                  return %1 : tensor<4x2xf64>
                }""";
        Random r = new Random(61);
        check(fill(sharded, 4), fill(reference, 4), 4, List.of(uniform(f64(4, 4), r, -2, 2)));
    }

    /** A named computation with shardings: its VJP is a named computation "vjp_blk" with the shardings rotated. */
    @Test
    void namedComputation() {
        String sharded = """
                sdy.mesh @mesh = <["x"=2]>
                func.func @f(%x: tensor<4x2xf64>, %y: tensor<4x2xf64>) -> tensor<4x2xf64> {
                  %0 = sdy.named_computation<"blk">(%x, %y) in_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}, {}]>] out_shardings=[<@mesh, [{}, {"x"}]>] (%a: tensor<4x2xf64>, %b: tensor<4x2xf64>) {
                    %e = stablehlo.exponential %a : tensor<4x2xf64>
                    %m = stablehlo.multiply %e, %b : tensor<4x2xf64>
                    sdy.return %m : tensor<4x2xf64>
                  } : (tensor<4x2xf64>, tensor<4x2xf64>) -> tensor<4x2xf64>
                  %c = sdy.sharding_constraint %0 <@mesh, [{"x"}, {}]> : tensor<4x2xf64>
                  %1 = stablehlo.multiply %c, %x : tensor<4x2xf64>
                  return %1 : tensor<4x2xf64>
                }""";
        String reference = """
                func.func @f(%x: tensor<4x2xf64>, %y: tensor<4x2xf64>) -> tensor<4x2xf64> {
                  %e = stablehlo.exponential %x : tensor<4x2xf64>
                  %m = stablehlo.multiply %e, %y : tensor<4x2xf64>
                  %1 = stablehlo.multiply %m, %x : tensor<4x2xf64>
                  return %1 : tensor<4x2xf64>
                }""";
        Random r = new Random(71);
        Module vjp = check(sharded, reference, 2, List.of(uniform(f64(4, 2), r, -1, 1), uniform(f64(4, 2), r, -1, 1)));
        // The constraint in @f, its forward copy in @vjp, and the cotangent's constraint.
        assertThat(MlirPrinter.print(vjp).split("sdy.sharding_constraint %\\w+ <@mesh, \\[\\{\"x\"\\}, \\{\\}\\]> : tensor<4x2xf64>", -1)).hasSize(4);
        assertThat(MlirPrinter.print(vjp)).contains("sdy.named_computation<\"vjp_blk\">")
                .contains("in_shardings=[<@mesh, [{\"x\"}, {}]>, <@mesh, [{}, {}]>, <@mesh, [{}, {\"x\"}]>] "
                        + "out_shardings=[<@mesh, [{\"x\"}, {}]>, <@mesh, [{}, {}]>]");
    }

    /** The cotangent needs the mesh's axis sizes: a lone function (no module, so no sdy.mesh) is refused by name. */
    @Test
    void aLoneFunctionCannotResolveItsMesh() {
        Module m = GradCheck.parse(fill("""
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<8xf64>) -> tensor<LLxf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}]>] out_shardings=[<@mesh, [{}]>] manual_axes={"x"} (%a: tensor<LLxf64>) {
                    %r = "stablehlo.all_reduce"(%a) SUM {replica_groups = GROUPS, CH} : (tensor<LLxf64>) -> tensor<LLxf64>
                    sdy.return %r : tensor<LLxf64>
                  } : (tensor<8xf64>) -> tensor<LLxf64> loc("shard.java":4:2)
                  return %0 : tensor<LLxf64>
                }""", 2));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Autodiff.vjp(m.functions().get(0), new int[] {0}, "g"))
                .isInstanceOfSatisfying(io.hlo4j.mlir.ir.Hlo4jException.class, e -> assertThat(e.format()).isEqualTo(
                        "shard.java:4:2: cannot differentiate 'sdy.manual_computation': sharding #sdy.sharding<@mesh, [{}]> names mesh @mesh:"
                                + " differentiate the module (not a lone function) so its sdy.mesh resolves"));
    }

    /** Runs the checks; returns the VJP module of the sharded function (before lowering). */
    static Module check(String shardedText, String referenceText, int n, List<HostArray> args) {
        Module sharded = GradCheck.parse(shardedText), reference = GradCheck.parse(referenceText);
        int[] wrt = new int[args.size()];
        for (int i = 0; i < wrt.length; i++) wrt[i] = i;
        Interpreter ref = new Interpreter(reference);
        List<HostArray> refOut = ref.runHost("f", args);
        List<List<HostArray>> shOut = runAll(new Interpreter(ManualLowering.lower(sharded)), "f", n, args);
        for (List<HostArray> dev : shOut) assertClose(dev.get(0).toDoubleArray(), refOut.get(0).toDoubleArray(), 1e-12, "primal");

        Random r = new Random(shardedText.hashCode());
        HostArray ct = uniform(refOut.get(0).type(), r, -1, 1);
        List<HostArray> vin = new ArrayList<>(args);
        vin.add(ct);
        Module vjp = GradCheck.vjpModule(sharded, "f", wrt);
        List<List<HostArray>> vout = runAll(new Interpreter(ManualLowering.lower(vjp)), "vjp", n, vin);
        List<HostArray> refVjp = new Interpreter(GradCheck.vjpModule(reference, "f", wrt)).runHost("vjp", vin);
        for (int a = 0; a < args.size(); a++) {
            double[] x = args.get(a).toDoubleArray(), fd = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                fd[j] = (objective(ref, args, a, x, j, GradCheck.H, ct) - objective(ref, args, a, x, j, -GradCheck.H, ct)) / (2 * GradCheck.H);
            }
            for (int d = 0; d < n; d++) {
                double[] g = vout.get(d).get(1 + a).toDoubleArray();
                assertClose(g, fd, GradCheck.TOL, "device " + d + " gradient of argument #" + a + " vs finite differences");
                assertClose(g, refVjp.get(1 + a).toDoubleArray(), 1e-12, "device " + d + " gradient of argument #" + a + " vs the reference VJP");
            }
        }
        return vjp;
    }

    private static void assertClose(double[] got, double[] want, double tol, String what) {
        double num = 0, den = 0;
        for (int j = 0; j < got.length; j++) { num += (got[j] - want[j]) * (got[j] - want[j]); den += want[j] * want[j]; }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        assertThat(rel).as("%s: %s vs %s", what, java.util.Arrays.toString(got), java.util.Arrays.toString(want)).isLessThanOrEqualTo(tol);
    }

    private static double objective(Interpreter in, List<HostArray> args, int a, double[] x, int j, double h, HostArray ct) {
        double[] xp = x.clone();
        xp[j] += h;
        List<HostArray> as = new ArrayList<>(args);
        as.set(a, HostArray.fromDoubles(args.get(a).type(), xp));
        double[] o = in.runHost("f", as).get(0).toDoubleArray(), c = ct.toDoubleArray();
        double s = 0;
        for (int e = 0; e < o.length; e++) s += o[e] * c[e];
        return s;
    }

    /** The same inputs on every device (the global view); each device's outputs. */
    private static List<List<HostArray>> runAll(Interpreter in, String name, int n, List<HostArray> args) {
        List<List<RtValue>> inputs = new ArrayList<>();
        for (int p = 0; p < n; p++) inputs.add(HostArrays.toValues(args));
        List<List<HostArray>> out = new ArrayList<>();
        for (List<RtValue> o : in.runParallel(name, 1, n, inputs)) out.add(HostArrays.toHost(o));
        return out;
    }
}
