package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.checkModule;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Calls (kept as calls of batched copies of their callees) and composites (inlined), tokens, and the legacy rng,
 * against the function run per example and stacked (rng with a batched input is refused by name).
 */
class CallEffectBatchRulesTest {
    private final Random r = new Random(5);
    private static final int N = Batched.NONE;

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static final String CALLS = """
            module {
              func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>, %w: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
                %0 = func.call @g(%x, %y) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %1 = func.call @g(%w, %0) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %2 = func.call @g(%w, %w) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                %3 = stablehlo.composite "my.scaled" %1, %2 {composite_attributes = {k = 2 : i64}, decomposition = @scaled} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                return %3, %2 : tensor<3xf64>, tensor<3xf64>
              }
            """ + Callees.G_CALLS_H + """
              func.func private @scaled(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                %m = stablehlo.multiply %a, %b : tensor<3xf64>
                %t = stablehlo.add %m, %m : tensor<3xf64>
                return %t : tensor<3xf64>
              }
            }""";

    @Test
    void callsAndCompositesAreBatchedThroughTheirCalleesWhateverIsBatched() {
        // @g is called with (batched, batched), (unbatched, batched) and (unbatched, unbatched); @h from inside @g
        String text = checkModule(CALLS, "main", new int[]{0, 1, N}, new int[]{0, N}, 2, List.of(u(2, 3), u(3, 2), u(3)));
        // calls stay calls (of batched copies, or of @g itself for @g(w, w)); the composite is inlined: only @main keeps one
        assertThat(text).contains("call @g_vmap(", "call @h_vmap(", "call @g(");
        assertThat(count(text, "stablehlo.composite")).isEqualTo(1);
        checkModule(CALLS, "main", new int[]{N, N, 0}, new int[]{1, 0}, 3, List.of(u(3), u(3), u(3, 3)));
        checkModule(CALLS, "main", new int[]{N, 0, N}, new int[]{0, N}, 2, List.of(u(3), u(2, 3), u(3)));
    }

    @Test
    void aCallInsideALoopBodyIsBatchedForTheCarriesItGets() {
        String m = """
                module {
                  func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                    %i0 = stablehlo.constant dense<0> : tensor<i64>
                    %r:2 = stablehlo.while(%i = %i0, %c = %x) : tensor<i64>, tensor<3xf64>
                      cond {
                        %n = stablehlo.constant dense<3> : tensor<i64>
                        %p = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                        stablehlo.return %p : tensor<i1>
                      } do {
                        %c2 = func.call @h(%c, %y) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                        %one = stablehlo.constant dense<1> : tensor<i64>
                        %i2 = stablehlo.add %i, %one : tensor<i64>
                        stablehlo.return %i2, %c2 : tensor<i64>, tensor<3xf64>
                      }
                    return %r#1 : tensor<3xf64>
                  }
                  func.func private @h(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                    %m = stablehlo.multiply %a, %b : tensor<3xf64>
                    %c = stablehlo.cosine %m : tensor<3xf64>
                    return %c : tensor<3xf64>
                  }
                }""";
        // only y batched: the carry becomes batched in the body, so the call is batched for a batched carry
        String text = checkModule(m, "main", new int[]{N, 0}, new int[]{0}, 2, List.of(u(3), u(2, 3)));
        assertThat(text).contains("call @h_vmap");       // @h_vmap_1: the body is batched again once the carry is batched
        checkModule(m, "main", new int[]{1, N}, new int[]{1}, 2, List.of(u(3, 2), u(3)));
    }

    @Test
    void aCallInsideARegionCopiedWholeStaysACallOfTheOriginal() {
        // the while reads only unbatched values, so it is copied as it is, its body's call of @h included
        String loop = """
                module {
                  func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                    %i0 = stablehlo.constant dense<0> : tensor<i64>
                    %r:2 = stablehlo.while(%i = %i0, %c = %y) : tensor<i64>, tensor<3xf64>
                      cond {
                        %n = stablehlo.constant dense<3> : tensor<i64>
                        %p = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                        stablehlo.return %p : tensor<i1>
                      } do {
                        %c2 = func.call @h(%c, %c) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                        %one = stablehlo.constant dense<1> : tensor<i64>
                        %i2 = stablehlo.add %i, %one : tensor<i64>
                        stablehlo.return %i2, %c2 : tensor<i64>, tensor<3xf64>
                      }
                    %s = stablehlo.add %r#1, %x : tensor<3xf64>
                    return %s : tensor<3xf64>
                  }
                  func.func private @h(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                    %m = stablehlo.multiply %a, %b : tensor<3xf64>
                    %c = stablehlo.cosine %m : tensor<3xf64>
                    return %c : tensor<3xf64>
                  }
                }""";
        String text = checkModule(loop, "main", new int[]{0, N}, new int[]{0}, 2, List.of(u(2, 3), u(3)));
        assertThat(text).doesNotContain("@h_vmap");
        assertThat(count(text, "call @h(")).isEqualTo(2);         // @main's and @batched's
    }

