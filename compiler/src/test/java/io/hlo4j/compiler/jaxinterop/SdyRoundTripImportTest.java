package io.hlo4j.compiler.jaxinterop;

import io.hlo4j.compiler.gspmd.SdyRoundTripImport;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** jax.export's Shardy round-trip form (xla.sdy.* strings in frontend attributes) read back into the sdy dialect. */
class SdyRoundTripImportTest {
    static final String EXPORTED = """
            module @jit_g attributes {jax.uses_shape_polymorphism = false, mhlo.frontend_attributes = {xla.sdy.meshes = "{mesh = #sdy.mesh<[\\22i\\22=2, \\22j\\22=2]>}"}, mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4x6xf32> {mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding<@mesh, [{\\22i\\22}, {}]>"}, mhlo.sharding = "{devices=[2,1,2]<=[4] last_tile_dim_replicate}"}, %arg1: tensor<6xf32>) -> (tensor<4x6xf32> {jax.result_info = "result", mhlo.sharding = "{devices=[2,2]<=[4]}"}) {
                %0 = stablehlo.custom_call @Sharding(%arg0) {mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>]>"}, mhlo.sharding = "{devices=[2,2]<=[4]}"} : (tensor<4x6xf32>) -> tensor<4x6xf32>
                %1:2 = stablehlo.custom_call @xla.sdy.GlobalToLocalShape(%0, %arg1) {mhlo.frontend_attributes = {xla.sdy.in_shardings = "#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>, <@mesh, [{\\22j\\22}]>]>", xla.sdy.manual_axes = "#sdy<manual_axes{\\22i\\22, \\22j\\22}>"}} : (tensor<4x6xf32>, tensor<6xf32>) -> (tensor<2x3xf32>, tensor<3xf32>)
                %2 = call @xla.sdy.manual_computation_body(%1#0, %1#1) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
                %3 = stablehlo.custom_call @xla.sdy.LocalToGlobalShape(%2) {mhlo.frontend_attributes = {xla.sdy.manual_axes = "#sdy<manual_axes{\\22i\\22, \\22j\\22}>", xla.sdy.out_shardings = "#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>]>"}} : (tensor<2x3xf32>) -> tensor<4x6xf32>
                %4 = stablehlo.negate %3 {mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding_per_value<[<@mesh, [{}, {\\22j\\22}]>]>"}} : tensor<4x6xf32>
                %5 = stablehlo.custom_call @xla.sdy.FuncResultSharding(%4) {has_side_effect = true, mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>]>"}} : (tensor<4x6xf32>) -> tensor<4x6xf32>
                return %5 : tensor<4x6xf32>
              }
              func.func @xla.sdy.manual_computation_body(%arg0: tensor<2x3xf32>, %arg1: tensor<3xf32>) -> tensor<2x3xf32> {
                %0 = stablehlo.broadcast_in_dim %arg1, dims = [1] : (tensor<3xf32>) -> tensor<2x3xf32>
                %1 = stablehlo.add %arg0, %0 : tensor<2x3xf32>
                return %1 : tensor<2x3xf32>
              }
            }
            """;

    @Test
    void meshesShardingsShardMapAndResultShardingAreSdyAgain() {
        Module m = MlirParser.parseModule(EXPORTED, "exported.mlir");
        assertThat(SdyRoundTripImport.applies(m)).isTrue();
        Module s = SdyRoundTripImport.toShardy(m);
        ModuleVerifier.verify(s);
        String text = MlirPrinter.print(s);
        assertThat(text).contains("sdy.mesh @mesh = <[\"i\"=2, \"j\"=2]>");
        assertThat(text).contains("%arg0: tensor<4x6xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"i\"}, {}]>}");
        assertThat(text).contains("-> (tensor<4x6xf32> {jax.result_info = \"result\", sdy.sharding = #sdy.sharding<@mesh, [{\"i\"}, {\"j\"}]>})");
        assertThat(text).contains("sdy.sharding_constraint %arg0 <@mesh, [{\"i\"}, {\"j\"}]> : tensor<4x6xf32>");
        assertThat(text).contains("sdy.manual_computation(%0, %arg1) in_shardings=[<@mesh, [{\"i\"}, {\"j\"}]>, <@mesh, [{\"j\"}]>]"
                + " out_shardings=[<@mesh, [{\"i\"}, {\"j\"}]>] manual_axes={\"i\", \"j\"} (%arg2: tensor<2x3xf32>, %arg3: tensor<3xf32>) {");
        assertThat(text).contains("stablehlo.add %arg2, %3 : tensor<2x3xf32>\n      sdy.return %4 : tensor<2x3xf32>");
        assertThat(text).contains("stablehlo.negate %1 {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {\"j\"}]>]>}");
        assertThat(text).doesNotContain("xla.sdy").doesNotContain("mhlo.sharding").doesNotContain("func.func @");
        assertThat(text).contains("jax.uses_shape_polymorphism = false").doesNotContain("mhlo.frontend_attributes");
    }

