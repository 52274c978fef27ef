package io.hlo4j.compiler.jaxinterop;

import io.hlo4j.compiler.gspmd.GspmdImport;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A pre-Shardy JAX module rewritten into Shardy form: the mesh, the entry's shardings and the constraints. */
class GspmdImportTest {
    static final String GSPMD = """
            module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4x4xf32> {jax.arg_info = "x", mhlo.sharding = "{devices=[2,1,2]<=[4] last_tile_dim_replicate}"}) -> (tensor<4x4xf32> {jax.result_info = "", mhlo.sharding = "{devices=[2,2]<=[2,2]T(1,0)}"}) {
                %0 = stablehlo.custom_call @Sharding(%arg0) {backend_config = "", mhlo.sharding = "{devices=[1,4]<=[4]}"} : (tensor<4x4xf32>) -> tensor<4x4xf32>
                %1 = call @helper(%0) : (tensor<4x4xf32>) -> tensor<4x4xf32>
                return %1 : tensor<4x4xf32>
              }
              func.func private @helper(%arg0: tensor<4x4xf32>) -> tensor<4x4xf32> {
                %0 = stablehlo.custom_call @Sharding(%arg0) {mhlo.sharding = "{replicated}"} : (tensor<4x4xf32>) -> tensor<4x4xf32>
                %1 = stablehlo.negate %0 : tensor<4x4xf32>
                return %1 : tensor<4x4xf32>
              }
            }
            """;

    @Test
    void entryShardingsAndConstraintsAreWrittenOnOneMesh() {
        Module m = MlirParser.parseModule(GSPMD, "f.mlir");
        assertThat(GspmdImport.applies(m)).isTrue();
        Module s = GspmdImport.toShardy(m);
        ModuleVerifier.verify(s);
        String text = MlirPrinter.print(s);
        assertThat(text).contains("sdy.mesh @gspmd = <[\"g0\"=2, \"g1\"=2]>");
        assertThat(text).contains("%arg0: tensor<4x4xf32> {jax.arg_info = \"x\", sdy.sharding = #sdy.sharding<@gspmd, [{\"g0\"}, {}]>}");
        assertThat(text).contains("{jax.result_info = \"\", sdy.sharding = #sdy.sharding<@gspmd, [{\"g1\"}, {\"g0\"}]>}");
        assertThat(text).contains("sdy.sharding_constraint %arg0 <@gspmd, [{}, {\"g0\", \"g1\"}]> : tensor<4x4xf32>");
        assertThat(text).contains("sdy.sharding_constraint %arg0 <@gspmd, [{}, {}]> : tensor<4x4xf32>");
        assertThat(text).doesNotContain("mhlo.sharding").doesNotContain("@Sharding");
        assertThat(GspmdImport.applies(s)).isFalse();
        assertThat(GspmdImport.toShardy(s)).isSameAs(s);
    }

    @Test
    void replicasAndShardyRoundTripShardMapAreRefusedByName() {
        Module replicas = MlirParser.parseModule(GSPMD.replace("mhlo.num_replicas = 1", "mhlo.num_replicas = 2"), "r.mlir");
        assertThatThrownBy(() -> GspmdImport.toShardy(replicas)).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("mhlo.num_replicas = 2");
        Module roundTrip = MlirParser.parseModule("""
                module @jit_g attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  func.func public @main(%arg0: tensor<2x4xf32> {mhlo.sharding = "{devices=[2,1]<=[2]}"}) -> tensor<2x4xf32> {
                    %0 = stablehlo.custom_call @xla.sdy.GlobalToLocalShape(%arg0) : (tensor<2x4xf32>) -> tensor<1x4xf32>
                    %1 = stablehlo.custom_call @xla.sdy.LocalToGlobalShape(%0) : (tensor<1x4xf32>) -> tensor<2x4xf32>
                    return %1 : tensor<2x4xf32>
                  }
                }
                """, "g.mlir");
        assertThatThrownBy(() -> GspmdImport.toShardy(roundTrip)).hasMessageStartingWith("stablehlo.custom_call @xla.sdy.GlobalToLocalShape is ")
                .hasMessageContaining("round-trip form")
                .extracting(e -> ((Hlo4jException) e).format()).asString().startsWith("g.mlir:3:"); // the location once, first
    }

    @Test
    void unspecifiedDimsOfAConstraintAreOpenAndOtherBackendConfigsRefused() {
        // JAX: with_sharding_constraint(x, P("x", P.UNCONSTRAINED)) writes unspecified_dims=[1]; the dim stays open to propagation
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
                  func.func public @main(%arg0: tensor<8x8xf32> {mhlo.sharding = "{devices=[4,1]<=[4]}"}) -> tensor<8x8xf32> {
                    %0 = stablehlo.custom_call @Sharding(%arg0) {backend_config = "unspecified_dims=[1]", mhlo.sharding = "{devices=[2,1,2]<=[4] last_tile_dim_replicate}"} : (tensor<8x8xf32>) -> tensor<8x8xf32>
                    return %0 : tensor<8x8xf32>
                  }
                }
                """;
        Module s = GspmdImport.toShardy(MlirParser.parseModule(text, "u.mlir"));
        ModuleVerifier.verify(s);
        assertThat(MlirPrinter.print(s)).contains("sdy.sharding_constraint %arg0 <@gspmd, [{\"g0\"}, {?}]> : tensor<8x8xf32>");
        Module both = GspmdImport.toShardy(MlirParser.parseModule(text.replace("unspecified_dims=[1]", "unspecified_dims=[0, 1]"), "u.mlir"));
        assertThat(MlirPrinter.print(both)).contains("sdy.sharding_constraint %arg0 <@gspmd, [{\"g0\", ?}, {?}]> : tensor<8x8xf32>");
        assertThatThrownBy(() -> GspmdImport.toShardy(MlirParser.parseModule(text.replace("unspecified_dims=[1]", "unspecified_dims=[2]"), "u.mlir")))
                .isInstanceOf(Hlo4jException.class).hasMessageStartingWith("stablehlo.custom_call @Sharding: backend_config")
                .hasMessageContaining("names dim 2 but the value has rank 2")
                .extracting(e -> ((Hlo4jException) e).format()).asString().startsWith("u.mlir:3:"); // the location once, first
        // a hostile dim past int is refused the same way (it threw NumberFormatException)
        assertThatThrownBy(() -> GspmdImport.toShardy(MlirParser.parseModule(text.replace("unspecified_dims=[1]", "unspecified_dims=[99999999999]"), "u.mlir")))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("names dim 99999999999 but the value has rank 2");
        assertThatThrownBy(() -> GspmdImport.toShardy(MlirParser.parseModule(text.replace("unspecified_dims=[1]", "keep=1"), "u.mlir")))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("backend_config \"keep=1\"");
    }
}
