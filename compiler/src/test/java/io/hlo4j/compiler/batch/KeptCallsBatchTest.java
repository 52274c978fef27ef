package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.ad.Autodiff;
import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.compare;
import static io.hlo4j.compiler.batch.BatchCheck.perExample;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static io.hlo4j.runtime.testing.BatchAxis.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Batching#vmap(Module, String, int[], int[], long, String)}: calls stay calls of batched copies of their callees, with their checkpoint and
 * custom-VJP markers, checked against the module run per example (and its gradient per example, summed over the
 * examples for a shared argument).
 */
class KeptCallsBatchTest {
    private final Random r = new Random(11);
    private static final int N = Batched.NONE;

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static final String CALLS = """
            module {
              func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>, %w: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %0 = func.call @g(%x, %y) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %1 = func.call @g(%w, %0) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %2 = func.call @g(%w, %w) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %3 = func.call @g(%w, %1) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %4 = stablehlo.add %3, %2 : tensor<3xf64>
                return %4, %2 : tensor<3xf64>, tensor<3xf64>
              }
            """ + Callees.G_CALLS_H + """
            }""";

    private static Module roundTrip(Module m) {
        ModuleVerifier.verify(m);
        Module back = MlirParser.parseModule(MlirPrinter.print(m), "kept.mlir");
        ModuleVerifier.verify(back);
        return back;
    }

    @Test
    void callsNameOneBatchedCopyPerPatternOfBatchedOperands() {
        Module m = MlirParser.parseModule(CALLS, "calls.mlir");
        for (int[] in : List.of(new int[]{0, 1, N}, new int[]{N, N, 1})) {
            List<HostArray> args = in[0] == 0 ? List.of(u(2, 3), u(3, 2), u(3)) : List.of(u(3), u(3), u(3, 2));
            int[] out = in[0] == 0 ? new int[]{0, N} : new int[]{0, 0};
            Module vm = roundTrip(Batching.vmap(m, "main", in, out, 2, "batched"));
            String text = MlirPrinter.print(vm);
            compare(new Interpreter(vm).runHost("batched", args), perExample(m, "main", in, out, 2, args), out);
            // @g(w, w) reads no batched value and stays a call of @g; every other call names a batched copy
            assertThat(text).contains("call @g(").contains("call @g_vmap");
            int copies = count(text, "func.func private @g_vmap");
            // x, y batched: @g[0, 1] for (x, y); @g(w, %0) and @g(w, %1) share the pattern [none, 0]: two copies.
            // w alone batched (at 1): (x, y) stays @g; (w, %0) [1, none], (w, w) [1, 1], (w, %1) [1, 0]: three copies
            assertThat(copies).as(text).isEqualTo(in[0] == 0 ? 2 : 3);
            assertThat(count(text, "func.func private @h_vmap")).as(text).isEqualTo(copies);
        }
    }

    private static final String MARKED = """
            module {
              func.func @main(%w: tensor<3xf64>, %x: tensor<3xf64>) -> tensor<f64> {
                %p = func.call @fwd(%w, %x) {hlo4j.custom_vjp = @bwd} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %q = func.call @layer(%p, %x) {hlo4j.remat = "nothing"} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %z = stablehlo.constant dense<0.0> : tensor<f64>
                %s = stablehlo.reduce(%q init: %z) applies stablehlo.add across dimensions = [0] : (tensor<3xf64>, tensor<f64>) -> tensor<f64>
                return %s : tensor<f64>
              }
              func.func private @fwd(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                %m = stablehlo.multiply %a, %b : tensor<3xf64>
                return %m : tensor<3xf64>
              }
              func.func private @bwd(%a: tensor<3xf64>, %b: tensor<3xf64>, %r: tensor<3xf64>, %ct: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %two = stablehlo.constant dense<2.0> : tensor<3xf64>
                %tb = stablehlo.multiply %two, %b : tensor<3xf64>
                %da = stablehlo.multiply %tb, %ct : tensor<3xf64>
                %db = stablehlo.multiply %a, %ct : tensor<3xf64>
                return %da, %db : tensor<3xf64>, tensor<3xf64>
              }
              func.func private @layer(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                %t = stablehlo.tanh %a : tensor<3xf64>
                %m = stablehlo.multiply %t, %b : tensor<3xf64>
                %s = stablehlo.sine %m : tensor<3xf64>
                return %s : tensor<3xf64>
              }
            }""";

