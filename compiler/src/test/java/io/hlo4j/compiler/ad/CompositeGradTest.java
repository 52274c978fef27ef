package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** Whole models: softmax cross entropy, an MLP, checkpointed blocks, custom VJPs and stop_gradient. */
class CompositeGradTest {
    private final Random r = new Random(2024);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    static final String SOFTMAX_XENT = """
            func.func @loss(%logits: tensor<4x5xf64>, %labels: tensor<4x5xf64>) -> tensor<f64> {
              %ninf = stablehlo.constant dense<0xFFF0000000000000> : tensor<f64>
              %zero = stablehlo.constant dense<0.0> : tensor<f64>
              %m = stablehlo.reduce(%logits init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<4x5xf64>, tensor<f64>) -> tensor<4xf64>
              %mb = stablehlo.broadcast_in_dim %m, dims = [0] : (tensor<4xf64>) -> tensor<4x5xf64>
              %sh = stablehlo.subtract %logits, %mb : tensor<4x5xf64>
              %e = stablehlo.exponential %sh : tensor<4x5xf64>
              %se = stablehlo.reduce(%e init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<4x5xf64>, tensor<f64>) -> tensor<4xf64>
              %lse = stablehlo.log %se : tensor<4xf64>
              %lb = stablehlo.broadcast_in_dim %lse, dims = [0] : (tensor<4xf64>) -> tensor<4x5xf64>
              %logp = stablehlo.subtract %sh, %lb : tensor<4x5xf64>
              %t = stablehlo.multiply %labels, %logp : tensor<4x5xf64>
              %s = stablehlo.reduce(%t init: %zero) applies stablehlo.add across dimensions = [0, 1] : (tensor<4x5xf64>, tensor<f64>) -> tensor<f64>
              %n = stablehlo.constant dense<-0.25> : tensor<f64>
              %l = stablehlo.multiply %s, %n : tensor<f64>
              return %l : tensor<f64>
            }""";

