package io.hlo4j.mlir.transform;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.testing.DeadOpsInRegions;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which ops {@link DeadCode} removes and which it keeps, on hand-written modules; counts are by hand. */
class DeadCodeTest {
    static final String CHAIN = """
            func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
              %0 = stablehlo.add %a, %b : tensor<4xf32>
              %1 = stablehlo.multiply %0, %0 : tensor<4xf32>
              %2 = stablehlo.exponential %1 : tensor<4xf32>
              %3 = stablehlo.subtract %a, %b : tensor<4xf32>
              return %3 : tensor<4xf32>
            }
            """;

    private static Module parse(String text) {
        Module m = MlirParser.parseModule(text, "dce.mlir");
        ModuleVerifier.verify(m);
        return m;
    }

    private static List<String> opNames(Module m) {
        List<String> out = new ArrayList<>();
        Walker.walk(m.op(), op -> out.add(op.name()));
        return out;
    }

    private static int count(Module m, String name) {
        return (int) opNames(m).stream().filter(name::equals).count();
    }

    @Test
    void aDeadChainGoesAsAWhole() {
        Module m = parse(CHAIN);
        assertThat(DeadCode.countDead(m.op())).isEqualTo(3);
        Module out = DeadCode.eliminate(m);
        ModuleVerifier.verify(out);
        assertThat(opNames(out)).containsExactly("builtin.module", "func.func", "stablehlo.subtract", "func.return");
        assertThat(DeadCode.countDead(out.op())).isZero();
    }

    @Test
    void aModuleWithoutDeadOpsIsReturnedAsIs() {
        Module m = parse("""
                func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = stablehlo.negate %a : tensor<4xf32>
                  return %0 : tensor<4xf32>
                }
                """);
        assertThat(DeadCode.eliminate(m)).isSameAs(m);
    }

    @Test
    void argumentsAndSignatureStayWhenTheyAreUnused() {
        Module m = parse("""
                func.func @main(%a: tensor<4xf32>, %unused: tensor<2xi32>) -> (tensor<4xf32>, tensor<4xf32>) {
                  %0 = stablehlo.negate %a : tensor<4xf32>
                  %1 = stablehlo.abs %a : tensor<4xf32>
                  return %a, %a : tensor<4xf32>, tensor<4xf32>
                }
                """);
        Module out = DeadCode.eliminate(m);
        String text = MlirPrinter.print(out);
        assertThat(text).contains("%arg1: tensor<2xi32>").contains("-> (tensor<4xf32>, tensor<4xf32>)")
                .doesNotContain("negate").doesNotContain("abs");
    }

    @Test
    void deadOpsInsideReduceWhileAndCaseRegionsGo() {
        Module m = parse(DeadOpsInRegions.text(""));
        // reduce body: multiply; the whole dead reduce: 1 + maximum + return; while cond: constant 7; body: exp, log;
        // case branches: negate, abs
        assertThat(DeadCode.countDead(m.op())).isEqualTo(1 + 3 + 1 + 2 + 2);
        Module out = DeadCode.eliminate(m);
        ModuleVerifier.verify(out);
        assertThat(count(out, "stablehlo.reduce")).isEqualTo(1);
        assertThat(count(out, "stablehlo.maximum")).isZero();
        assertThat(count(out, "stablehlo.multiply")).isEqualTo(1);   // the loop's, not the reduce body's
        assertThat(count(out, "stablehlo.exponential") + count(out, "stablehlo.log")).isZero();
        assertThat(count(out, "stablehlo.negate") + count(out, "stablehlo.abs")).isZero();
        assertThat(count(out, "stablehlo.constant")).isEqualTo(4);   // init, c0, n, one
        assertThat(count(out, "stablehlo.return")).isEqualTo(5);
    }

