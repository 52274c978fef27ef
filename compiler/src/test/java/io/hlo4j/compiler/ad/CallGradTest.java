package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code func.call} wherever it sits: at top level (nested callees), in a while body (fori-style and data-dependent),
 * in a case branch, inside {@code sdy.manual_computation} (a callee holding a collective; a custom-VJP callee; a
 * checkpointed callee), each
 * checked against f64 central finite differences. Every VJP is also run after {@link Calls#inlineAll} and must give
 * the same numbers with no call left. Missing, mistyped and recursive callees are refused by name.
 */
class CallGradTest {
    private final Random r = new Random(4242);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    private static HostArray i64(long v) { return HostArray.fromLongs(TensorType.scalar(IntegerType.I64), new long[] {v}); }

    private static HostArray i32(long v) { return HostArray.fromLongs(TensorType.scalar(IntegerType.I32), new long[] {v}); }

    private static final String HELPERS = """
            func.func private @outer(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
              %0 = func.call @inner(%a) : (tensor<3xf64>) -> tensor<3xf64>
              %1 = stablehlo.multiply %0, %b : tensor<3xf64>
              %2 = func.call @inner(%1) : (tensor<3xf64>) -> tensor<3xf64>
              return %2 : tensor<3xf64>
            }
            func.func private @inner(%a: tensor<3xf64>) -> tensor<3xf64> {
              %0 = stablehlo.tanh %a : tensor<3xf64>
              %1 = stablehlo.multiply %0, %a : tensor<3xf64>
              return %1 : tensor<3xf64>
            }""";

    @Test
    void nestedCallsAtTopLevel() {
        Module m = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                  %0 = func.call @outer(%x, %y) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                  %1 = func.call @outer(%0, %x) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                  %2 = func.call @inner(%y) : (tensor<3xf64>) -> tensor<3xf64>
                  return %1, %2 : tensor<3xf64>, tensor<3xf64>
                }
                """ + HELPERS);
        List<HostArray> args = List.of(u(3), u(3));
        GradCheck.checkModule(m, "main", args, 1);
        assertInlinedAgrees(m, "main", args);
    }

    /** A fori-style loop (saved carries) and a data-dependent one (recomputation); the callee reads a captured weight. */
    @ParameterizedTest(name = "fori-style {0}")
    @ValueSource(booleans = {true, false})
    void callInsideAWhileBody(boolean fori) {
        String bound = fori ? "%n = stablehlo.constant dense<3> : tensor<i64>" : "%n = stablehlo.add %n0, %n0 : tensor<i64>";
        Module m = GradCheck.parse("""
                func.func @main(%n0: tensor<i64>, %h0: tensor<3xf64>, %w: tensor<3xf64>) -> tensor<3xf64> {
                  %c0 = stablehlo.constant dense<0> : tensor<i64>
                  %r:2 = stablehlo.while(%t = %c0, %h = %h0) : tensor<i64>, tensor<3xf64>
                   cond {
                    BOUND
                    %lt = stablehlo.compare LT, %t, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                    stablehlo.return %lt : tensor<i1>
                  } do {
                    %hn = func.call @step(%h, %w) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                    %one = stablehlo.constant dense<1> : tensor<i64>
                    %tn = stablehlo.add %t, %one : tensor<i64>
                    stablehlo.return %tn, %hn : tensor<i64>, tensor<3xf64>
                  }
                  return %r#1 : tensor<3xf64>
                }
                func.func private @step(%h: tensor<3xf64>, %w: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @inner(%h) : (tensor<3xf64>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %w : tensor<3xf64>
                  %2 = stablehlo.sine %1 : tensor<3xf64>
                  %3 = stablehlo.add %2, %h : tensor<3xf64>
                  return %3 : tensor<3xf64>
                }
                """.replace("BOUND", bound) + HELPERS);
        // 3 iterations (fori-style), 2 + 2 = 4 (data-dependent)
        Operation loop = m.functions().get(0).region(0).entry().operations().get(1);
        assertThat(ScanLoops.tripCount(loop)).isEqualTo(fori ? 3 : -1);
        List<HostArray> args = List.of(i64(fori ? 0 : 2), u(3), u(3));
        GradCheck.checkModule(m, "main", args, 2);
        assertInlinedAgrees(m, "main", args);
    }

    @ParameterizedTest(name = "branch {0}")
    @ValueSource(ints = {0, 1, 5})
    void callInsideACaseBranch(int index) {
        Module m = GradCheck.parse("""
                func.func @main(%i: tensor<i32>, %x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.case"(%i) ({
                    %a = func.call @inner(%x) : (tensor<3xf64>) -> tensor<3xf64>
                    stablehlo.return %a : tensor<3xf64>
                  }, {
                    %b = func.call @outer(%y, %x) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                    %c = stablehlo.sine %b : tensor<3xf64>
                    stablehlo.return %c : tensor<3xf64>
                  }) : (tensor<i32>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %y : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }
                """ + HELPERS);
        List<HostArray> args = List.of(i32(index), u(3), u(3));
        GradCheck.checkModule(m, "main", args, 3);
        assertInlinedAgrees(m, "main", args);
    }

    /** A shard_map whose body calls @local, which holds the all_reduce; ATTRS: the call's attributes. */
    private static final String CALLS_LOCAL = """
            sdy.mesh @mesh = <["x"=NN]>
            func.func @f(%x: tensor<8x3xf64>) -> tensor<LLx3xf64> {
              %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<LLx3xf64>) {
                %r = func.call @local(%a)ATTRS : (tensor<LLx3xf64>) -> tensor<LLx3xf64>
                sdy.return %r : tensor<LLx3xf64>
              } : (tensor<8x3xf64>) -> tensor<LLx3xf64>
              %1 = stablehlo.multiply %0, %0 : tensor<LLx3xf64>
              return %1 : tensor<LLx3xf64>
            }
            func.func private @local(%a: tensor<LLx3xf64>) -> tensor<LLx3xf64> {
              %s = stablehlo.sine %a : tensor<LLx3xf64>
              %p = stablehlo.multiply %s, %a : tensor<LLx3xf64>
              %r = "stablehlo.all_reduce"(%p) SUM {replica_groups = GROUPS, CH} : (tensor<LLx3xf64>) -> tensor<LLx3xf64>
              return %r : tensor<LLx3xf64>
            }""";

    /**
     * shard_map whose body calls a function holding the all_reduce: the callee is differentiated per device inside the
     * backward manual computation (the psum transposes to a psum there), against FD of the one-device reference.
     */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void callInsideAManualComputation(int n) {
        String sharded = CALLS_LOCAL.replace("ATTRS", "");
        Module vjp = ManualComputationGradTest.check(ManualComputationGradTest.fill(sharded, n), ManualComputationGradTest.fill(ManualComputationGradTest.PSUM_REFERENCE, n), n,
                List.of(uniform(f64(8, 3), new Random(90 + n), -2, 2)));
        // The backward manual computation recomputes the callee's body in place (no call to a VJP function is needed).
        assertThat(MlirPrinter.print(function(vjp, "vjp"), io.hlo4j.mlir.print.PrintOptions.DEFAULT)).contains("func.call @local").contains("\"stablehlo.all_reduce\"");
        assertManualInlinedAgrees(vjp, n);
    }

    /** A checkpointed call (remat policy "nothing" or "dots") inside the shard_map body: recomputed in the backward body. */
    @ParameterizedTest(name = "remat {0}")
    @ValueSource(strings = {"nothing", "dots"})
    void checkpointedCallInsideAManualComputation(String policy) {
        String sharded = CALLS_LOCAL.replace("ATTRS", " {hlo4j.remat = \"" + policy + "\"}");
        Module vjp = ManualComputationGradTest.check(ManualComputationGradTest.fill(sharded, 2), ManualComputationGradTest.fill(ManualComputationGradTest.PSUM_REFERENCE, 2), 2,
                List.of(uniform(f64(8, 3), new Random(99), -2, 2)));
        // The backward body inlines the callee and recomputes it behind an optimization_barrier (only the forward copy calls it).
        assertThat(Calls.calls(function(vjp, "vjp"))).hasSize(1);
        assertThat(MlirPrinter.print(function(vjp, "vjp"), io.hlo4j.mlir.print.PrintOptions.DEFAULT)).contains("stablehlo.optimization_barrier");
    }

    /**
     * shard_map whose body calls a custom-VJP function (as the EP block's ragged all-to-alls are): the backward manual
     * computation calls the declared backward function, here the exact derivative written by hand.
     */
    @ParameterizedTest(name = "{0} devices")
    @ValueSource(ints = {2, 4})
    void customVjpCallInsideAManualComputation(int n) {
        String sharded = """
                sdy.mesh @mesh = <["x"=NN]>
                func.func @f(%x: tensor<8x3xf64>) -> tensor<LLx3xf64> {
                  %0 = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {}]>] manual_axes={"x"} (%a: tensor<LLx3xf64>) {
                    %p = func.call @fwd(%a) {hlo4j.custom_vjp = @bwd} : (tensor<LLx3xf64>) -> tensor<LLx3xf64>
                    %r = "stablehlo.all_reduce"(%p) SUM {replica_groups = GROUPS, CH} : (tensor<LLx3xf64>) -> tensor<LLx3xf64>
                    sdy.return %r : tensor<LLx3xf64>
                  } : (tensor<8x3xf64>) -> tensor<LLx3xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<LLx3xf64>
                  return %1 : tensor<LLx3xf64>
                }
                func.func private @fwd(%a: tensor<LLx3xf64>) -> tensor<LLx3xf64> {
                  %s = stablehlo.sine %a : tensor<LLx3xf64>
                  %p = stablehlo.multiply %s, %a : tensor<LLx3xf64>
                  return %p : tensor<LLx3xf64>
                }
                func.func private @bwd(%a: tensor<LLx3xf64>, %y: tensor<LLx3xf64>, %ct: tensor<LLx3xf64>) -> tensor<LLx3xf64> {
                  %c = stablehlo.cosine %a : tensor<LLx3xf64>
                  %ca = stablehlo.multiply %c, %a : tensor<LLx3xf64>
                  %s = stablehlo.sine %a : tensor<LLx3xf64>
                  %d = stablehlo.add %ca, %s : tensor<LLx3xf64>
                  %g = stablehlo.multiply %d, %ct : tensor<LLx3xf64>
                  return %g : tensor<LLx3xf64>
                }""";
        Module vjp = ManualComputationGradTest.check(ManualComputationGradTest.fill(sharded, n), ManualComputationGradTest.fill(ManualComputationGradTest.PSUM_REFERENCE, n), n,
                List.of(uniform(f64(8, 3), new Random(95 + n), -2, 2)));
        assertThat(MlirPrinter.print(function(vjp, "vjp"), io.hlo4j.mlir.print.PrintOptions.DEFAULT)).contains("func.call @bwd");
        assertManualInlinedAgrees(vjp, n);
    }

    /** The declared backward is what runs, not the callee's derivative: @bwd returns 3 * ct, so the gradient is 3 * ct. */
    @ParameterizedTest(name = "branch {0}")
    @ValueSource(ints = {0, 1})
    void customVjpCallInsideACaseBranchUsesItsBackward(int index) {
        Module m = GradCheck.parse("""
                func.func @main(%i: tensor<i32>, %x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.case"(%i) ({
                    %a = func.call @fwd(%x) {hlo4j.custom_vjp = @bwd} : (tensor<3xf64>) -> tensor<3xf64>
                    stablehlo.return %a : tensor<3xf64>
                  }, {
                    %b = stablehlo.negate %x : tensor<3xf64>
                    stablehlo.return %b : tensor<3xf64>
                  }) : (tensor<i32>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }
                func.func private @fwd(%a: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.sine %a : tensor<3xf64>
                  return %0 : tensor<3xf64>
                }
                func.func private @bwd(%a: tensor<3xf64>, %y: tensor<3xf64>, %ct: tensor<3xf64>) -> tensor<3xf64> {
                  %k = stablehlo.constant dense<3.0> : tensor<3xf64>
                  %0 = stablehlo.multiply %ct, %k : tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""");
        HostArray x = HostArray.fromDoubles(f64(3), new double[] {0.5, -1.0, 2.0}), ct = HostArray.fromDoubles(f64(3), new double[] {1.0, -2.0, 0.25});
        Module vm = GradCheck.vjpModule(m, "main", new int[] {1});
        for (Module run : List.of(vm, inlined(vm))) {
            List<HostArray> out = new Interpreter(run).runHost("vjp", List.of(i32(index), x, ct));
            double[] want = index == 0 ? new double[] {3.0, -6.0, 0.75} : new double[] {-1.0, 2.0, -0.25};
            assertThat(out.get(1).toDoubleArray()).containsExactly(want);
        }
    }

    @Test
    void aMissingCalleeIsRefusedByName() {
        Module m = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %c = stablehlo.constant dense<0> : tensor<i32>
                  %0 = "stablehlo.case"(%c) ({
                    %a = func.call @nowhere(%x) : (tensor<3xf64>) -> tensor<3xf64> loc("model.java":12:5)
                    stablehlo.return %a : tensor<3xf64>
                  }) : (tensor<i32>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(m, "main", new int[] {0}, "g"))
                .isInstanceOfSatisfying(Hlo4jException.class, e -> assertThat(e.format()).isEqualTo(
                        "model.java:12:5: cannot differentiate func.call @nowhere: the module has no function @nowhere")); // the location once
        assertThatThrownBy(() -> Calls.inlineAll(function(m, "main"), m.symbols()::lookup))
                .hasMessage("cannot inline func.call @nowhere: the module has no function @nowhere");
    }

    @Test
    void aMissingCustomBackwardIsRefusedByName() {
        Module m = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @fwd(%x) {hlo4j.custom_vjp = @gone} : (tensor<3xf64>) -> tensor<3xf64> loc("model.java":3:9)
                  return %0 : tensor<3xf64>
                }
                func.func private @fwd(%a: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.sine %a : tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(m, "main", new int[] {0}, "g")).isInstanceOf(Hlo4jException.class)
                .extracting(e -> ((Hlo4jException) e).format()) // the call's location once, before the message
                .isEqualTo("model.java:3:9: cannot differentiate func.call with custom VJP @gone: the module has no function @gone");
    }

    @Test
    void aCallWhoseTypesDifferFromTheCalleeIsRefused() {
        Module m = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @inner(%x, %x) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64> loc("model.java":4:1)
                  return %0 : tensor<3xf64>
                }
                """ + HELPERS);
        assertThatThrownBy(() -> Autodiff.vjp(m, "main", new int[] {0}, "g")).isInstanceOf(Hlo4jException.class)
                .extracting(e -> ((Hlo4jException) e).format())
                .isEqualTo("model.java:4:1: cannot differentiate func.call @inner: the call is [tensor<3xf64>, tensor<3xf64>] -> [tensor<3xf64>]"
                        + " but @inner is [tensor<3xf64>] -> [tensor<3xf64>]");
    }

    /** Recursion through a while body and a case branch (StableHLO functions cannot recurse): the chain is named. */
    @Test
    void recursiveCalleesAreRefusedWithTheChain() {
        Module self = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @f(%x) : (tensor<3xf64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }
                func.func private @f(%a: tensor<3xf64>) -> tensor<3xf64> {
                  %c = stablehlo.constant dense<1> : tensor<i32>
                  %0 = "stablehlo.case"(%c) ({
                    stablehlo.return %a : tensor<3xf64>
                  }, {
                    %r = func.call @f(%a) : (tensor<3xf64>) -> tensor<3xf64> loc("model.java":20:7)
                    stablehlo.return %r : tensor<3xf64>
                  }) : (tensor<i32>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(self, "main", new int[] {0}, "g")).isInstanceOf(Hlo4jException.class)
                .extracting(e -> ((Hlo4jException) e).format())
                .isEqualTo("model.java:20:7: cannot differentiate @main: recursive call chain @main -> @f -> @f (func.call @f in @f);"
                        + " StableHLO functions cannot recurse");
        Module mutual = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @a(%x) : (tensor<3xf64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }
                func.func private @a(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @b(%x) : (tensor<3xf64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }
                func.func private @b(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %c0 = stablehlo.constant dense<0> : tensor<i64>
                  %r:2 = stablehlo.while(%t = %c0, %h = %x) : tensor<i64>, tensor<3xf64>
                   cond {
                    %n = stablehlo.constant dense<2> : tensor<i64>
                    %lt = stablehlo.compare LT, %t, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                    stablehlo.return %lt : tensor<i1>
                  } do {
                    %hn = func.call @a(%h) : (tensor<3xf64>) -> tensor<3xf64> loc("model.java":31:9)
                    %one = stablehlo.constant dense<1> : tensor<i64>
                    %tn = stablehlo.add %t, %one : tensor<i64>
                    stablehlo.return %tn, %hn : tensor<i64>, tensor<3xf64>
                  }
                  return %r#1 : tensor<3xf64>
                }""");
        String chain = "recursive call chain @main -> @a -> @b -> @a (func.call @a in @b); StableHLO functions cannot recurse";
        assertThatThrownBy(() -> Autodiff.vjp(mutual, "main", new int[] {0}, "g"))
                .extracting(e -> ((Hlo4jException) e).format()).isEqualTo("model.java:31:9: cannot differentiate @main: " + chain);
        assertThatThrownBy(() -> Calls.inlineAll(function(mutual, "main"), mutual.symbols()::lookup))
                .hasMessage("cannot inline @main: " + chain);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static Operation function(Module m, String name) {
        for (Operation f : m.functions()) if (((StringAttr) f.attr("sym_name")).value().equals(name)) return f;
        throw new AssertionError("no @" + name);
    }

    /** {@code m} with its function {@code @vjp} replaced by the call-free copy {@link Calls#inlineAll} makes. */
    private static Module inlined(Module m) {
        List<Operation> ops = new ArrayList<>();
        for (Operation op : m.operations()) {
            boolean isVjp = op.name().equals("func.func") && ((StringAttr) op.attr("sym_name")).value().equals("vjp");
            ops.add(isVjp ? Calls.inlineAll(op, m.symbols()::lookup) : Cloner.copy(op, new java.util.IdentityHashMap<>()).build());
        }
        Module out = Module.of(m.name(), m.attributes(), ops, m.op().location());
        ModuleVerifier.verify(out);
        assertThat(Calls.calls(function(out, "vjp"))).as("calls left after inlining").isEmpty();
        return out;
    }

    /** The VJP of {@code name}, run as differentiated and inlined, gives the same numbers. */
    private void assertInlinedAgrees(Module m, String name, List<HostArray> args) {
        List<Integer> wrt = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) if (args.get(i).elementType() instanceof io.hlo4j.mlir.types.FloatType) wrt.add(i);
        Module vm = GradCheck.vjpModule(m, name, wrt.stream().mapToInt(Integer::intValue).toArray());
        assertThat(Calls.calls(function(vm, "vjp"))).as("the VJP keeps its calls").isNotEmpty();
        List<HostArray> in = new ArrayList<>(args);
        for (Operation f : m.functions()) {
            if (!((StringAttr) f.attr("sym_name")).value().equals(name)) continue;
            for (var t : ((io.hlo4j.mlir.types.FunctionType) ((io.hlo4j.mlir.attr.TypeAttr) f.attr("function_type")).value()).results()) {
                in.add(uniform((TensorType) t, r, -1, 1));
            }
        }
        List<HostArray> a = new Interpreter(vm).runHost("vjp", in), b = new Interpreter(inlined(vm)).runHost("vjp", in);
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) assertThat(b.get(i).toDoubleArray()).as("result #%d", i).containsExactly(a.get(i).toDoubleArray());
    }

    /** The per-device VJP of a shard_map module, as differentiated and inlined, gives the same numbers on every device. */
    private void assertManualInlinedAgrees(Module vjp, int n) {
        HostArray x = uniform(f64(8, 3), r, -2, 2), ct = uniform(f64(8 / n, 3), r, -1, 1);
        List<io.hlo4j.runtime.interp.RtValue> in = io.hlo4j.runtime.interp.HostArrays.toValues(List.of(x, ct));
        List<List<io.hlo4j.runtime.interp.RtValue>> inputs = new ArrayList<>();
        for (int p = 0; p < n; p++) inputs.add(in);
        var a = new Interpreter(ManualLowering.lower(vjp)).runParallel("vjp", 1, n, inputs);
        var b = new Interpreter(ManualLowering.lower(inlined(vjp))).runParallel("vjp", 1, n, inputs);
        for (int p = 0; p < n; p++) {
            List<HostArray> ha = io.hlo4j.runtime.interp.HostArrays.toHost(a.get(p)), hb = io.hlo4j.runtime.interp.HostArrays.toHost(b.get(p));
            for (int i = 0; i < ha.size(); i++) assertThat(hb.get(i).toDoubleArray()).as("device %d result #%d", p, i).containsExactly(ha.get(i).toDoubleArray());
        }
    }
}
