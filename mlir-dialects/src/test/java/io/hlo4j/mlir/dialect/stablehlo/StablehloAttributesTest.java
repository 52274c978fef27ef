package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.FutureType;
import io.hlo4j.mlir.dialect.stablehlo.attr.ResultAccuracy;
import io.hlo4j.mlir.dialect.stablehlo.attr.TypeExtensions;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** StableHLO attributes and types: parse then print gives upstream's canonical text. */
class StablehloAttributesTest {
    /** The real parser; it rejects text left over after the attribute. */
    static Attribute parse(String text) { return MlirParser.parseAttribute(text); }

    static Type parseType(String text) { return MlirParser.parseType(text); }

    /** Canonical texts (from the conformance files, upstream tests, and StablehloAttrs.td formats). */
    @ParameterizedTest
    @ValueSource(strings = {
            "#stablehlo<comparison_direction LT>", "#stablehlo<comparison_type TOTALORDER>", "#stablehlo<precision HIGHEST>",
            "#stablehlo<transpose NO_TRANSPOSE>", "#stablehlo<fft_type IRFFT>", "#stablehlo<rng_algorithm THREE_FRY>",
            "#stablehlo<rng_distribution NORMAL>", "#stablehlo.result_accuracy_mode<HIGHEST>",
            "#stablehlo.dot<lhs_batching_dimensions = [0, 1], rhs_batching_dimensions = [0, 1], lhs_contracting_dimensions = [3, 2], rhs_contracting_dimensions = [2, 3]>",
            "#stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>",
            "#stablehlo.dot<>",
            "#stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>",
            "#stablehlo.gather<offset_dims = [2], collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>",
            "#stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], input_batching_dims = [2], scatter_indices_batching_dims = [1], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>",
            "#stablehlo.conv<[b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]>", "#stablehlo.conv<[f, 1, b, 0]x[i, 0, o, 1]->[0, f, b, 1]>",
            "#stablehlo.channel_handle<handle = 1, type = 0>",
            "#stablehlo.dot_algorithm<lhs_precision_type = tf32, rhs_precision_type = tf32, accumulation_type = f32, lhs_component_count = 1, rhs_component_count = 1, num_primitive_operations = 1, allow_imprecise_accumulation = false>",
            "#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = [1]>",
            "#stablehlo.output_operand_alias<output_tuple_indices = [], operand_index = 2, operand_tuple_indices = []>",
            "#stablehlo.result_accuracy<mode = #stablehlo.result_accuracy_mode<DEFAULT>>",
            "#stablehlo.result_accuracy<atol = 1.000000e-05, rtol = 1.000000e-04, ulps = 2, mode = #stablehlo.result_accuracy_mode<TOLERANCE>>",
            "#stablehlo.bounds<16, ?>", "#stablehlo.bounds<2>",
            // upstream tests/replica_groups_mesh_axes.mlir CHECK line
            "#stablehlo.replica_group_mesh_axes<mesh = @mesh, axes = [#stablehlo.axis_ref<name = \"foo\">, #stablehlo.axis_ref<name = \"bar\">]>",
            "#stablehlo.replica_group_mesh_axes<mesh = @mesh, axes = [#stablehlo.axis_ref<name = \"x\">, #stablehlo.axis_ref<name = \"y\", sub_axis_info = (1)2>]>"})
    void canonicalTextRoundTrips(String text) {
        assertThat(parse(text).toString()).isEqualTo(text);
    }

    @Test
    void nonCanonicalSpellingsPrintCanonically() {
        assertThat(parse("#stablehlo.channel_handle<type=0, handle=1>").toString()).isEqualTo("#stablehlo.channel_handle<handle = 1, type = 0>");
        assertThat(parse("#stablehlo.dot<rhs_contracting_dimensions = [0], lhs_batching_dimensions = [], lhs_contracting_dimensions = [1]>").toString())
                .isEqualTo("#stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>");
        assertThat(parse("#stablehlo.type_extensions<bounds = [?, 4]>").toString()).isEqualTo("#stablehlo.bounds<?, 4>");
        assertThat(parse("#stablehlo.result_accuracy<atol = 0.0, rtol = 0.0, ulps = 0, mode = #stablehlo.result_accuracy_mode<DEFAULT>>"))
                .isEqualTo(ResultAccuracy.DEFAULT);
        ConvDimensionNumbers raw = (ConvDimensionNumbers) parse("#stablehlo.conv<raw input_batch_dimension = 0, input_feature_dimension = 3,"
                + " input_spatial_dimensions = [1, 2], kernel_input_feature_dimension = 2, kernel_output_feature_dimension = 3,"
                + " kernel_spatial_dimensions = [0, 1], output_batch_dimension = 0, output_feature_dimension = 3,"
                + " output_spatial_dimensions = [1, 2]>");
        assertThat(raw.toString()).isEqualTo("#stablehlo.conv<[b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]>");
    }

