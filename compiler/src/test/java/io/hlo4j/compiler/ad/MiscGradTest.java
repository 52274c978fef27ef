package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** composite, async_start/async_done, quantization, custom_call and unrealized_conversion_cast. */
class MiscGradTest {
    @Test
    void compositeThroughItsDecomposition() {
        Module m = GradCheck.parse("""
                func.func @f(%x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.composite "my.softplus_mul" %x, %y {composite_attributes = {k = 2 : i64}, decomposition = @impl} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }
                func.func private @impl(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                  %e = stablehlo.exponential %a : tensor<3xf64>
                  %l = stablehlo.log_plus_one %e : tensor<3xf64>
                  %m = stablehlo.multiply %l, %b : tensor<3xf64>
                  return %m : tensor<3xf64>
                }""");
        Random r = new Random(1);
        GradCheck.checkModule(m, "f", List.of(uniform(f64(3), r, -2, 2), uniform(f64(3), r, -2, 2)), 1);
    }

    @Test
    void asyncComputation() {
        String f = """
                func.func @f(%x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                  %fut = "stablehlo.async_start"(%x, %y) ({
                  ^bb0(%a: tensor<3xf64>, %b: tensor<3xf64>):
                    %s = stablehlo.sine %a : tensor<3xf64>
                    %m = stablehlo.multiply %s, %b : tensor<3xf64>
                    stablehlo.return %m : tensor<3xf64>
                  }) : (tensor<3xf64>, tensor<3xf64>) -> !stablehlo.future<tensor<3xf64>>
                  %0 = "stablehlo.async_done"(%fut) : (!stablehlo.future<tensor<3xf64>>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %y : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""";
        Random r = new Random(2);
        GradCheck.check(f, List.of(uniform(f64(3), r, -2, 2), uniform(f64(3), r, -2, 2)), 2);
    }

    /** Quantization is non-differentiable: only the direct path of x carries a gradient (FD agrees: rounding is flat). */
    @Test
    void quantizationPassesNoCotangent() {
        String f = """
                func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
                  %q = "stablehlo.uniform_quantize"(%x) : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.25:3>>
                  %d = "stablehlo.uniform_dequantize"(%q) : (tensor<4x!quant.uniform<i8:f32, 0.25:3>>) -> tensor<4xf32>
                  %1 = stablehlo.multiply %d, %x : tensor<4xf32>
                  return %1 : tensor<4xf32>
                }""";
        var vjp = GradCheck.vjpModule(GradCheck.parse(f), new int[] {0});
        var in = List.of(io.hlo4j.runtime.array.HostArray.fromFloats(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, 4),
                        0.3f, -1.1f, 2.05f, 0.6f),
                io.hlo4j.runtime.array.HostArray.fromFloats(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, 4),
                        1f, 2f, -1f, 0.5f));
        var out = new io.hlo4j.runtime.interp.Interpreter(vjp).runHost("vjp", in);
        // d/dx (dq(q(x)) * x) = dq(q(x)) almost everywhere; dq(q(x)) = round(x / 0.25) * 0.25.
        double[] x = {0.3, -1.1, 2.05, 0.6}, c = {1, 2, -1, 0.5}, g = out.get(1).toDoubleArray();
        for (int i = 0; i < 4; i++) assertThat(g[i]).isCloseTo(c[i] * Math.round((float) x[i] / 0.25f) * 0.25, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void customCallIsRefusedNamingItsTarget() {
        var m = GradCheck.parse("""
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.custom_call @my_kernel(%x) : (tensor<3xf64>) -> tensor<3xf64> loc("model.java":3:9)
                  return %0 : tensor<3xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(m.functions().get(0), new int[] {0}, "g"))
                .isInstanceOfSatisfying(Hlo4jException.class, e -> assertThat(e.format()).isEqualTo("model.java:3:9: cannot differentiate "
                        + "'stablehlo.custom_call': custom_call @my_kernel is opaque to autodiff; give the function that calls it a custom VJP"));
    }

    /** The interpreter cannot run unrealized casts: the emitted cotangent cast is checked on the module's structure. */
    @Test
    void unrealizedConversionCastCastsTheCotangentBack() {
        var m = GradCheck.parse("""
                func.func @f(%x: tensor<2x3xf64>) -> tensor<6xf64> {
                  %0 = "builtin.unrealized_conversion_cast"(%x) : (tensor<2x3xf64>) -> tensor<6xf64>
                  %1 = stablehlo.sine %0 : tensor<6xf64>
                  return %1 : tensor<6xf64>
                }""");
        String text = MlirPrinter.print(GradCheck.vjpModule(m, new int[] {0}));
        assertThat(text).contains("builtin.unrealized_conversion_cast\"(%arg0) : (tensor<2x3xf64>) -> tensor<6xf64>")
                .containsPattern("%\\d+ = stablehlo.multiply %arg1, %\\d+ : tensor<6xf64>\\s+%\\d+ = \"builtin.unrealized_conversion_cast\"\\(%\\d+\\) : \\(tensor<6xf64>\\) -> tensor<2x3xf64>");
    }
}
