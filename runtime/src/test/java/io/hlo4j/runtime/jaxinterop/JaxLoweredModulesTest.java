package io.hlo4j.runtime.jaxinterop;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Modules in the form {@code jax.jit(f).lower(...).as_text()} and {@code jax.export} write (written here by hand in
 * that form, see src/test/resources/jaxinterop): they parse, verify, print back to text that parses to the same
 * module, and run on the interpreter with the values worked out by hand in each test.
 */
class JaxLoweredModulesTest {
    /** Modules the user guide shows: read from docs/examples/jax, the one copy, so the tests check what users run. */
    static final java.util.Map<String, String> IN_DOCS = java.util.Map.of("shape_assertion.mlir", "shape-assertion.mlir",
            "gspmd_shard_map.mlir", "gspmd-shard-map.mlir");

    static String text(String name) {
        if (IN_DOCS.containsKey(name)) {
            java.nio.file.Path root = java.nio.file.Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize();
            try {
                return java.nio.file.Files.readString(root.resolve("docs/examples/jax").resolve(IN_DOCS.get(name)));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        try (InputStream in = JaxLoweredModulesTest.class.getResourceAsStream("/jaxinterop/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Module parse(String name) { return MlirParser.parseModule(text(name), name); }

    static TensorType f32(long... shape) { return TensorType.of(FloatType.F32, shape); }

    @ParameterizedTest
    @ValueSource(strings = {"jit_relu_add.mlir", "with_sharding_constraint.mlir", "shape_assertion.mlir", "gspmd_shard_map.mlir"})
    void parsesVerifiesAndPrintsBackToTheSameModule(String name) {
        Module m = parse(name);
        ModuleVerifier.verify(m);
        PrintOptions withLocs = PrintOptions.DEFAULT.withLocations(true);
        String once = MlirPrinter.print(m, withLocs);
        Module again = MlirParser.parseModule(once, name + " (printed)");
        ModuleVerifier.verify(again);
        assertThat(MlirPrinter.print(again, withLocs)).isEqualTo(once);
        // JAX's module attributes and argument/result attributes survive the round trip
        assertThat(once).contains("mhlo.num_partitions").contains("jax.result_info");
    }

    @Test
    void locationAliasesAtTheEndOfTheFileResolve() {
        String printed = MlirPrinter.print(parse("jit_relu_add.mlir"), PrintOptions.DEFAULT.withLocations(true));
        // #loc6 = callsite(#loc5 at #loc3), #loc5 = "relu"(#loc4), #loc4 a range on one line
        assertThat(printed).contains("loc(callsite(\"relu\"(\"/home/u/model.py\":7:10 to :22) at \"/home/u/model.py\":12:0))");
        assertThat(printed).contains("loc(fused[\"device_put\", \"/home/u/model.py\":12:0])");
        assertThat(printed).contains("%arg0: tensor<2x3xf32> {mhlo.layout_mode = \"default\"} loc(\"x\")");
        assertThat(printed).contains("tf.aliasing_output = 0 : i32");
    }

    @Test
    void privateHelperCallAndDevicePlacementRun() {
        HostArray x = HostArray.fromFloats(f32(2, 3), -1, 2, -3, 4, -5, 6);
        HostArray y = HostArray.fromFloats(f32(3), 10, 20, 30);
        List<HostArray> out = new Interpreter(parse("jit_relu_add.mlir")).runHost("main", List.of(x, y));
        // relu(x) + y, broadcast along rows: [[0+10, 2+20, 0+30], [4+10, 0+20, 6+30]]
        assertThat(out.get(0).toFloatArray()).containsExactly(10f, 22f, 30f, 14f, 20f, 36f);
    }

    @Test
    void shardingAnnotationsAreTheValueOnOneDevice() {
        HostArray w = HostArray.fromFloats(f32(4, 2), 1, 2, 3, 4, 5, 6, 7, 8);
        HostArray b = HostArray.fromFloats(f32(2, 2), 1, 0, 1, -1);
        List<HostArray> out = new Interpreter(parse("with_sharding_constraint.mlir")).runHost("main", List.of(w, b));
        // w @ b: row (p, q) -> (p + q, -q)
        assertThat(out.get(0).toFloatArray()).containsExactly(3f, -2f, 7f, -4f, 11f, -6f, 15f, -8f);
        assertThat(out.get(1).toFloatArray()).containsExactly(36f - 20f);
    }

    @Test
    void shapeAssertionPassesWhenItsConditionHolds() {
        HostArray x = HostArray.fromFloats(f32(6, 4), new float[] {
                1, 9, 2, 3, 0, -1, -2, -3, 5, 5, 4, 5, 7, 8, 9, 10, -6, -5, -9, -7, 0, 0, 0, 1});
        List<HostArray> out = new Interpreter(parse("shape_assertion.mlir"))
                .runHost("main", List.of(HostArray.fromLongs(TensorType.of(IntegerType.I64), 6), x));
        assertThat(out.get(0).toFloatArray()).containsExactly(9f, 0f, 5f, 10f, -5f, 1f);
    }

    @Test
    void shapeAssertionFailsWithJaxMessageAndItsValues() {
        HostArray x = HostArray.zeros(f32(6, 4));
        assertThatThrownBy(() -> new Interpreter(parse("shape_assertion.mlir"))
                .runHost("main", List.of(HostArray.fromLongs(TensorType.of(IntegerType.I64), 5), x)))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("@shape_assertion failed: Input shapes do not match the polymorphic shapes specification."
                        + " Expected value 6 for dimension variable 'b', got 5; b = 5.");
    }

    @Test
    void preShardyShardMapIsRefusedByNameOnTheInterpreter() {
        assertThatThrownBy(() -> new Interpreter(parse("gspmd_shard_map.mlir")).runHost("main", List.of(HostArray.zeros(f32(2, 4)))))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("stablehlo.custom_call: @SPMDFullToShardShape turns [tensor<2x4xf32>] into [tensor<1x4xf32>]")
                .hasMessageContaining("pre-Shardy (GSPMD) shard_map");
    }
}
