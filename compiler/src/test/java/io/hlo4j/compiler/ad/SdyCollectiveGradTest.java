package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.sdy.AllToAllParams;
import io.hlo4j.mlir.dialect.sdy.AxisRefList;
import io.hlo4j.mlir.dialect.sdy.AxisRefListPerDim;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Shardy's explicit collectives on the global program: the interpreter's kernels keep the logical value, and each
 * VJP rule emits the transposed collective with the operand's sharding. Every case runs f(x) = OP(sin(x)) * x;
 * the oracles are sin(x) * x computed here (primal), f64 central differences (gradient, rel. err <= 1e-6), and
 * the sdy ops written out by hand (structure of the backward program).
 */
class SdyCollectiveGradTest {
    private static final String MESH = "sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n";

    /** f(x) = OP(sin(x)) * x over tensor<T>, sin(x) carrying {@code inSharding}; OP is {@code op} applied to %s. */
    private static String program(String shape, String inSharding, String op) {
        String t = "tensor<" + shape + "xf64>";
        return MESH + """
                func.func @f(%x: T) -> T {
                  %s = stablehlo.sine %x {sdy.sharding = #sdy.sharding_per_value<[IN]>} : T
                  %c = OP : T
                  %r = stablehlo.multiply %c, %x : T
                  return %r : T
                }""".replace("T", t).replace("IN", inSharding).replace("OP", op);
    }

    /** The sdy ops of the VJP function, each as "name param out_sharding", in program order. */
    private static List<String> sdyOps(Module vjp) {
        Operation f = vjp.functions().stream().filter(o -> ((StringAttr) o.attr("sym_name")).value().equals("vjp")).findFirst().orElseThrow();
        List<String> out = new ArrayList<>();
        for (Operation o : f.region(0).entry().operations()) {
            if (!o.name().startsWith("sdy.")) continue;
            String param = "";
            for (String n : List.of("gathering_axes", "slicing_axes", "reduce_scatter_axes", "axes", "params", "reduction_axes")) {
                Object a = o.attr(n);
                if (a instanceof AxisRefListPerDim p) param = p.body();
                else if (a instanceof AxisRefList l) param = l.body();
                else if (a instanceof AllToAllParams p) param = p.body();
            }
            out.add((o.name() + " " + param).trim() + " -> " + ((TensorSharding) o.attr("out_sharding")).body());
        }
        return out;
    }

    /** Checks the primal against sin(x) * x, the gradient against FD, and returns the sdy ops of the VJP. */
    private static List<String> check(String shape, String inSharding, String op, long seed) {
        Module m = GradCheck.parse(program(shape, inSharding, op));
        long[] dims = java.util.Arrays.stream(shape.split("x")).mapToLong(Long::parseLong).toArray();
        HostArray x = uniform(f64(dims), new Random(seed), -2, 2);
        double[] got = new Interpreter(m).runHost("f", List.of(x)).get(0).toDoubleArray(), xv = x.toDoubleArray();
        for (int i = 0; i < xv.length; i++) assertThat(got[i]).isEqualTo(Math.sin(xv[i]) * xv[i]);
        assertThat(GradCheck.checkModule(m, "f", List.of(x), seed)).isLessThanOrEqualTo(GradCheck.TOL);
        return sdyOps(GradCheck.vjpModule(m, "f", new int[] {0}));
    }

    @Test
    void allGatherTransposesToAllSliceBackToTheOperandSharding() {
        assertThat(check("4x4", "<@mesh, [{\"x\", \"y\"}, {}]>", "sdy.all_gather [{\"y\"}, {}] %s out_sharding=<@mesh, [{\"x\"}, {}]>", 1))
                .containsExactly("sdy.all_gather [{\"y\"}, {}] -> <@mesh, [{\"x\"}, {}]>",
                        "sdy.all_slice [{\"y\"}, {}] -> <@mesh, [{\"x\", \"y\"}, {}]>");
    }

    @Test
    void allSliceTransposesToAllGather() {
        assertThat(check("4x4", "<@mesh, [{\"x\"}, {}]>", "sdy.all_slice [{}, {\"y\"}] %s out_sharding=<@mesh, [{\"x\"}, {\"y\"}]>", 2))
                .containsExactly("sdy.all_slice [{}, {\"y\"}] -> <@mesh, [{\"x\"}, {\"y\"}]>",
                        "sdy.all_gather [{}, {\"y\"}] -> <@mesh, [{\"x\"}, {}]>");
    }

