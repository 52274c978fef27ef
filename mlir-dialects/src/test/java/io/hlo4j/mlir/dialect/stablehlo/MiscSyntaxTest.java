package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pretty forms that the conformance files do not exercise, each written as upstream's ODS assembly format
 * prints it (StablehloOps.td): parsing and printing must give the text back, and the generic print must parse
 * to the same operation.
 */
class MiscSyntaxTest {

    private static String func(String args, String results, String body) {
        return "func.func @main(" + args + ") -> " + results + " {\n" + body + "\n}";
    }

    private static String roundTrip(String text) {
        return MlirPrinter.print(MlirParser.parseModule(text, "snippet.mlir"));
    }

    private static void printsAsWritten(String text) {
        assertThat(RegionSyntaxTest.squash(roundTrip(text))).contains(RegionSyntaxTest.squash(text));
    }

    /** The pretty and generic spellings parse to the same op (names, operands' types, attributes, results). */
    private static void genericAgrees(String text, String opName) {
        Module pretty = MlirParser.parseModule(text, "pretty.mlir");
        Module generic = MlirParser.parseModule(MlirPrinter.print(pretty, PrintOptions.GENERIC), "generic.mlir");
        Operation a = find(pretty, opName);
        Operation b = find(generic, opName);
        assertThat(b.properties()).isEqualTo(a.properties());
        assertThat(b.attributes()).isEqualTo(a.attributes());
        assertThat(b.operandTypes()).isEqualTo(a.operandTypes());
        assertThat(b.resultTypes()).isEqualTo(a.resultTypes());
        assertThat(b.regions().size()).isEqualTo(a.regions().size());
    }

    private static Operation find(Module m, String name) {
        List<Operation> found = new ArrayList<>();
        Walker.walk(m.op(), o -> { if (o.name().equals(name)) found.add(o); });
        assertThat(found).as(name).isNotEmpty();
        return found.get(0);
    }

    @Test
    void rngForms() {
        String rng = func("%arg0: tensor<f32>, %arg1: tensor<f32>, %arg2: tensor<2xi64>", "tensor<3x3xf32>",
                "%0 = stablehlo.rng %arg0, %arg1, %arg2, distribution = NORMAL : (tensor<f32>, tensor<f32>, tensor<2xi64>) -> tensor<3x3xf32>\n"
                        + "return %0 : tensor<3x3xf32>");
        printsAsWritten(rng);
        genericAgrees(rng, "stablehlo.rng");
        String bits = func("%arg0: tensor<2xui64>", "tensor<2x2xui64>",
                "%output_state, %output = stablehlo.rng_bit_generator %arg0, algorithm = THREE_FRY : (tensor<2xui64>) -> (tensor<2xui64>, tensor<2x2xui64>)\n"
                        + "return %output : tensor<2x2xui64>");
        assertThat(RegionSyntaxTest.squash(roundTrip(bits)))
                .contains("= stablehlo.rng_bit_generator %arg0, algorithm = THREE_FRY : (tensor<2xui64>) -> (tensor<2xui64>, tensor<2x2xui64>)");
        genericAgrees(bits, "stablehlo.rng_bit_generator");
    }

    @Test
    void tokenAndBarrierForms() {
        String tokens = func("%arg0: !stablehlo.token", "!stablehlo.token",
                "%0 = stablehlo.create_token : !stablehlo.token\n"
                        + "%1 = stablehlo.after_all %arg0, %0 : !stablehlo.token\n"
                        + "return %1 : !stablehlo.token");
        printsAsWritten(tokens);
        String barrier = func("%arg0: tensor<f32>, %arg1: !stablehlo.token", "tensor<f32>",
                "%0:2 = stablehlo.optimization_barrier %arg0, %arg1 : tensor<f32>, !stablehlo.token\n"
                        + "return %0#0 : tensor<f32>");
        printsAsWritten(barrier);
        genericAgrees(barrier, "stablehlo.optimization_barrier");
    }

