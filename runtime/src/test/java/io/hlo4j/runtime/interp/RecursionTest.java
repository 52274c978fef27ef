package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Found by the structure fuzz (compiler/.../fuzz/StructureFuzzTest, its "recursion" mutants, e.g. docs/examples/dot.mlir with
 * {@code func.call @main} at the top of @main): the module verifies (StableHLO's verifier does not look for cycles), the
 * CLI's {@code run} refuses it, but {@link Interpreter#call} itself followed the calls until a StackOverflowError. The
 * interpreter now refuses a recursive chain by name, at the call that closes it, before the function runs.
 */
class RecursionTest {
    private static void refused(String text, String says) {
        Module m = MlirParser.parseModule(text, "rec.mlir");
        Interpreter interp = new Interpreter(m);
        List<RtValue> args = m.entryFunction().region(0).entry().arguments().isEmpty() ? List.of()
                : List.of(HostArrays.toTensor(HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), new double[] {1, 2})));
        assertThatThrownBy(() -> interp.call(m.entryFunction(), args, Process.single()))
                .isInstanceOfSatisfying(InterpreterException.class, e -> {
                    assertThat(e.format()).isEqualTo(says);
                    assertThat(e.getCause()).isNull();
                });
    }

    @Test void aFunctionCallingItselfIsRefusedAtTheCall() {
        refused("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %rec = func.call @main(%a) : (tensor<2xf32>) -> (tensor<2xf32>)
                  func.return %rec : tensor<2xf32>
                }
                """, "rec.mlir:2:3: func.call: recursive call chain @main -> @main (func.call @main in @main); StableHLO functions cannot recurse");
    }

    @Test void aMutualRecursionInsideAWhileBodyIsRefusedWithItsChain() {
        refused("""
                func.func @main() -> tensor<2xf32> {
                  %0 = func.call @f() : () -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @f() -> tensor<2xf32> {
                  %c = stablehlo.constant dense<1.0> : tensor<2xf32>
                  %i = stablehlo.constant dense<0> : tensor<i32>
                  %r:2 = stablehlo.while(%x = %c, %n = %i) : tensor<2xf32>, tensor<i32>
                   cond {
                    %z = stablehlo.constant dense<1> : tensor<i32>
                    %p = stablehlo.compare LT, %n, %z : (tensor<i32>, tensor<i32>) -> tensor<i1>
                    stablehlo.return %p : tensor<i1>
                  } do {
                    %y = func.call @g(%x) : (tensor<2xf32>) -> tensor<2xf32>
                    stablehlo.return %y, %n : tensor<2xf32>, tensor<i32>
                  }
                  return %r#0 : tensor<2xf32>
                }
                func.func private @g(%x: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @f() : () -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """, "rec.mlir:20:3: func.call: recursive call chain @main -> @f -> @g -> @f (func.call @f in @g); StableHLO functions cannot recurse");
    }

    @Test void aCompositeWhoseDecompositionCallsItselfIsRefused() {
        refused("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.composite "my.op" %a {decomposition = @dec} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @dec(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.composite "my.op" %a {decomposition = @dec} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """, "rec.mlir:6:3: stablehlo.composite: recursive call chain @main -> @dec -> @dec (stablehlo.composite @dec in @dec); StableHLO functions cannot recurse");
    }

    /** Found by the structure fuzz (a mutant of interpret/infeed.mlir): the chain runs through run_parallel's infeed function. */
    @Test void aCycleThroughRunParallelsInfeedIsRefused() {
        refused("""
                module {
                  func.func @infeed(%t: !stablehlo.token) -> (tensor<2xi64>, !stablehlo.token) {
                    %r:2 = "stablehlo.infeed"(%t) : (!stablehlo.token) -> (tensor<2xi64>, !stablehlo.token)
                    func.return %r#0, %r#1 : tensor<2xi64>, !stablehlo.token
                  }
                  func.func @queue() -> tensor<2xi64> {
                    func.call @main() : () -> ()
                    %q = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
                    func.return %q : tensor<2xi64>
                  }
                  func.func @main() {
                    %t = stablehlo.after_all : !stablehlo.token
                    %r:2 = "interpreter.run_parallel"(%t) {infeed = [@queue], programs = [[@infeed]]} : (!stablehlo.token) -> (tensor<2xi64>, !stablehlo.token)
                    func.return
                  }
                }
                """, "rec.mlir:7:5: func.call: recursive call chain @main -> @queue -> @main (func.call @main in @queue); StableHLO functions cannot recurse");
    }

    /**
     * Not a cycle for a run: the call carries a custom VJP (as the DSL's {@code Checkpointing.customVjp} traces it under
     * grad) whose backward function calls @main again, to recompute the forward pass. Only the autodiff ever calls
     * @bwd (as a plain callee of the program it makes); running @main runs @fwd alone, x * x = [1, 4]. The interpreter
     * took @bwd for a call and refused "recursive call chain @main -> @bwd -> @main".
     */
    @Test void aCustomVjpsBackwardFunctionIsNoCallOfTheRun() {
        Module m = MlirParser.parseModule("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @custom_vjp_fwd_0(%a) {hlo4j.custom_vjp = @custom_vjp_bwd_1} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @custom_vjp_fwd_0(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.multiply %a, %a : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @custom_vjp_bwd_1(%a: tensor<2xf32>, %y: tensor<2xf32>, %ct: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @main(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  %1 = stablehlo.multiply %0, %ct : tensor<2xf32>
                  return %1 : tensor<2xf32>
                }
                """, "vjp.mlir");
        List<RtValue> out = new Interpreter(m).call(m.entryFunction(),
                List.of(HostArrays.toTensor(HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), new double[] {1, 2}))), Process.single());
        assertThat(HostArrays.toHost(out).get(0).toDoubleArray()).containsExactly(1, 4);
    }

    /** Not a cycle: @main calls @g twice, directly and through @h; 2 * (x + x) + (x + x) = 6x. */
    @Test void aFunctionReachedTwiceWithoutACycleRuns() {
        Module m = MlirParser.parseModule("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @g(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  %1 = func.call @h(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  %2 = stablehlo.add %0, %1 : tensor<2xf32>
                  return %2 : tensor<2xf32>
                }
                func.func private @h(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @g(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  %1 = stablehlo.add %0, %0 : tensor<2xf32>
                  return %1 : tensor<2xf32>
                }
                func.func private @g(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %a, %a : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """, "diamond.mlir");
        Interpreter interp = new Interpreter(m);
        for (int run = 0; run < 2; run++) { // the second run finds every function already checked
            List<RtValue> out = interp.call(m.entryFunction(),
                    List.of(HostArrays.toTensor(HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), new double[] {1, 2.5}))), Process.single());
            assertThat(HostArrays.toHost((Tensor) out.get(0)).toDoubleArray()).containsExactly(6, 15);
        }
    }

    /** A symbol in an attribute is no call: @main and @g name @main in a discardable attribute, and nothing recurses; 2x. */
    @Test void aFunctionNamedInAnAttributeIsNotCalled() {
        Module m = MlirParser.parseModule("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @g(%a) {my.note = @main} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @g(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %a, %a {my.note = @main} : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """, "note.mlir");
        List<RtValue> out = new Interpreter(m).call(m.entryFunction(),
                List.of(HostArrays.toTensor(HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), new double[] {1, 2.5}))), Process.single());
        assertThat(HostArrays.toHost((Tensor) out.get(0)).toDoubleArray()).containsExactly(2, 5);
    }
}
