package io.hlo4j.mlir.jaxinterop;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The layouts JAX writes on its custom calls are {@code index}-typed ({@code dense<[0, 1]> : tensor<2xindex>}), as
 * StableHLO's layout attribute requires. This is the form of JAX's CPU LU (jax.lax.linalg.lu: {@code lapack_sgetrf_ffi},
 * in JAX's export back-compat data), written small: it must parse, verify and print back as written.
 */
class JaxCustomCallLayoutsTest {
    static final String LU = """
            module @jit_lu attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main() -> (tensor<3x3xf32> {jax.result_info = "[0]"}, tensor<3xi32> {jax.result_info = "[1]"}, tensor<i32> {jax.result_info = "[2]"}) {
                %0 = stablehlo.iota dim = 0 : tensor<9xf32>
                %1 = stablehlo.reshape %0 : (tensor<9xf32>) -> tensor<3x3xf32>
                %2:3 = stablehlo.custom_call @lapack_sgetrf_ffi(%1) {mhlo.backend_config = {}, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>, dense<> : tensor<0xindex>]} : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xi32>, tensor<i32>)
                return %2#0, %2#1, %2#2 : tensor<3x3xf32>, tensor<3xi32>, tensor<i32>
              }
            }
            """;

    static Module parse(String text) { return MlirParser.parseModule(text, "lu.mlir"); }

    @Test
    void jaxLuCallParsesVerifiesAndPrintsBackAsWritten() {
        Module m = parse(LU);
        ModuleVerifier.verify(m);
        assertThat(MlirPrinter.print(m)).isEqualTo(LU); // tensor<2xindex> stays index, dense<> stays empty
    }

    /** JAX's own text carries locations and its aliases (#loc = ...): the same call reads with them. */
    @Test
    void jaxLuCallWithLocationsVerifies() {
        String located = "#loc = loc(unknown)\n#loc2 = loc(\"lu.py\":11:0)\n"
                + LU.replace("-> (tensor<3x3xf32>, tensor<3xi32>, tensor<i32>)\n",
                        "-> (tensor<3x3xf32>, tensor<3xi32>, tensor<i32>) loc(#loc6)\n")
                + "#loc6 = loc(\"jit(<lambda>)/jit(main)/lu\"(#loc2))\n";
        Module m = parse(located);
        ModuleVerifier.verify(m);
        assertThat(MlirPrinter.print(m)).isEqualTo(LU);
    }

    /** index layouts are checked as integer ones were: one permutation of [0, rank) per value. */
    @Test
    void indexLayoutsAreChecked() {
        ModuleVerifier.verify(parse(LU.replace("operand_layouts = [dense<[0, 1]>", "operand_layouts = [dense<[1, 0]>")));
        assertThatThrownBy(() -> ModuleVerifier.verify(parse(LU.replace("operand_layouts = [dense<[0, 1]>", "operand_layouts = [dense<[0, 0]>"))))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("incorrect layout dense<0> : tensor<2xindex> for type tensor<3x3xf32>, layout must be a permutation of [0, 2)");
        assertThatThrownBy(() -> ModuleVerifier.verify(parse(LU.replace("dense<0> : tensor<1xindex>", "dense<[0, 1]> : tensor<2xindex>"))))
                .isInstanceOf(VerificationException.class).hasMessageContaining("for type tensor<3xi32>, layout must be a permutation of [0, 1)");
        assertThatThrownBy(() -> ModuleVerifier.verify(parse(LU.replace(", dense<> : tensor<0xindex>]}", "]}"))))
                .isInstanceOf(VerificationException.class).hasMessageContaining("Number of results must match the number of result layouts, 3 != 2");
        assertThatThrownBy(() -> ModuleVerifier.verify(parse(LU.replace("dense<0> : tensor<1xindex>", "dense<0.0> : tensor<1xf32>"))))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("result layout #1 must be an index dense<...> attribute, but got dense<0.000000e+00> : tensor<1xf32>");
    }
}