    @Test
    void markersSurviveSoTheGradientOfTheBatchUsesTheCustomRuleAndRecomputes() {
        Module m = MlirParser.parseModule(MARKED, "marked.mlir");
        Module vm = roundTrip(Batching.vmap(m, "main", new int[]{N, 0}, new int[]{0}, 4, "batched"));
        String text = MlirPrinter.print(vm);
        assertThat(text).contains("hlo4j.custom_vjp = @bwd_vmap").contains("hlo4j.remat = \"nothing\"");
        // grad of sum(batched) with respect to the shared w: the sum over examples of each example's gradient
        HostArray w = u(3), xs = u(4, 3);
        Grad got = grad(withTotal(vm), "total", w, xs);
        double[] want = new double[3];
        for (int e = 0; e < 4; e++) {
            Grad one = grad(m, "main", w, take(xs, 0, e));
            double[] ge = one.dw().toDoubleArray();
            for (int k = 0; k < 3; k++) want[k] += ge[k];
            // the batched body is recomputed behind a barrier, as the unbatched one is: tanh once forward, once recomputed
            for (String op : List.of("stablehlo.tanh", "stablehlo.optimization_barrier")) {
                assertThat(count(got.text(), op)).as(op).isEqualTo(count(one.text(), op)).isPositive();
            }
        }
        for (int k = 0; k < 3; k++) assertThat(got.dw().getDouble(k)).as("dw[%d]", k).isCloseTo(want[k], org.assertj.core.data.Offset.offset(1e-12));
        // the rule's 2 x (not the true x) reaches w: a dropped marker would give another gradient
        Grad plain = grad(withTotal(roundTrip(Module.of("p", null, List.of(Calls.inlineAll(vm.symbols().lookup("batched"),
                vm.symbols()::lookup)), vm.op().location()))), "total", w, xs);
        assertThat(plain.dw().getDouble(0)).isNotCloseTo(got.dw().getDouble(0), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(plain.text()).doesNotContain("stablehlo.optimization_barrier");
    }

    /** The gradient of a scalar function with respect to its first argument, and the printed gradient program. */
    private record Grad(HostArray dw, String text) {}

    private static Grad grad(Module m, String name, HostArray w, HostArray x) {
        Operation vg = Autodiff.valueAndGrad(m, name, new int[]{0}, "vg");
        String text = MlirPrinter.print(Module.of("g", null, List.of(Calls.inlineAll(vg, m.symbols()::lookup)), m.op().location()));
        return new Grad(new Interpreter(MlirParser.parseModule(text, "g.mlir")).runHost("vg", List.of(w, x)).get(1), text);
    }

    /** The module with @total(w, xs) = sum over the batch of @batched(w, xs). */
    private static Module withTotal(Module vm) {
        String text = MlirPrinter.print(vm).stripTrailing();
        text = text.substring(0, text.length() - 1) + """
                  func.func @total(%w: tensor<3xf64>, %x: tensor<4x3xf64>) -> tensor<f64> {
                    %b = func.call @batched(%w, %x) : (tensor<3xf64>, tensor<4x3xf64>) -> tensor<4xf64>
                    %z = stablehlo.constant dense<0.0> : tensor<f64>
                    %s = stablehlo.reduce(%b init: %z) applies stablehlo.add across dimensions = [0] : (tensor<4xf64>, tensor<f64>) -> tensor<f64>
                    return %s : tensor<f64>
                  }
                }
                """;
        Module m = roundTrip(MlirParser.parseModule(text, "total.mlir"));
        // @batched spliced into @total (its own calls kept): a plain call would be recomputed whole in the backward pass
        Operation total = Calls.splice(m.symbols().lookup("total"), new java.util.IdentityHashMap<>(), op ->
                op.name().equals("func.call") && op.attr("callee").toString().equals("@batched") ? m.symbols().lookup("batched").region(0).entry() : null);
        List<Operation> body = new java.util.ArrayList<>();
        for (Operation o : m.operations()) {
            body.add(o == m.symbols().lookup("total") ? total : io.hlo4j.compiler.ad.Cloner.copy(o, new java.util.IdentityHashMap<>()).build());
        }
        return roundTrip(Module.of("t", null, body, m.op().location()));
    }

    @Test
    void aCustomVjpTheModuleLacksOrOfTheWrongArityIsRefusedByName() {
        String gone = MARKED.replace("{hlo4j.custom_vjp = @bwd}", "{hlo4j.custom_vjp = @gone}");
        assertThatThrownBy(() -> Batching.vmap(MlirParser.parseModule(gone, "gone.mlir"), "main", new int[]{N, 0}, new int[]{0}, 2, "b"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("cannot vmap func.call with custom VJP @gone: the module has no function @gone")
                .extracting(e -> ((Hlo4jException) e).format()).asString().startsWith("gone.mlir:3:5: ");
        String arity = MARKED.replace("{hlo4j.custom_vjp = @bwd}", "{hlo4j.custom_vjp = @layer}");
        assertThatThrownBy(() -> Batching.vmap(MlirParser.parseModule(arity, "arity.mlir"), "main", new int[]{N, 0}, new int[]{0}, 2, "b"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("cannot vmap func.call with custom VJP @layer").hasMessageContaining("@layer is")
                .hasMessageContaining("it must take the call's 2 arguments, 1 result and 1 cotangent and return 2 cotangents");
    }

    @Test
    void aRecursiveCallIsRefusedByName() {
        Module rec = MlirParser.parseModule("""
                module {
                  func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                    %0 = func.call @f(%x) : (tensor<3xf64>) -> tensor<3xf64>
                    return %0 : tensor<3xf64>
                  }
                }""", "rec.mlir");
        assertThatThrownBy(() -> Batching.vmap(rec, "f", new int[]{0}, new int[]{0}, 2, "b"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("func.call").hasMessageContaining("@f calls itself");
    }

    /** @fwd(w, x) = w x under two rules: @bwd1 gives d/dw = 2 x ct, @bwd2 gives 7 x ct (both d/dx = w ct). */
    private static final String TWO_RULES = """
            module {
              func.func @main(%w: tensor<3xf64>, %x: tensor<3xf64>) -> tensor<f64> {
                %p = func.call @fwd(%w, %x) {hlo4j.custom_vjp = @bwd1} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %q = func.call @fwd(%w, %x) {hlo4j.custom_vjp = @bwd2} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %t = stablehlo.add %p, %q : tensor<3xf64>
                %z = stablehlo.constant dense<0.0> : tensor<f64>
                %s = stablehlo.reduce(%t init: %z) applies stablehlo.add across dimensions = [0] : (tensor<3xf64>, tensor<f64>) -> tensor<f64>
                return %s : tensor<f64>
              }
              func.func private @fwd(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                %m = stablehlo.multiply %a, %b : tensor<3xf64>
                return %m : tensor<3xf64>
              }
              func.func private @bwd1(%a: tensor<3xf64>, %b: tensor<3xf64>, %r: tensor<3xf64>, %ct: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %k = stablehlo.constant dense<2.0> : tensor<3xf64>
                %kb = stablehlo.multiply %k, %b : tensor<3xf64>
                %da = stablehlo.multiply %kb, %ct : tensor<3xf64>
                %db = stablehlo.multiply %a, %ct : tensor<3xf64>
                return %da, %db : tensor<3xf64>, tensor<3xf64>
              }
              func.func private @bwd2(%a: tensor<3xf64>, %b: tensor<3xf64>, %r: tensor<3xf64>, %ct: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %k = stablehlo.constant dense<7.0> : tensor<3xf64>
                %kb = stablehlo.multiply %k, %b : tensor<3xf64>
                %da = stablehlo.multiply %kb, %ct : tensor<3xf64>
                %db = stablehlo.multiply %a, %ct : tensor<3xf64>
                return %da, %db : tensor<3xf64>, tensor<3xf64>
              }
            }""";

    @Test
    void oneCalleeUnderTwoCustomRulesKeepsEachRule() {
        Module m = MlirParser.parseModule(TWO_RULES, "two.mlir");
        Module vm = roundTrip(Batching.vmap(m, "main", new int[]{N, 0}, new int[]{0}, 4, "batched"));
        assertThat(MlirPrinter.print(vm)).contains("hlo4j.custom_vjp = @bwd1_vmap").contains("hlo4j.custom_vjp = @bwd2_vmap");
        assertSharedGradient(m, vm, 2 + 7);
    }

    /** The batch's gradient of the shared w equals the per-example gradients summed, and {@code rule} x summed by hand. */
    private void assertSharedGradient(Module m, Module vm, double rule) {
        HostArray w = u(3), xs = u(4, 3);
        double[] got = grad(withTotal(vm), "total", w, xs).dw().toDoubleArray(), want = new double[3], hand = new double[3];
        for (int e = 0; e < 4; e++) {
            double[] ge = grad(m, "main", w, take(xs, 0, e)).dw().toDoubleArray();
            for (int k = 0; k < 3; k++) { want[k] += ge[k]; hand[k] += rule * xs.getDouble(e * 3 + k); }
        }
        for (int k = 0; k < 3; k++) {
            assertThat(got[k]).as("dw[%d]", k).isCloseTo(want[k], org.assertj.core.data.Offset.offset(1e-12))
                    .isCloseTo(hand[k], org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void aBackwardFunctionMayCallItsOwnForward() {
        // @bwd3: d/dw = 2 fwd(x, ct) = 2 x ct, d/dx = fwd(w, ct)
        String text = MARKED.replace("{hlo4j.custom_vjp = @bwd}", "{hlo4j.custom_vjp = @bwd3}").replace("""
                  func.func private @layer(""", """
                  func.func private @bwd3(%a: tensor<3xf64>, %b: tensor<3xf64>, %r: tensor<3xf64>, %ct: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                    %two = stablehlo.constant dense<2.0> : tensor<3xf64>
                    %f = func.call @fwd(%b, %ct) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                    %da = stablehlo.multiply %two, %f : tensor<3xf64>
                    %db = func.call @fwd(%a, %ct) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                    return %da, %db : tensor<3xf64>, tensor<3xf64>
                  }
                  func.func private @layer(""".stripIndent().replace("\n", "\n  "));
        assertThat(text).contains("@bwd3(%a");
        // with @layer replaced by a plain sum, the shared w's gradient is the rule's 2 x summed over the batch
        text = text.replace("%q = func.call @layer(%p, %x) {hlo4j.remat = \"nothing\"}", "%q = stablehlo.add %p, %p").replace(
                "%q = stablehlo.add %p, %p : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>", "%q = stablehlo.add %p, %p : tensor<3xf64>");
        Module m = MlirParser.parseModule(text, "bwd3.mlir");
        Module vm = roundTrip(Batching.vmap(m, "main", new int[]{N, 0}, new int[]{0}, 4, "batched"));
        assertThat(MlirPrinter.print(vm)).contains("hlo4j.custom_vjp = @bwd3_vmap");
        assertSharedGradient(m, vm, 2 * 2);   // sum(p + p): the rule's 2 x, twice
    }

    @Test
    void aBackwardFunctionCallingItsOwnCustomVjpCallIsRefusedByName() {
        String text = MARKED.replace("{hlo4j.custom_vjp = @bwd}", "{hlo4j.custom_vjp = @bwd3}").replace("""
                  func.func private @layer(""", """
                  func.func private @bwd3(%a: tensor<3xf64>, %b: tensor<3xf64>, %r: tensor<3xf64>, %ct: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                    %f = func.call @fwd(%b, %ct) {hlo4j.custom_vjp = @bwd3} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                    return %f, %f : tensor<3xf64>, tensor<3xf64>
                  }
                  func.func private @layer(""".stripIndent().replace("\n", "\n  "));
        assertThatThrownBy(() -> Batching.vmap(MlirParser.parseModule(text, "bwd3.mlir"), "main", new int[]{N, 0}, new int[]{0}, 2, "b"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("func.call").hasMessageContaining("its custom VJP @bwd3 calls itself");
    }

    @Test
    void aLoopBatchedTwiceLeavesNoUncalledCopy() {
        // the carry c starts unbatched and becomes batched in the body: the body is batched once with @g(c, x) of
        // pattern [none, 0] and again with [0, 0]; only the second copy is called
        Module m = MlirParser.parseModule("""
                module {
                  func.func @main(%w: tensor<3xf64>, %x: tensor<3xf64>) -> tensor<3xf64> {
                    %i0 = stablehlo.constant dense<0> : tensor<i64>
                    %r:3 = stablehlo.while(%i = %i0, %c = %w, %y = %x) : tensor<i64>, tensor<3xf64>, tensor<3xf64>
                     cond {
                      %n = stablehlo.constant dense<3> : tensor<i64>
                      %p = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                      stablehlo.return %p : tensor<i1>
                    } do {
                      %one = stablehlo.constant dense<1> : tensor<i64>
                      %j = stablehlo.add %i, %one : tensor<i64>
                      %d = func.call @g(%c, %y) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                      stablehlo.return %j, %d, %y : tensor<i64>, tensor<3xf64>, tensor<3xf64>
                    }
                    return %r#1 : tensor<3xf64>
                  }
                  func.func private @g(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                    %s = stablehlo.sine %a : tensor<3xf64>
                    %m = stablehlo.multiply %s, %b : tensor<3xf64>
                    return %m : tensor<3xf64>
                  }
                }""", "loop.mlir");
        int[] in = {N, 0}, out = {0};
        List<HostArray> args = List.of(u(3), u(2, 3));
        Module vm = roundTrip(Batching.vmap(m, "main", in, out, 2, "batched"));
        compare(new Interpreter(vm).runHost("batched", args), perExample(m, "main", in, out, 2, args), out);
        String text = MlirPrinter.print(vm);
        assertThat(count(text, "func.func private @g_vmap")).as(text).isEqualTo(1);
        for (Operation f : vm.operations()) {
            String name = KeptCalls.name(f);
            if (name.contains("_vmap")) assertThat(text).as(name).contains("call @" + name + "(");
        }
    }

    /** @main(w, x) = (w x, sin w) through a custom-VJP call: the second result reads no batched argument. */
    private static final String SHARED_RESULT = """
            module {
              func.func @main(%w: tensor<3xf64>, %x: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %p:2 = func.call @fwd(%w, %x) {hlo4j.custom_vjp = @bwd} : (tensor<3xf64>, tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
                %c = stablehlo.cosine %p#1 : tensor<3xf64>
                return %p#0, %c : tensor<3xf64>, tensor<3xf64>
              }
              func.func private @fwd(%a: tensor<3xf64>, %b: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %m = stablehlo.multiply %a, %b : tensor<3xf64>
                %s = stablehlo.sine %a : tensor<3xf64>
                return %m, %s : tensor<3xf64>, tensor<3xf64>
              }
              func.func private @bwd(%a: tensor<3xf64>, %b: tensor<3xf64>, %r: tensor<3xf64>, %q: tensor<3xf64>, %ct: tensor<3xf64>,
                                     %cs: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %bc = stablehlo.multiply %b, %ct : tensor<3xf64>
                %cos = stablehlo.cosine %a : tensor<3xf64>
                %sc = stablehlo.multiply %cos, %cs : tensor<3xf64>
                %da = stablehlo.add %bc, %sc : tensor<3xf64>
                %db = stablehlo.multiply %a, %ct : tensor<3xf64>
                return %da, %db : tensor<3xf64>, tensor<3xf64>
              }
            }""";

    @Test
    void outAxesNoneOnAResultOnlyACustomVjpCallBatchesReadsTheFirstExample() {
        // the call keeps its rule, so all its results are batched; cos(sin w) is the same for every example
        Module m = MlirParser.parseModule(SHARED_RESULT, "shared.mlir");
        int[] in = {N, 0}, out = {0, N};
        List<HostArray> args = List.of(u(3), u(4, 3));
        Module vm = roundTrip(Batching.vmap(m, "main", in, out, 4, "batched"));
        assertThat(MlirPrinter.print(vm)).contains("hlo4j.custom_vjp = @bwd_vmap");
        compare(new Interpreter(vm).runHost("batched", args), perExample(m, "main", in, out, 4, args), out);
        // a result that does depend on the batch is still refused with out_axes none; so is an empty batch
        assertThatThrownBy(() -> Batching.vmap(m, "main", in, new int[]{N, N}, 4, "b")).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("out_axes[0] is none but result #0 depends on a batched argument");
        assertThatThrownBy(() -> Batching.vmap(m, "main", in, out, 0, "b")).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("a batch of 0 examples has no example to read it from").hasMessageContaining("@fwd with custom VJP @bwd");
    }

    @Test
    void theInternalOutAxisMarkersAreRefusedAsOutOfRange() {
        Module m = MlirParser.parseModule(CALLS, "calls.mlir");
        for (int bad : new int[]{Batching.NATURAL, Batching.SUM}) {
            assertThatThrownBy(() -> Batching.vmap(m, "main", new int[]{0, 0, 0}, new int[]{bad, 0}, 2, "b"))
                    .isInstanceOf(Hlo4jException.class).hasMessageContaining("out_axes[0] = " + bad + " is out of range");
            assertThatThrownBy(() -> Batching.vmap(m, "main", new int[]{0, 0, 0}, new int[]{0, bad}, 2, "b"))
                    .isInstanceOf(Hlo4jException.class).hasMessageContaining("out_axes[1] = " + bad + " is out of range");
            assertThatThrownBy(() -> Batching.vmap(m.symbols().lookup("h"), new int[]{0, 0}, new int[]{bad}, 2, "b"))
                    .isInstanceOf(Hlo4jException.class).hasMessageContaining("out_axes[0] = " + bad + " is out of range");
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }
}