    @Test
    void otherRoundTripTargetsAreRefusedByName() {
        Module m = MlirParser.parseModule(EXPORTED.replace("@xla.sdy.FuncResultSharding", "@xla.sdy.PropagationBarrier"), "other.mlir");
        assertThatThrownBy(() -> SdyRoundTripImport.toShardy(m)).isInstanceOf(Hlo4jException.class)
                .hasMessageStartingWith("stablehlo.custom_call @xla.sdy.PropagationBarrier: ")
                .hasMessageContaining("round-trip targets [xla.sdy.GlobalToLocalShape, xla.sdy.LocalToGlobalShape, xla.sdy.FuncResultSharding] only")
                .extracting(e -> ((Hlo4jException) e).format()).asString().startsWith("other.mlir:8:"); // the location once, first
    }

    /** StructureFuzzTest's mutant: an operand of GlobalToLocalShape dropped (its type with it), so result 1 has no operand 1. */
    @Test
    void globalToLocalShapeWithFewerOperandsThanResultsIsRefusedByName() {
        Module m = MlirParser.parseModule(EXPORTED.replace("@xla.sdy.GlobalToLocalShape(%0, %arg1)", "@xla.sdy.GlobalToLocalShape(%0)")
                .replace(": (tensor<4x6xf32>, tensor<6xf32>) -> (tensor<2x3xf32>, tensor<3xf32>)", ": (tensor<4x6xf32>) -> (tensor<2x3xf32>, tensor<3xf32>)"),
                "short.mlir");
        assertThatThrownBy(() -> SdyRoundTripImport.toShardy(m)).isInstanceOf(Hlo4jException.class)
                .hasMessage("stablehlo.custom_call @xla.sdy.GlobalToLocalShape has 1 operands and 2 results; it reshapes each operand to one result")
                .extracting(e -> ((Hlo4jException) e).format()).asString().startsWith("short.mlir:4:5: ");
    }