    @Test
    void allToAllTransposesToTheReversedMoveWithSourcesSorted() {
        assertThat(check("2x2x2x2", "<@mesh, [{\"x\"}, {\"y\"}, {}, {}]>",
                "sdy.all_to_all [{\"x\"}: 0->3, {\"y\"}: 1->2] %s out_sharding=<@mesh, [{}, {}, {\"y\"}, {\"x\"}]>", 3))
                .containsExactly("sdy.all_to_all [{\"x\"}: 0->3, {\"y\"}: 1->2] -> <@mesh, [{}, {}, {\"y\"}, {\"x\"}]>",
                        "sdy.all_to_all [{\"y\"}: 2->1, {\"x\"}: 3->0] -> <@mesh, [{\"x\"}, {\"y\"}, {}, {}]>");
    }

    @Test
    void collectivePermuteTransposesBackToTheOperandSharding() {
        assertThat(check("4x4", "<@mesh, [{\"x\"}, {\"y\"}]>", "sdy.collective_permute %s out_sharding=<@mesh, [{\"y\"}, {\"x\"}]>", 4))
                .containsExactly("sdy.collective_permute -> <@mesh, [{\"y\"}, {\"x\"}]>",
                        "sdy.collective_permute -> <@mesh, [{\"x\"}, {\"y\"}]>");
    }

    /** The permuted value comes from another collective: its out_sharding is where the cotangent goes back to. */
    @Test
    void collectivePermuteAfterAGatherGoesBackToTheGatherSharding() {
        Module m = GradCheck.parse(MESH + """
                func.func @f(%x: tensor<4x4xf64>) -> tensor<4x4xf64> {
                  %s = stablehlo.sine %x {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x", "y"}, {}]>]>} : tensor<4x4xf64>
                  %a = sdy.all_gather [{"y"}, {}] %s out_sharding=<@mesh, [{"x"}, {}]> : tensor<4x4xf64>
                  %c = sdy.collective_permute %a out_sharding=<@mesh, [{}, {"y"}]> : tensor<4x4xf64>
                  %r = stablehlo.multiply %c, %x : tensor<4x4xf64>
                  return %r : tensor<4x4xf64>
                }""");
        HostArray x = uniform(f64(4, 4), new Random(12), -2, 2);
        assertThat(GradCheck.checkModule(m, "f", List.of(x), 12)).isLessThanOrEqualTo(GradCheck.TOL);
        List<String> ops = sdyOps(GradCheck.vjpModule(m, "f", new int[] {0}));
        assertThat(ops.subList(2, ops.size())).containsExactly("sdy.collective_permute -> <@mesh, [{\"x\"}, {}]>",
                "sdy.all_slice [{\"y\"}, {}] -> <@mesh, [{\"x\", \"y\"}, {}]>");
    }

    @Test
    void allSliceWhoseAxesAreNotTheMinorEndIsRefusedByName() {
        Module m = GradCheck.parse(program("4x4", "<@mesh, [{\"x\"}, {}]>", "sdy.all_slice [{\"y\"}, {}] %s out_sharding=<@mesh, [{\"y\", \"x\"}, {}]>"));
        assertThatThrownBy(() -> GradCheck.vjpModule(m, "f", new int[] {0})).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("sdy.all_slice").hasMessageContaining("dimension 0").hasMessageContaining("<@mesh, [{\"y\", \"x\"}, {}]>");
    }

    @Test
    void collectivePermuteOfAnUnshardedOperandIsRefusedByName() {
        Module m = GradCheck.parse(MESH + """
                func.func @f(%x: tensor<4x4xf64>) -> tensor<4x4xf64> {
                  %s = stablehlo.sine %x : tensor<4x4xf64>
                  %c = sdy.collective_permute %s out_sharding=<@mesh, [{"y"}, {"x"}]> : tensor<4x4xf64>
                  return %c : tensor<4x4xf64>
                }""");
        assertThatThrownBy(() -> GradCheck.vjpModule(m, "f", new int[] {0})).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("sdy.collective_permute").hasMessageContaining("result #0 of stablehlo.sine")
                .hasMessageContaining("sharding of its operand");
    }

    /** The cotangent of a partial sum is the whole cotangent on every device: no collective in the backward program. */
    @Test
    void allReduceSumTransposesToNoCollective() {
        assertThat(check("4x4", "<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>", "sdy.all_reduce {\"y\"} %s out_sharding=<@mesh, [{\"x\"}, {}]>", 6))
                .containsExactly("sdy.all_reduce {\"y\"} -> <@mesh, [{\"x\"}, {}]>");
    }

