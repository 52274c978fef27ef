package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.testing.ReferenceShardMap;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Whole Shardy modules through the project's parser, verifier and printer. */
class SdyModuleTest {
    /** The Shardy form of the 2-device all_to_all in the reference notes (section 4f). */
    static final String A2A = ReferenceShardMap.ALL_TO_ALL;

    private static String squash(String s) { return s.replaceAll("\\s+", " ").trim(); }

    @Test
    void referenceShardMapModuleParsesVerifiesAndPrintsBack() {
        Module m = MlirParser.parseModule(A2A, "a2a.mlir");
        ModuleVerifier.verify(m);
        SdyVerifier.verifyShardingAnnotations(m.op());
        assertThat(squash(MlirPrinter.print(m))).isEqualTo(squash(A2A));
        Operation mc = m.entryFunction().region(0).entry().operations().get(0);
        assertThat(mc.name()).isEqualTo("sdy.manual_computation");
        MeshAttr mesh = SdyVerifier.meshesOf(m.op()).get("mesh");
        assertThat(mesh.axisSize("x")).isEqualTo(2);
        TensorSharding out = SdyManualComputation.outShardings(mc).get(0);
        assertThat(SdyManualComputation.localType(mc, mc.result(0).type(), out, SdyManualComputation.manualAxes(mc), mesh, "result"))
                .hasToString("tensor<4x1xf32>");
    }

    @Test
    void wrongLocalShapeIsRejectedByTheModuleVerifier() {
        String bad = A2A.replace("(%arg1: tensor<2x2xf32>)", "(%arg1: tensor<4x2xf32>)");
        // Keep the body consistent with the new argument type so only the manual_computation rule fails.
        bad = bad.replace(": (tensor<2x2xf32>) -> tensor<4x1xf32>", ": (tensor<4x2xf32>) -> tensor<4x1xf32>");
        Module m = MlirParser.parseModule(bad, "bad.mlir");
        assertThatThrownBy(() -> ModuleVerifier.verify(m)).isInstanceOf(VerificationException.class)
                .hasMessageContaining("'sdy.manual_computation' op operand #0: expected local type tensor<2x2xf32>");
    }

    @Test
    void annotationsOnFunctionsAndOpsAreChecked() {
        Module unknownAxis = MlirParser.parseModule(A2A.replace("#sdy.sharding<@mesh, [{\"x\"}, {}]>", "#sdy.sharding<@mesh, [{\"y\"}, {}]>"),
                "a.mlir");
        assertThatThrownBy(() -> SdyVerifier.verifyShardingAnnotations(unknownAxis.op())).isInstanceOf(VerificationException.class)
                .hasMessageContaining("argument #0 sdy.sharding refers to unknown axis \"y\"");
        String opAnnotated = """
                module {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @f(%arg0: tensor<8xf32>) -> tensor<8xf32> {
                    %0 = stablehlo.add %arg0, %arg0 {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{"x"}, {}]>]>} : tensor<8xf32>
                    return %0 : tensor<8xf32>
                  }
                }
                """;
        Module m = MlirParser.parseModule(opAnnotated, "b.mlir");
        assertThatThrownBy(() -> SdyVerifier.verifyShardingAnnotations(m.op())).isInstanceOf(VerificationException.class)
                .hasMessageContaining("'stablehlo.add' op sdy.sharding #0 has 2 dimension shardings but the tensor tensor<8xf32> has rank 1");
        Module ok = MlirParser.parseModule(opAnnotated.replace("[{\"x\"}, {}]", "[{\"x\"}]"), "c.mlir");
        SdyVerifier.verifyShardingAnnotations(ok.op());
        assertThat(squash(MlirPrinter.print(ok))).contains("{sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{\"x\"}]>]>}");
    }

    @Test
    void shardingRuleOnACustomCallRoundTripsThroughTheRealParser() {
        String text = """
                module {
                  func.func @f(%arg0: tensor<16x32xf32>) -> tensor<16x32xf32> {
                    %0 = stablehlo.custom_call @foo(%arg0) {sdy.sharding_rule = #sdy.op_sharding_rule<([i, j])->([i, j]) {i=16, j=32}, custom>} : (tensor<16x32xf32>) -> tensor<16x32xf32>
                    return %0 : tensor<16x32xf32>
                  }
                }
                """;
        Module m = MlirParser.parseModule(text, "rule.mlir");
        Operation call = m.entryFunction().region(0).entry().operations().get(0);
        assertThat(call.attributes().get("sdy.sharding_rule")).isInstanceOf(OpShardingRule.class);
        assertThat(squash(MlirPrinter.print(m))).isEqualTo(squash(text));
    }

    @Test
    void genericFormRoundTripsToo() {
        Module m = MlirParser.parseModule(A2A, "a2a.mlir");
        String generic = MlirPrinter.print(m, io.hlo4j.mlir.print.PrintOptions.GENERIC);
        assertThat(generic).contains("\"sdy.manual_computation\"(%arg0) <{in_shardings = #sdy.sharding_per_value<[<@mesh, [{\"x\"}, {}]>]>, "
                + "manual_axes = #sdy<manual_axes{\"x\"}>, out_shardings = #sdy.sharding_per_value<[<@mesh, [{}, {\"x\"}]>]>}>");
        assertThat(generic).contains("\"sdy.mesh\"() <{mesh = #sdy.mesh<[\"x\"=2]>, sym_name = \"mesh\"}> : () -> ()");
        Module back = MlirParser.parseModule(generic, "generic.mlir");
        ModuleVerifier.verify(back);
        assertThat(squash(MlirPrinter.print(back))).isEqualTo(squash(A2A));
    }
}
