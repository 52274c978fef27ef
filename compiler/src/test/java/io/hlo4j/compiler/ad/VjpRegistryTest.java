package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Every registered op is classified: it has a VJP rule, is explicitly non-differentiable, or is listed as missing. */
class VjpRegistryTest {
    @Test
    void everyOpIsClassifiedExactlyOnce() {
        VjpRules.install();
        List<String> unclassified = new ArrayList<>(), twice = new ArrayList<>();
        for (OpDef d : OpRegistry.global().all()) {
            int n = (d.extension(VjpRule.class) != null ? 1 : 0) + (d.extension(NonDifferentiable.class) != null ? 1 : 0)
                    + (VjpRules.MISSING.contains(d.name()) ? 1 : 0);
            if (n == 0) unclassified.add(d.name());
            if (n > 1) twice.add(d.name());
        }
        assertThat(new TreeSet<>(unclassified)).as("ops with neither a VJP rule nor a non-differentiable marker").isEmpty();
        assertThat(twice).as("ops classified more than once").isEmpty();
    }

    @Test
    void missingListNamesOnlyRegisteredOps() {
        for (String n : VjpRules.MISSING) assertThat(OpRegistry.global().lookup(n)).as(n).isNotNull();
    }

    @Test
    void differentiatingAnUndeclaredOpIsRefusedByName() {
        // With MISSING empty, everyOpIsClassifiedExactlyOnce guarantees every declared op has a rule or a marker, so
        // the sweep's "no VJP rule yet" refusal is reached by no declared op; an undeclared one is refused, by name
        // and location, when the forward pass re-emits it.
        VjpRules.install();
        var m = GradCheck.parse("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "hlo4jtest.opaque"(%x) : (tensor<3xf64>) -> tensor<3xf64> loc("model.java":12:5)
                  return %0 : tensor<3xf64>
                }""");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Autodiff.vjp(m.functions().get(0), new int[] {0}, "g"))
                .isInstanceOfSatisfying(io.hlo4j.mlir.ir.Hlo4jException.class, e -> assertThat(e.format())
                        .isEqualTo("model.java:12:5: cannot emit unknown op 'hlo4jtest.opaque'"));
    }

    @Test
    void theAsinAcosKernelHasARuleAndNothingIsMissing() {
        VjpRules.install();
        assertThat(VjpRules.MISSING).isEmpty();
        assertThat(OpRegistry.global().lookup("chlo._asin_acos_kernel").extension(VjpRule.class)).isNotNull();
    }

    @Test
    void badRequestsAreRefusedWithTheReason() {
        var m = GradCheck.parse("""
                func.func @f(%x: tensor<3xf64>, %i: tensor<3xi32>) -> tensor<3xf64> {
                  return %x : tensor<3xf64>
                }""");
        var f = m.functions().get(0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Autodiff.vjp(f, new int[] {1}, "g"))
                .hasMessage("argument #1 is tensor<3xi32>: only float arguments have gradients");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Autodiff.vjp(f, new int[] {2}, "g"))
                .hasMessage("argument #2 does not exist: the function has 2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Autodiff.valueAndGrad(f, new int[] {0}, "g"))
                .hasMessage("valueAndGrad needs a function returning one float scalar, got [tensor<3xf64>]");
    }
}
