package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * negate and abs on the f8 formats where a sign-bit flip is not the format's negation: the FNUZ formats have no -0
 * (negate(0) is +0, so 1 / negate(0) is +inf) and f8E8M0FNU has no sign (a negative value is its NaN). Expected values
 * by the formats' definitions (ml_dtypes' tables), not by the interpreter; the sign-bit shortcut that keeps an f32
 * signalling NaN (F32SignallingNanTest) once gave -0 and -2 here.
 */
class NegateFormatsTest {
    private static float run(String body) {
        Module m = MlirParser.parseModule("func.func @main() -> tensor<f32> {\n" + body + "\n}\n", "negate.mlir");
        List<HostArray> r = HostArrays.toHost(new Interpreter(m).call(m.entryFunction(), List.of(), Process.single()));
        return r.getFirst().toFloatArray()[0];
    }

    @Test
    void fnuzHasNoNegativeZero() {
        for (String t : List.of("f8E4M3FNUZ", "f8E5M2FNUZ")) {
            float z = run("""
                      %z = stablehlo.constant dense<0.0> : tensor<T>
                      %n = stablehlo.negate %z : tensor<T>
                      %f = stablehlo.convert %n : (tensor<T>) -> tensor<f32>
                      return %f : tensor<f32>""".replace("T", t));
            assertThat(Float.floatToRawIntBits(z)).as(t + " negate(0)").isZero();
            float inv = run("""
                      %z = stablehlo.constant dense<0.0> : tensor<T>
                      %n = stablehlo.negate %z : tensor<T>
                      %f = stablehlo.convert %n : (tensor<T>) -> tensor<f32>
                      %o = stablehlo.constant dense<1.0> : tensor<f32>
                      %d = stablehlo.divide %o, %f : tensor<f32>
                      return %d : tensor<f32>""".replace("T", t));
            assertThat(inv).as(t + " 1 / negate(0)").isEqualTo(Float.POSITIVE_INFINITY);
            float two = run("""
                      %c = stablehlo.constant dense<-2.0> : tensor<T>
                      %n = stablehlo.negate %c : tensor<T>
                      %a = stablehlo.abs %c : tensor<T>
                      %s = stablehlo.add %n, %a : tensor<T>
                      %f = stablehlo.convert %s : (tensor<T>) -> tensor<f32>
                      return %f : tensor<f32>""".replace("T", t));
            assertThat(two).as(t + " negate(-2) + abs(-2)").isEqualTo(4.0f);
        }
    }

    @Test
    void e8m0HasNoSign() {
        float neg = run("""
                  %c = stablehlo.constant dense<2.0> : tensor<f8E8M0FNU>
                  %n = stablehlo.negate %c : tensor<f8E8M0FNU>
                  %f = stablehlo.convert %n : (tensor<f8E8M0FNU>) -> tensor<f32>
                  return %f : tensor<f32>""");
        assertThat(neg).as("negate(2) in f8E8M0FNU").isNaN();
        float abs = run("""
                  %c = stablehlo.constant dense<2.0> : tensor<f8E8M0FNU>
                  %a = stablehlo.abs %c : tensor<f8E8M0FNU>
                  %f = stablehlo.convert %a : (tensor<f8E8M0FNU>) -> tensor<f32>
                  return %f : tensor<f32>""");
        assertThat(abs).as("abs(2) in f8E8M0FNU").isEqualTo(2.0f);
    }
}