    @Test
    void aCallInsideARegionCopiedPerElementStaysACallOfTheOriginal() {
        // a reduction's body is copied per element (the operand batched, the body not): its call of @plus with it
        String reduce = """
                module {
                  func.func @main(%x: tensor<4xf64>) -> tensor<f64> {
                    %z = stablehlo.constant dense<0.0> : tensor<f64>
                    %r = stablehlo.reduce(%x init: %z) across dimensions = [0] : (tensor<4xf64>, tensor<f64>) -> tensor<f64>
                      reducer(%a: tensor<f64>, %b: tensor<f64>) {
                        %s = func.call @plus(%a, %b) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                        stablehlo.return %s : tensor<f64>
                      }
                    return %r : tensor<f64>
                  }
                  func.func private @plus(%a: tensor<f64>, %b: tensor<f64>) -> tensor<f64> {
                    %s = stablehlo.add %a, %b : tensor<f64>
                    return %s : tensor<f64>
                  }
                }""";
        String text = checkModule(reduce, "main", new int[]{1}, new int[]{0}, 3, List.of(u(4, 3)));
        assertThat(text).doesNotContain("@plus_vmap");
        assertThat(count(text, "call @plus(")).isEqualTo(2);
    }

    @Test
    void aCallWithoutItsModuleAndARecursiveChainAreRefusedByName() {
        Module m = MlirParser.parseModule(CALLS, "calls.mlir");
        Operation main = m.symbols().lookup("main");
        assertThatThrownBy(() -> Batching.vmap(main, new int[]{0, N, N}, new int[]{0, 0}, 2, "b"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("func.call").hasMessageContaining("@g")
                .hasMessageContaining("Batching.vmap(module, name, ...)");
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

    @Test
    void tokensCarryNoBatchAndIoOfBatchedDataIsRefused() {
        String f = """
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %t = stablehlo.create_token : !stablehlo.token
                  %t2 = stablehlo.after_all %t, %t : !stablehlo.token
                  %b:2 = stablehlo.optimization_barrier %x, %t2 : tensor<3xf64>, !stablehlo.token
                  %t3 = stablehlo.after_all %b#1 : !stablehlo.token
                  %y = stablehlo.exponential %b#0 : tensor<3xf64>
                  return %y : tensor<3xf64>
                }""";
        check(f, new int[]{1}, new int[]{0}, 2, List.of(u(3, 2)));
        String out = """
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %t = stablehlo.create_token : !stablehlo.token
                  %t2 = "stablehlo.outfeed"(%x, %t) {outfeed_config = ""} : (tensor<3xf64>, !stablehlo.token) -> !stablehlo.token
                  return %x : tensor<3xf64>
                }""";
        assertThatThrownBy(() -> check(out, new int[]{0}, new int[]{0}, 2, List.of(u(2, 3))))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("stablehlo.outfeed").hasMessageContaining("I/O");
    }

    @Test
    void opsThatNeverMeetABatchedInputNeedNoRuleAndAreCopied() {
        // leaves with no operand and token-only ops have no batching rule: the batcher copies them beside a batched x
        String f = """
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %c = stablehlo.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf64>
                  %i = stablehlo.iota dim = 0 : tensor<3xf64>
                  %k = chlo.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf64>
                  %s = sdy.constant dense<[4.0, 5.0, 6.0]> : tensor<3xf64>
                  %r = stablehlo.replica_id : tensor<ui32>
                  %p = stablehlo.partition_id : tensor<ui32>
                  %t = stablehlo.create_token : !stablehlo.token
                  %t2 = stablehlo.after_all %t : !stablehlo.token
                  %rp = stablehlo.add %r, %p : tensor<ui32>
                  %rf = stablehlo.convert %rp : (tensor<ui32>) -> tensor<f64>
                  %rb = stablehlo.broadcast_in_dim %rf, dims = [] : (tensor<f64>) -> tensor<3xf64>
                  %a = stablehlo.add %c, %i : tensor<3xf64>
                  %b = stablehlo.multiply %k, %s : tensor<3xf64>
                  %ab = stablehlo.add %a, %b : tensor<3xf64>
                  %y = stablehlo.multiply %ab, %x : tensor<3xf64>
                  %z = stablehlo.add %y, %rb : tensor<3xf64>
                  return %z : tensor<3xf64>
                }""";
        for (String op : List.of("stablehlo.constant", "stablehlo.iota", "chlo.constant", "sdy.constant", "stablehlo.replica_id",
                "stablehlo.partition_id", "stablehlo.create_token", "stablehlo.after_all")) {
            BatchRules.install();
            assertThat(io.hlo4j.mlir.registry.OpRegistry.global().lookup(op).extension(BatchRule.class)).as(op).isNull();
        }
        String text = check(f, new int[]{0}, new int[]{1}, 4, List.of(u(4, 3)));
        assertThat(text).contains("chlo.constant", "sdy.constant", "stablehlo.replica_id", "stablehlo.after_all");
    }

    private static String rng(String dist, String et) {
        return """
                func.func @f(%a: tensor<ET>, %b: tensor<ET>) -> tensor<50x40xET> {
                  %n = stablehlo.constant dense<[50, 40]> : tensor<2xi64>
                  %0 = stablehlo.rng %a, %b, %n, distribution = DIST : (tensor<ET>, tensor<ET>, tensor<2xi64>) -> tensor<50x40xET>
                  return %0 : tensor<50x40xET>
                }""".replace("DIST", dist).replace("ET", et);
    }

    @Test
    void rngWithUnbatchedBoundsIsCopiedAndEveryExampleGetsItsOwnRunsNumbers() {
        // beside a batched value the op is copied: each per-example run of the interpreter draws the same numbers
        String add = """
                func.func @f(%x: tensor<4xf64>, %a: tensor<f64>, %b: tensor<f64>) -> tensor<4xf64> {
                  %n = stablehlo.constant dense<[4]> : tensor<1xi64>
                  %0 = stablehlo.rng %a, %b, %n, distribution = UNIFORM : (tensor<f64>, tensor<f64>, tensor<1xi64>) -> tensor<4xf64>
                  %1 = stablehlo.add %0, %x : tensor<4xf64>
                  return %1 : tensor<4xf64>
                }""";
        check(add, new int[]{0, N, N}, new int[]{0}, 3, List.of(u(3, 4), u(), HostArray.fromDoubles(TensorType.scalar(FloatType.F64), 5)));
    }

    @Test
    void rngWithABatchedInputIsRefusedByNameAsJaxRefusesIt() {
        // no batched draw can equal the per-example runs of an implementation-defined generator: refused, whatever is batched
        for (String dist : List.of("UNIFORM", "NORMAL")) {
            Module m = MlirParser.parseModule("module {\n" + rng(dist, "f64") + "\n}\n", "rng.mlir");
            assertThatThrownBy(() -> Batching.vmap(m.functions().get(0), new int[]{0, N}, new int[]{0}, 3, "b"))
                    .isInstanceOf(Hlo4jException.class)
                    .hasMessageContaining("cannot batch 'stablehlo.rng' with operands [tensor<3xf64> batched at dim 0, tensor<f64> unbatched")
                    .hasMessageContaining("implementation-defined").hasMessageContaining("per-example keys");
        }
        Module dyn = MlirParser.parseModule("""
                module {
                  func.func @f(%a: tensor<f64>, %b: tensor<f64>, %n: tensor<2xi64>) -> tensor<?x4xf64> {
                    %0 = stablehlo.rng %a, %b, %n, distribution = UNIFORM : (tensor<f64>, tensor<f64>, tensor<2xi64>) -> tensor<?x4xf64>
                    return %0 : tensor<?x4xf64>
                  }
                }""", "rng.mlir");
        assertThatThrownBy(() -> Batching.vmap(dyn.functions().get(0), new int[]{N, N, 0}, new int[]{0}, 3, "b"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("stablehlo.rng").hasMessageContaining("tensor<3x2xi64> batched at dim 0");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }
}