    @Test
    void softmaxCrossEntropyMatchesTheClosedFormAndFiniteDifferences() {
        double[] lab = new double[20];
        int[] cls = {2, 0, 4, 1};
        for (int i = 0; i < 4; i++) lab[i * 5 + cls[i]] = 1;
        HostArray logits = uniform(f64(4, 5), r, -3, 3), labels = HostArray.fromDoubles(f64(4, 5), lab);
        GradCheck.check(SOFTMAX_XENT, List.of(logits, labels), 41);

        // valueAndGrad against the closed form (softmax(z) - y) / N.
        Module m = GradCheck.parse(SOFTMAX_XENT);
        Operation vg = Autodiff.valueAndGrad(m, "loss", new int[] {0}, "vg");
        Module vm = MlirParser.parseModule(MlirPrinter.print(io.hlo4j.mlir.build.FunctionBuilder.module(null, List.of(vg))), "vg.mlir");
        List<HostArray> out = new Interpreter(vm).runHost("vg", List.of(logits, labels));
        double[] z = logits.toDoubleArray(), g = out.get(1).toDoubleArray();
        double loss = 0;
        for (int i = 0; i < 4; i++) {
            double mx = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < 5; j++) mx = Math.max(mx, z[i * 5 + j]);
            for (int j = 0; j < 5; j++) s += Math.exp(z[i * 5 + j] - mx);
            loss -= (z[i * 5 + cls[i]] - mx - Math.log(s)) / 4;
            for (int j = 0; j < 5; j++) {
                double p = Math.exp(z[i * 5 + j] - mx) / s;
                assertThat(g[i * 5 + j]).isCloseTo((p - lab[i * 5 + j]) / 4, offset(1e-12));
            }
        }
        assertThat(out.get(0).toDoubleArray()[0]).isCloseTo(loss, offset(1e-12));
    }

    static final String MLP = """
            func.func @mlp(%x: tensor<4x3xf64>, %w1: tensor<3x5xf64>, %b1: tensor<5xf64>, %w2: tensor<5x2xf64>, %b2: tensor<2xf64>, %y: tensor<4x2xf64>) -> tensor<f64> {
              %h = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0] : (tensor<4x3xf64>, tensor<3x5xf64>) -> tensor<4x5xf64>
              %bb1 = stablehlo.broadcast_in_dim %b1, dims = [1] : (tensor<5xf64>) -> tensor<4x5xf64>
              %h1 = stablehlo.add %h, %bb1 : tensor<4x5xf64>
              %a = stablehlo.tanh %h1 : tensor<4x5xf64>
              %o = stablehlo.dot_general %a, %w2, contracting_dims = [1] x [0] : (tensor<4x5xf64>, tensor<5x2xf64>) -> tensor<4x2xf64>
              %bb2 = stablehlo.broadcast_in_dim %b2, dims = [1] : (tensor<2xf64>) -> tensor<4x2xf64>
              %o1 = stablehlo.add %o, %bb2 : tensor<4x2xf64>
              %d = stablehlo.subtract %o1, %y : tensor<4x2xf64>
              %sq = stablehlo.multiply %d, %d : tensor<4x2xf64>
              %zero = stablehlo.constant dense<0.0> : tensor<f64>
              %s = stablehlo.reduce(%sq init: %zero) applies stablehlo.add across dimensions = [0, 1] : (tensor<4x2xf64>, tensor<f64>) -> tensor<f64>
              %n = stablehlo.constant dense<0.125> : tensor<f64>
              %l = stablehlo.multiply %s, %n : tensor<f64>
              return %l : tensor<f64>
            }""";

    @Test
    void twoLayerMlpMeanSquaredError() {
        GradCheck.check(MLP, List.of(u(4, 3), u(3, 5), u(5), u(5, 2), u(2), u(4, 2)), 42);
    }

    /** The MLP's hidden layer as a callee, called with the given extra attributes on the call. */
    static String blockModule(String callAttrs) {
        return """
                func.func @main(%x: tensor<4x3xf64>, %w1: tensor<3x5xf64>, %w2: tensor<5x2xf64>) -> tensor<4x2xf64> {
                  %a = func.call @block(%x, %w1) ATTRS : (tensor<4x3xf64>, tensor<3x5xf64>) -> tensor<4x5xf64>
                  %o = stablehlo.dot_general %a, %w2, contracting_dims = [1] x [0] : (tensor<4x5xf64>, tensor<5x2xf64>) -> tensor<4x2xf64>
                  %t = stablehlo.tanh %o : tensor<4x2xf64>
                  return %t : tensor<4x2xf64>
                }
                func.func private @block(%x: tensor<4x3xf64>, %w: tensor<3x5xf64>) -> tensor<4x5xf64> {
                  %h = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<4x3xf64>, tensor<3x5xf64>) -> tensor<4x5xf64>
                  %s = stablehlo.sine %h {hlo4j.name = "pre"} : tensor<4x5xf64>
                  %a = stablehlo.multiply %s, %h : tensor<4x5xf64>
                  return %a : tensor<4x5xf64>
                }""".replace("ATTRS", callAttrs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{hlo4j.remat = \"nothing\"}", "{hlo4j.remat = \"dots\"}",
            "{hlo4j.remat = \"names\", hlo4j.remat_save = [\"pre\"]}"})
    void checkpointPoliciesGiveTheSameGradientsAsThePlainCall(String attrs) {
        List<HostArray> args = List.of(u(4, 3), u(3, 5), u(5, 2));
        GradCheck.checkModule(GradCheck.parse(blockModule(attrs)), "main", args, 43);
        Random cr = new Random(5);
        HostArray ct = uniform(f64(4, 2), cr, -1, 1);
        List<HostArray> in = new ArrayList<>(args);
        in.add(ct);
        List<HostArray> plain = new Interpreter(GradCheck.vjpModule(GradCheck.parse(blockModule("")), "main", new int[] {0, 1, 2}))
                .runHost("vjp", in);
        List<HostArray> remat = new Interpreter(GradCheck.vjpModule(GradCheck.parse(blockModule(attrs)), "main", new int[] {0, 1, 2}))
                .runHost("vjp", in);
        for (int i = 0; i < plain.size(); i++) {
            double[] p = plain.get(i).toDoubleArray(), q = remat.get(i).toDoubleArray();
            for (int j = 0; j < p.length; j++) assertThat(q[j]).isCloseTo(p[j], offset(1e-13));
        }
    }

    @Test
    void policiesDecideWhatTheBackwardPassRecomputes() {
        // Forward: 2 dots. Backward: 2 per dot. "nothing" recomputes the callee's dot, "dots" reuses it.
        assertThat(count(blockModule("{hlo4j.remat = \"nothing\"}"), "stablehlo.dot_general")).isEqualTo(2 + 4 + 1);
        assertThat(count(blockModule("{hlo4j.remat = \"dots\"}"), "stablehlo.dot_general")).isEqualTo(2 + 4);
        assertThat(count(blockModule("{hlo4j.remat = \"nothing\"}"), "stablehlo.sine")).isEqualTo(2);
        assertThat(count(blockModule("{hlo4j.remat = \"names\", hlo4j.remat_save = [\"pre\"]}"), "stablehlo.sine")).isEqualTo(1);
        assertThat(count(blockModule("{hlo4j.remat = \"dots\"}"), "stablehlo.optimization_barrier")).isEqualTo(1);
    }

    private static int count(String module, String opName) {
        Operation g = Autodiff.vjp(GradCheck.parse(module), "main", new int[] {0, 1, 2}, "g");
        int[] n = {0};
        walk(g, op -> { if (op.name().equals(opName)) n[0]++; });
        return n[0];
    }

    private static void walk(Operation op, java.util.function.Consumer<Operation> f) {
        f.accept(op);
        for (var reg : op.regions()) for (var blk : reg.blocks()) for (var o : blk.operations()) walk(o, f);
    }

    @Test
    void customVjpReplacesTheCalleesDerivative() {
        // clip_gradient-style: forward is the identity, backward clamps the cotangent to [-0.5, 0.5].
        String text = """
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @ident(%x) {hlo4j.custom_vjp = @clip_bwd} : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }
                func.func private @ident(%x: tensor<3xf64>) -> tensor<3xf64> {
                  return %x : tensor<3xf64>
                }
                func.func private @clip_bwd(%x: tensor<3xf64>, %y: tensor<3xf64>, %g: tensor<3xf64>) -> tensor<3xf64> {
                  %lo = stablehlo.constant dense<-0.5> : tensor<f64>
                  %hi = stablehlo.constant dense<0.5> : tensor<f64>
                  %c = stablehlo.clamp %lo, %g, %hi : (tensor<f64>, tensor<3xf64>, tensor<f64>) -> tensor<3xf64>
                  return %c : tensor<3xf64>
                }""";
        Module vm = GradCheck.vjpModule(GradCheck.parse(text), "main", new int[] {0});
        HostArray x = HostArray.fromDoubles(f64(3), 0.1, 1.0, -2.0), c = HostArray.fromDoubles(f64(3), 1, 1, 1);
        double[] g = new Interpreter(vm).runHost("vjp", List.of(x, c)).get(1).toDoubleArray();
        // d(x^2) = 2x c, clipped: 0.2, 0.5, -0.5.
        assertThat(g).containsExactly(new double[] {0.2, 0.5, -0.5}, offset(1e-15));
    }

    @Test
    void stopGradientCutsThePath() {
        var fb = io.hlo4j.mlir.build.IrBuilder.function("f", List.of(f64(3)), io.hlo4j.mlir.ir.Location.UNKNOWN);
        var sb = new io.hlo4j.mlir.build.StablehloBuilder(fb);
        var x = fb.argument(0);
        var sx = Autodiff.stopGradient(fb, x, io.hlo4j.mlir.ir.Location.UNKNOWN);
        var y = sb.multiply(x, sx, io.hlo4j.mlir.ir.Location.UNKNOWN); // d/dx = stop(x), not 2x
        Operation f = fb.finish(List.of(y));
        Module vm = Autodiff.withVjp(io.hlo4j.mlir.build.FunctionBuilder.module(null, List.of(f)), "f", new int[] {0}, "vjp");
        vm = MlirParser.parseModule(MlirPrinter.print(vm), "sg.mlir");
        HostArray xv = HostArray.fromDoubles(f64(3), 1.5, -2, 3), c = HostArray.fromDoubles(f64(3), 1, 2, 3);
        List<HostArray> out = new Interpreter(vm).runHost("vjp", List.of(xv, c));
        assertThat(out.get(0).toDoubleArray()).containsExactly(2.25, 4, 9);
        assertThat(out.get(1).toDoubleArray()).containsExactly(1.5, -4, 9);
    }
}