    @Test
    void olderLayoutWithShardingsOnTheCallReadsAsTheCurrentOne() {
        // older exports put in_shardings, out_shardings and manual_axes on the call and nothing on the custom calls
        String g2l = "{mhlo.frontend_attributes = {xla.sdy.in_shardings = \"#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>, <@mesh, [{\\22j\\22}]>]>\", xla.sdy.manual_axes = \"#sdy<manual_axes{\\22i\\22, \\22j\\22}>\"}} ";
        String l2g = "{mhlo.frontend_attributes = {xla.sdy.manual_axes = \"#sdy<manual_axes{\\22i\\22, \\22j\\22}>\", xla.sdy.out_shardings = \"#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>]>\"}} ";
        assertThat(EXPORTED).contains(g2l).contains(l2g);
        String old = EXPORTED.replace(g2l, "").replace(l2g, "").replace("call @xla.sdy.manual_computation_body(%1#0, %1#1) ",
                "call @xla.sdy.manual_computation_body(%1#0, %1#1) {mhlo.frontend_attributes = {xla.sdy.in_shardings = \"#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>, <@mesh, [{\\22j\\22}]>]>\", xla.sdy.manual_axes = \"#sdy<manual_axes{\\22i\\22, \\22j\\22}>\", xla.sdy.out_shardings = \"#sdy.sharding_per_value<[<@mesh, [{\\22i\\22}, {\\22j\\22}]>]>\"}} ");
        assertThat(old).doesNotContain(g2l).contains("xla.sdy.out_shardings");
        String want = MlirPrinter.print(SdyRoundTripImport.toShardy(MlirParser.parseModule(EXPORTED, "exported.mlir")));
        Module got = SdyRoundTripImport.toShardy(MlirParser.parseModule(old, "exported.mlir"));
        ModuleVerifier.verify(got);
        assertThat(MlirPrinter.print(got)).isEqualTo(want);

        Module none = MlirParser.parseModule(EXPORTED.replace(l2g, ""), "none.mlir");
        assertThatThrownBy(() -> SdyRoundTripImport.toShardy(none)).isInstanceOf(Hlo4jException.class)
                .hasMessageStartingWith("call @xla.sdy.manual_computation_body: ")
                // the call's own location is the error's (printed first); the other op it looked at is named with its line
                .hasMessageContaining("no xla.sdy.out_shardings on call @xla.sdy.manual_computation_body, ")
                .hasMessageContaining("custom_call @xla.sdy.LocalToGlobalShape at none.mlir:6:")
                .hasMessageNotContaining("none.mlir:5:")
                .extracting(e -> ((Hlo4jException) e).format()).asString().startsWith("none.mlir:5:");
    }

    @Test
    void shardingRuleInFrontendAttributesBecomesSdyShardingRule() {
        Module m = MlirParser.parseModule(EXPORTED.replace("%4 = stablehlo.negate %3 {mhlo.frontend_attributes = {",
                "%4 = stablehlo.negate %3 {mhlo.frontend_attributes = {xla.sdy.sharding_rule = \"#sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=6}, custom>\", "),
                "rule.mlir");
        String text = MlirPrinter.print(SdyRoundTripImport.toShardy(m));
        assertThat(text).contains("sdy.sharding_rule = #sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=6}, custom>").doesNotContain("xla.sdy");
    }

    @Test
    void aShardMapWithoutInputsIsStillAShardMap() {
        Module m = MlirParser.parseModule(EXPORTED, "exported.mlir");
        assertThat(SdyRoundTripImport.holdsShardMap(m)).isTrue();
        Module plain = MlirParser.parseModule("""
                module @jit_f attributes {mhlo.frontend_attributes = {xla.sdy.meshes = "{mesh = #sdy.mesh<[\\22a\\22=2]>}"}, mhlo.num_partitions = 2 : i32} {
                  func.func public @main() -> tensor<4xf32> {
                    %1 = call @xla.sdy.manual_computation_body() : () -> tensor<2xf32>
                    %2 = stablehlo.custom_call @xla.sdy.LocalToGlobalShape(%1) {mhlo.frontend_attributes = {xla.sdy.manual_axes = "#sdy<manual_axes{\\22a\\22}>", xla.sdy.out_shardings = "#sdy.sharding_per_value<[<@mesh, [{\\22a\\22}]>]>"}} : (tensor<2xf32>) -> tensor<4xf32>
                    return %2 : tensor<4xf32>
                  }
                  func.func @xla.sdy.manual_computation_body() -> tensor<2xf32> {
                    %0 = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
                    return %0 : tensor<2xf32>
                  }
                }
                """, "noin.mlir");
        assertThat(SdyRoundTripImport.holdsShardMap(plain)).isTrue();
        assertThat(MlirPrinter.print(SdyRoundTripImport.toShardy(plain))).contains("sdy.manual_computation() in_shardings=[] out_shardings=[<@mesh, [{\"a\"}]>] manual_axes={\"a\"}");
        Module noShardMap = MlirParser.parseModule(EXPORTED.replace("@xla.sdy.GlobalToLocalShape", "@Other").replace("@xla.sdy.LocalToGlobalShape", "@Other")
                .replace("call @xla.sdy.manual_computation_body", "call @body").replace("func.func @xla.sdy.manual_computation_body", "func.func @body"), "n.mlir");
        assertThat(SdyRoundTripImport.holdsShardMap(noShardMap)).isFalse();
    }
}