    static final String EFFECTS = """
            func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
              %p = interpreter.probe %a, probe_id = "dead_probe" : tensor<4xf32>
              %c = stablehlo.custom_call @effectful(%a) {has_side_effect = true} : (tensor<4xf32>) -> tensor<4xf32>
              %q = stablehlo.custom_call @pure_target(%a) : (tensor<4xf32>) -> tensor<4xf32>
              %lo = stablehlo.constant dense<0.0> : tensor<f32>
              %hi = stablehlo.constant dense<1.0> : tensor<f32>
              %shape = stablehlo.constant dense<[4]> : tensor<1xi64>
              %u = stablehlo.rng %lo, %hi, %shape, distribution = UNIFORM : (tensor<f32>, tensor<f32>, tensor<1xi64>) -> tensor<4xf32>
              %t = stablehlo.create_token : !stablehlo.token
              %s = "stablehlo.all_reduce"(%b) ({
                ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                  %z = stablehlo.add %x, %y : tensor<f32>
                  stablehlo.return %z : tensor<f32>
              }) {replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>
              %c0 = stablehlo.constant dense<0> : tensor<i64>
              %w:2 = stablehlo.while(%i = %c0, %v = %a) : tensor<i64>, tensor<4xf32>
                cond {
                  %n = stablehlo.constant dense<2> : tensor<i64>
                  %cmp = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                  stablehlo.return %cmp : tensor<i1>
                } do {
                  %one = stablehlo.constant dense<1> : tensor<i64>
                  %i2 = stablehlo.add %i, %one : tensor<i64>
                  %pp = interpreter.probe %v, probe_id = "loop_probe" : tensor<4xf32>
                  stablehlo.return %i2, %v : tensor<i64>, tensor<4xf32>
                }
              %dead = stablehlo.negate %b : tensor<4xf32>
              return %b : tensor<4xf32>
            }
            """;

    @Test
    void effectsCollectivesRngTokensAndTheirOperandsStay() {
        Module m = parse(EFFECTS);
        Module out = DeadCode.eliminate(m);
        ModuleVerifier.verify(out);
        // gone: the pure custom_call and the negate; everything else is kept or feeds a kept op
        assertThat(count(out, "stablehlo.custom_call")).isEqualTo(1);
        assertThat(MlirPrinter.print(out)).contains("@effectful").doesNotContain("@pure_target");
        assertThat(count(out, "stablehlo.negate")).isZero();
        assertThat(count(out, "interpreter.probe")).isEqualTo(2);
        assertThat(count(out, "stablehlo.rng")).isEqualTo(1);
        assertThat(count(out, "stablehlo.constant")).isEqualTo(6);   // lo, hi, shape, c0, n, one
        assertThat(count(out, "stablehlo.create_token")).isEqualTo(1);
        assertThat(count(out, "stablehlo.all_reduce")).isEqualTo(1);
        assertThat(count(out, "stablehlo.while")).isEqualTo(1);   // its body holds a probe
        assertThat(DeadCode.countDead(m.op())).isEqualTo(2);
    }

    @Test
    void aCallIsKeptAndAPrivateCalleeIsNotRemoved() {
        Module m = parse("""
                func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = call @f(%a) : (tensor<4xf32>) -> tensor<4xf32>
                  return %a : tensor<4xf32>
                }
                func.func private @f(%x: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = stablehlo.negate %x : tensor<4xf32>
                  %1 = stablehlo.abs %x : tensor<4xf32>
                  return %0 : tensor<4xf32>
                }
                """);
        Module out = DeadCode.eliminate(m);
        ModuleVerifier.verify(out);
        assertThat(count(out, "func.call")).isEqualTo(1);
        assertThat(count(out, "func.func")).isEqualTo(2);
        assertThat(count(out, "stablehlo.negate")).isEqualTo(1);
        assertThat(count(out, "stablehlo.abs")).isZero();
    }

    @Test
    void aFunctionAloneCanBeCleanedAndPlacedInAModule() {
        Module m = parse(CHAIN);
        Operation f = m.entryFunction();
        Operation clean = DeadCode.eliminate(f);
        assertThat(clean).isNotSameAs(f);
        assertThat(clean.parent()).isNull();
        Module placed = Module.of("m", null, List.of(clean), clean.location());
        ModuleVerifier.verify(placed);
        assertThat(count(placed, "stablehlo.add")).isZero();
    }
}