    /** ODS leaves out attributes equal to their defaults: has_side_effect = false, api_version = 1. */
    @Test
    void customCallElidesDefaults() {
        String written = func("%arg0: tensor<4xf32>", "tensor<4xf32>",
                "%0 = stablehlo.custom_call @foo(%arg0) {api_version = 1 : i32, backend_config = \"cfg\", has_side_effect = false}"
                        + " : (tensor<4xf32>) -> tensor<4xf32>\nreturn %0 : tensor<4xf32>");
        assertThat(RegionSyntaxTest.squash(roundTrip(written)))
                .contains("%0 = stablehlo.custom_call @foo(%arg0) {backend_config = \"cfg\"} : (tensor<4xf32>) -> tensor<4xf32>");
        String typed = func("%arg0: tensor<4xf32>", "tensor<4xf32>",
                "%0 = stablehlo.custom_call @ffi(%arg0) {api_version = 4 : i32, backend_config = {k = 1 : i64}, has_side_effect = true,"
                        + " mhlo.sharding = \"{replicated}\"} : (tensor<4xf32>) -> tensor<4xf32>\nreturn %0 : tensor<4xf32>");
        printsAsWritten(typed);
        genericAgrees(typed, "stablehlo.custom_call");
        Operation cc = find(MlirParser.parseModule(typed, "t.mlir"), "stablehlo.custom_call");
        assertThat(cc.properties().contains("api_version")).isTrue();
        assertThat(cc.attributes().contains("mhlo.sharding")).as("discardable attribute stays discardable").isTrue();
    }

    @Test
    void whileAndReduceWithAttributes() {
        String loop = func("%arg0: tensor<i64>", "tensor<i64>",
                "%0 = stablehlo.while(%iterArg = %arg0) : tensor<i64> attributes {foo = 1 : i32}\n"
                        + " cond {\n%1 = stablehlo.compare  LT, %iterArg, %iterArg,  SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>\n"
                        + "stablehlo.return %1 : tensor<i1>\n} do {\nstablehlo.return %iterArg : tensor<i64>\n}\n"
                        + "return %0 : tensor<i64>");
        printsAsWritten(loop);
        genericAgrees(loop, "stablehlo.while");
        String sum = func("%arg0: tensor<4x8xf32>, %arg1: tensor<f32>", "tensor<4xf32>",
                "%0 = stablehlo.reduce(%arg0 init: %arg1) applies stablehlo.add across dimensions = [1] {foo} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4xf32>\n"
                        + "return %0 : tensor<4xf32>");
        printsAsWritten(sum);
        genericAgrees(sum, "stablehlo.reduce");
    }

    /** Malformed pretty forms are refused with a parse error naming what was wrong. */
    @Test
    void malformedPrettyFormsAreRefused() {
        String sub = func("%arg0: tensor<4xf32>, %arg1: tensor<f32>", "tensor<f32>",
                "%0 = stablehlo.reduce(%arg0 init: %arg1) applies stablehlo.subtract across dimensions = [0] : (tensor<4xf32>, tensor<f32>) -> tensor<f32>\n"
                        + "return %0 : tensor<f32>");
        assertThatThrownBy(() -> MlirParser.parseModule(sub, "bad.mlir")).isInstanceOf(ParseException.class)
                .hasMessageContaining("commutative binary-op").hasMessageContaining("stablehlo.subtract");
        String dist = func("%arg0: tensor<f32>, %arg1: tensor<f32>, %arg2: tensor<2xi64>", "tensor<3x3xf32>",
                "%0 = stablehlo.rng %arg0, %arg1, %arg2, distribution = GAUSS : (tensor<f32>, tensor<f32>, tensor<2xi64>) -> tensor<3x3xf32>\n"
                        + "return %0 : tensor<3x3xf32>");
        assertThatThrownBy(() -> MlirParser.parseModule(dist, "bad.mlir")).isInstanceOf(ParseException.class)
                .hasMessageContaining("rng_distribution").hasMessageContaining("GAUSS");
    }

    @Test
    void compositeWithVersion() {
        String text = "func.func @main(%arg0: tensor<i64>) -> tensor<i64> {\n"
                + "%0 = stablehlo.composite \"my.op\" %arg0 {composite_attributes = {n = 2 : i64}, decomposition = @impl, version = 3 : i32}"
                + " : (tensor<i64>) -> tensor<i64>\nreturn %0 : tensor<i64>\n}\n"
                + "func.func @impl(%arg0: tensor<i64>) -> tensor<i64> {\nreturn %arg0 : tensor<i64>\n}";
        printsAsWritten(text);
        genericAgrees(text, "stablehlo.composite");
        Operation c = find(MlirParser.parseModule(text, "c.mlir"), "stablehlo.composite");
        c.def().verifier().verify(c);
    }
}