    @Test
    void maxAllReduceIsRefusedByName() {
        Module m = GradCheck.parse(program("4x4", "<@mesh, [{\"x\"}, {}]>", "sdy.all_reduce max {\"y\"} %s out_sharding=<@mesh, [{\"x\"}, {}]>"));
        assertThatThrownBy(() -> GradCheck.vjpModule(m, "f", new int[] {0})).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("sdy.all_reduce").hasMessageContaining("only sum reductions").hasMessageContaining("max");
    }

    @Test
    void reduceScatterTransposesToAllGather() {
        assertThat(check("4x4", "<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>", "sdy.reduce_scatter [{}, {\"y\"}] %s out_sharding=<@mesh, [{\"x\"}, {\"y\"}]>", 7))
                .containsExactly("sdy.reduce_scatter [{}, {\"y\"}] -> <@mesh, [{\"x\"}, {\"y\"}]>",
                        "sdy.all_gather [{}, {\"y\"}] -> <@mesh, [{\"x\"}, {}]>");
    }

    @Test
    void shardedToUnreducedTransposesToAllSlice() {
        assertThat(check("4x4", "<@mesh, [{\"x\", \"y\"}, {}]>",
                "sdy.sharded_to_unreduced [{\"y\"}, {}] %s out_sharding=<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>", 8))
                .containsExactly("sdy.sharded_to_unreduced [{\"y\"}, {}] -> <@mesh, [{\"x\"}, {}], unreduced={\"y\"}>",
                        "sdy.all_slice [{\"y\"}, {}] -> <@mesh, [{\"x\", \"y\"}, {}]>");
    }

    @Test
    void replicatedToUnreducedTransposesToNoCollective() {
        assertThat(check("4x4", "<@mesh, [{\"x\"}, {}]>",
                "sdy.replicated_to_unreduced {\"y\"} %s out_sharding=<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>", 9))
                .containsExactly("sdy.replicated_to_unreduced {\"y\"} -> <@mesh, [{\"x\"}, {}], unreduced={\"y\"}>");
    }

    /** A chain of reshards (with Shardy's law all_reduce . sharded_to_unreduced = all_gather) and its gradient. */
    @Test
    void chainOfCollectives() {
        Module m = GradCheck.parse(MESH + """
                func.func @f(%x: tensor<4x4xf64>) -> tensor<4x4xf64> {
                  %s = stablehlo.sine %x {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x", "y"}, {}]>]>} : tensor<4x4xf64>
                  %a = sdy.sharded_to_unreduced [{"y"}, {}] %s out_sharding=<@mesh, [{"x"}, {}], unreduced={"y"}> : tensor<4x4xf64>
                  %d = sdy.all_reduce {"y"} %a out_sharding=<@mesh, [{"x"}, {}]> : tensor<4x4xf64>
                  %e = sdy.all_to_all [{"x"}: 0->1] %d out_sharding=<@mesh, [{}, {"x"}]> : tensor<4x4xf64>
                  %c = sdy.all_slice [{"y"}, {}] %e out_sharding=<@mesh, [{"y"}, {"x"}]> : tensor<4x4xf64>
                  %r = stablehlo.multiply %c, %x : tensor<4x4xf64>
                  return %r : tensor<4x4xf64>
                }""");
        HostArray x = uniform(f64(4, 4), new Random(10), -2, 2);
        assertThat(GradCheck.checkModule(m, "f", List.of(x), 10)).isLessThanOrEqualTo(GradCheck.TOL);
        List<String> ops = sdyOps(GradCheck.vjpModule(m, "f", new int[] {0}));
        assertThat(ops.subList(4, ops.size())).containsExactly(
                "sdy.all_gather [{\"y\"}, {}] -> <@mesh, [{}, {\"x\"}]>",
                "sdy.all_to_all [{\"x\"}: 1->0] -> <@mesh, [{\"x\"}, {}]>",
                "sdy.all_slice [{\"y\"}, {}] -> <@mesh, [{\"x\", \"y\"}, {}]>");
    }

    @Test
    void kernelsRefuseToRunPerDevice() {
        Module m = GradCheck.parse(program("4x4", "<@mesh, [{\"x\", \"y\"}, {}]>", "sdy.all_gather [{\"y\"}, {}] %s out_sharding=<@mesh, [{\"x\"}, {}]>"));
        HostArray x = uniform(f64(4, 4), new Random(11), -2, 2);
        List<List<RtValue>> in = List.of(List.of(io.hlo4j.runtime.interp.HostArrays.toTensor(x)), List.of(io.hlo4j.runtime.interp.HostArrays.toTensor(x)));
        assertThatThrownBy(() -> new Interpreter(m).runParallel("f", 1, 2, in)).hasMessageContaining("sdy.all_gather")
                .hasMessageContaining("1 replica(s) x 2 partition(s)");
    }
}
