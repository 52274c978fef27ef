package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.transform.DeadCode;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Autodiff's result goes through dead-code elimination: a cotangent nothing returns (multiply's rule builds both
 * operands' cotangents, a constant's too; an argument not differentiated gets one) and the forward values only it
 * reads are removed; results, arguments and effects stay. Counted on the result before and after, and the gradient
 * checked by hand.
 */
class AutodiffDeadCodeTest {
    private static List<String> ops(Operation f) {
        List<String> names = new ArrayList<>();
        Walker.walk(f, op -> { if (op != f) names.add(op.name()); });
        return names;
    }

    @Test
    void theCotangentOfAConstantOperandOfAMultiplyIsRemoved() {
        Module m = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %c = stablehlo.constant dense<2.0> : tensor<3xf64>
                  %0 = stablehlo.multiply %x, %c : tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""");
        Operation before = Autodiff.vjpKeepingDeadCode(m, "main", new int[] {0}, "vjp");
        Operation after = Autodiff.vjp(m, "main", new int[] {0}, "vjp");
        // before: the constant, the product, g * c (x's cotangent), x * g (the constant's, dead), the return
        assertThat(ops(before)).containsExactly("stablehlo.constant", "stablehlo.multiply", "stablehlo.multiply", "stablehlo.multiply", "func.return");
        assertThat(DeadCode.countDead(before)).isEqualTo(1);
        assertThat(ops(after)).containsExactly("stablehlo.constant", "stablehlo.multiply", "stablehlo.multiply", "func.return");
        assertThat(DeadCode.countDead(after)).isZero();
        // d(2x)/dx = 2: the cotangent (1, -2, 0.5) comes back doubled
        Module vm = Autodiff.withVjp(m, "main", new int[] {0}, "vjp");
        List<HostArray> out = new Interpreter(vm).runHost("vjp", List.of(HostArray.fromDoubles(f64(3), 1, 2, 3), HostArray.fromDoubles(f64(3), 1, -2, 0.5)));
        assertThat(out.get(0).toDoubleArray()).containsExactly(2, 4, 6);
        assertThat(out.get(1).toDoubleArray()).containsExactly(2, -4, 1);
    }

    @Test
    void anArgumentNotDifferentiatedLosesItsCotangentChainButResultsAndEffectsStay() {
        Module m = GradCheck.parse("""
                func.func @main(%x: tensor<2xf64>, %y: tensor<2xf64>) -> (tensor<2xf64>, tensor<2xf64>) {
                  %e = stablehlo.exponential %y : tensor<2xf64>
                  %0 = stablehlo.multiply %x, %e : tensor<2xf64>
                  %s = stablehlo.sine %y : tensor<2xf64>
                  %t = stablehlo.custom_call @log_it(%x) {has_side_effect = true} : (tensor<2xf64>) -> tensor<2xf64>
                  return %0, %s : tensor<2xf64>, tensor<2xf64>
                }""");
        Operation before = Autodiff.vjpKeepingDeadCode(m, "main", new int[] {0}, "vjp");
        Operation after = Autodiff.vjp(m, "main", new int[] {0}, "vjp");
        // y's cotangent: x * g0 through exp (times e) and g1 through sine (times cos y), their sum: all dead
        assertThat(DeadCode.countDead(before)).isGreaterThanOrEqualTo(5);
        assertThat(ops(after)).hasSize(ops(before).size() - DeadCode.countDead(before));
        assertThat(DeadCode.countDead(after)).isZero();
        assertThat(ops(after)).doesNotContain("stablehlo.cosine", "stablehlo.add")
                .contains("stablehlo.custom_call", "stablehlo.sine", "stablehlo.exponential");
        assertThat(ops(after).stream().filter("stablehlo.multiply"::equals)).hasSize(2); // the product and x's cotangent g0 * e
    }
}