    @Test
    void structuredValues() {
        DotDimensionNumbers d = (DotDimensionNumbers) parse("#stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [1]>");
        assertThat(d.lhsContractingDimensions().toArray()).containsExactly(2);
        ConvDimensionNumbers c = (ConvDimensionNumbers) parse("#stablehlo.conv<[0, b, 1, f]x[0, 1, i, o]->[b, 0, 1, f]>");
        assertThat(c.inputBatchDimension()).isEqualTo(1);
        assertThat(c.inputFeatureDimension()).isEqualTo(3);
        assertThat(c.inputSpatialDimensions()).isEqualTo(Dims.of(0, 2));
        assertThat(c.kernelInputFeatureDimension()).isEqualTo(2);
        assertThat(c.outputSpatialDimensions()).isEqualTo(Dims.of(1, 2));
        assertThat(((TypeExtensions) parse("#stablehlo.bounds<16, ?>")).bounds().get(1)).isEqualTo(Dims.DYNAMIC);
        assertThat(parse("#stablehlo<comparison_direction GE>")).isEqualTo(EnumAttr.comparisonDirection("GE"));
    }

    @Test
    void typesParseAndPrint() {
        assertThat(parseType("!stablehlo.token")).isEqualTo(TokenType.INSTANCE);
        Type f = parseType("!stablehlo.future<tensor<4xf32>, tensor<i32>>");
        assertThat(f).isInstanceOf(FutureType.class);
        assertThat(f.toString()).isEqualTo("!stablehlo.future<tensor<4xf32>, tensor<i32>>");
        Type bounded = parseType("tensor<?x4xf32, #stablehlo.bounds<16, ?>>");
        assertThat(((TensorType) bounded).encoding()).isEqualTo(new TypeExtensions(Dims.of(16, Dims.DYNAMIC)));
        assertThat(bounded.toString()).isEqualTo("tensor<?x4xf32, #stablehlo.bounds<16, ?>>");
    }

    @Test
    void errorsNameTheProblem() {
        assertThatThrownBy(() -> parse("#stablehlo<comparison_direction XX>")).isInstanceOf(ParseException.class)
                .hasMessageContaining("expected comparison_direction (one of [EQ, NE, GE, GT, LE, LT]), got 'XX'");
        assertThatThrownBy(() -> parse("#stablehlo<color RED>")).isInstanceOf(ParseException.class)
                .hasMessageContaining("unknown StableHLO enum attribute kind 'color'");
        assertThatThrownBy(() -> parse("#stablehlo.dot<lhs_contracting_dimensions = [1], lhs_contracting_dimensions = [1]>"))
                .hasMessageContaining("duplicated 'lhs_contracting_dimensions' entry");
        assertThatThrownBy(() -> parse("#stablehlo.gather<offset_dim = [1]>"))
                .hasMessageContaining("#stablehlo.gather: expected one of [offset_dims, collapsed_slice_dims");
        assertThatThrownBy(() -> parse("#stablehlo.conv<[0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]>"))
                .hasMessageContaining("Expected dimensions b, f not specified");
        assertThatThrownBy(() -> parse("#stablehlo.conv<[b, 0, 2, f]x[0, 1, i, o]->[b, 0, 1, f]>"))
                .hasMessageContaining("Expected spatial dimensions 1 not specified");
        assertThatThrownBy(() -> parse("#stablehlo.channel_handle<handle = 1>")).hasMessageContaining("needs both 'handle' and 'type'");
        assertThatThrownBy(() -> EnumAttr.precision("LOW")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'LOW' is not a precision");
    }

    /** Every StableHLO struct or enum attribute written in the conformance files parses and prints back unchanged. */
    @Test
    void everyConformanceAttributeRoundTrips() throws IOException {
        Set<String> seen = new TreeSet<>();
        for (String sub : List.of("testdata", "interpret")) {
            for (Path f : ConformanceFiles.files(sub)) extract(Files.readString(f), seen);
        }
        List<String> failures = new ArrayList<>();
        int canonical = 0;
        for (String text : seen) {
            try {
                String printed = parse(text).toString();
                if (printed.equals(text)) canonical++;
                else if (!parse(printed).toString().equals(printed)) failures.add(text + " -> " + printed + " (no fixpoint)");
                else if (!text.replace(" ", "").equals(printed.replace(" ", ""))) failures.add(text + " -> " + printed);
            } catch (RuntimeException e) {
                failures.add(text + ": " + e.getMessage());
            }
        }
        System.out.printf("conformance attributes: %d distinct, %d canonical as written, %d failures%n", seen.size(), canonical, failures.size());
        assertThat(seen.size()).isGreaterThan(50);
        assertThat(failures).isEmpty();
    }

    /** {@code #stablehlo...<...>} occurrences with balanced angle brackets, newlines folded to spaces. */
    private static void extract(String text, Set<String> out) {
        int i = 0;
        while ((i = text.indexOf("#stablehlo", i)) >= 0) {
            int lt = text.indexOf('<', i);
            if (lt < 0) break;
            int depth = 0, j = lt;
            for (; j < text.length(); j++) {
                char c = text.charAt(j);
                if (c == '<') depth++;
                else if (c == '>' && text.charAt(j - 1) != '-' && --depth == 0) break;
            }
            out.add(text.substring(i, j + 1).replaceAll("\\s*\\n\\s*", " "));
            i = j;
        }
    }
}
