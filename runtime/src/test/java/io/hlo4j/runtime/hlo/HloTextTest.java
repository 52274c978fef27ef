package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.pjrt.proto.ConvolutionDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.LayoutProto;
import io.hlo4j.runtime.pjrt.proto.PaddingConfig;
import io.hlo4j.runtime.pjrt.proto.PrimitiveType;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;
import io.hlo4j.runtime.pjrt.proto.TileProto;
import io.hlo4j.runtime.pjrt.proto.Window;
import io.hlo4j.runtime.pjrt.proto.WindowDimension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HLO text of the committed fixture bytes against hand-written expected text (the summary: {@link HloSummaryTest}). */
class HloTextTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = HloTextTest.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing test resource " + name);
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dot", "add", "spmd", "ragged", "implicit"})
    void printsTheFixtureAsTheHandWrittenText(String name) throws IOException {
        HloProgram p = HloProgram.decode("hlo_with_config", resource(name + ".pb"));
        assertThat(p.text()).isEqualTo(new String(resource(name + ".hlo"), StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dot", "add", "spmd", "ragged", "implicit"})
    void theCommittedBytesAreWhatTheGeneratorBuilds(String name) throws IOException {
        assertThat(resource(name + ".pb")).isEqualTo(HloFixtures.bytes(HloFixtures.all().get(name)));
    }

    @Test
    void theMockPluginsHeaderIsWhatTheGeneratorWrites() throws IOException {
        Path header = Path.of("src/test/c/hlo_fixtures.h");
        assertThat(Files.readString(header)).isEqualTo(HloFixtures.cHeader());
    }

    @Test
    void plainHloFormatIsTheModuleItself() {
        HloModuleProto m = HloFixtures.dot();
        assertThat(HloProgram.decode("hlo", m.toByteArray()).text()).isEqualTo(HloProgram.decode("hlo_with_config", HloFixtures.bytes(m)).text());
    }

    @Test
    void refusesOtherFormatsAndBrokenBytesByName() {
        assertThatThrownBy(() -> HloProgram.decode("mlir", new byte[] {1}))
                .hasMessageContaining("format 'mlir'").hasMessageContaining("'hlo' and 'hlo_with_config'");
        assertThatThrownBy(() -> HloProgram.decode("hlo", new byte[] {(byte) 0x0a, (byte) 0x50, 1}))
                .hasMessageContaining("format hlo, 3 bytes").hasMessageContaining("not a valid HloModuleProto");
        assertThatThrownBy(() -> HloProgram.decode("hlo_with_config", new byte[0]))
                .hasMessageContaining("no hlo_module (field 1)");
        HloModuleProto dangling = HloFixtures.dot().toBuilder()
                .setComputations(1, HloFixtures.dot().getComputations(1).toBuilder()
                        .setInstructions(2, HloFixtures.dot().getComputations(1).getInstructions(2).toBuilder().setOperandIds(1, 99)))
                .build();
        assertThatThrownBy(() -> HloText.print(dangling)).hasMessageContaining("%wrapped_dot").hasMessageContaining("instruction id 99");
    }

    @Test
    void shapesWithTilesDynamicDimensionsAndTuples() {
        ShapeProto tiled = ShapeProto.newBuilder().setElementType(PrimitiveType.BF16).addDimensions(128).addDimensions(256)
                .setLayout(LayoutProto.newBuilder().addMinorToMajor(1).addMinorToMajor(0)
                        .addTiles(TileProto.newBuilder().addDimensions(8).addDimensions(128))
                        .addTiles(TileProto.newBuilder().addDimensions(2).addDimensions(1))
                        .setMemorySpace(1))
                .build();
        assertThat(HloShapes.withLayout(tiled)).isEqualTo("bf16[128,256]{1,0:T(8,128)(2,1)S(1)}");
        assertThat(HloShapes.human(tiled)).isEqualTo("bf16[128,256]");
        ShapeProto dynamic = ShapeProto.newBuilder().setElementType(PrimitiveType.S32).addDimensions(4).addDimensions(3)
                .addIsDynamicDimension(true).addIsDynamicDimension(false).build();
        assertThat(HloShapes.withLayout(dynamic)).isEqualTo("s32[<=4,3]");
        ShapeProto token = ShapeProto.newBuilder().setElementType(PrimitiveType.TOKEN).build();
        ShapeProto t = ShapeProto.newBuilder().setElementType(PrimitiveType.TUPLE).addTupleShapes(dynamic).addTupleShapes(token).build();
        assertThat(HloShapes.human(t)).isEqualTo("(s32[<=4,3], token[])");
        assertThat(HloShapes.bytes(tiled)).isEqualTo(128 * 256 * 2);
        assertThat(HloShapes.bytes(t)).isEqualTo(4 * 3 * 4);
    }

    @Test
    void numbersAsXlaPrintsThem() {
        assertThat(HloLiterals.number(1f)).isEqualTo("1");
        assertThat(HloLiterals.number(-0f)).isEqualTo("-0");
        assertThat(HloLiterals.number(0.1f)).isEqualTo("0.1");
        assertThat(HloLiterals.number(1e-5f)).isEqualTo("1e-05");
        assertThat(HloLiterals.number(3e20)).isEqualTo("3e+20");
        assertThat(HloLiterals.number(1234.5)).isEqualTo("1234.5");
        assertThat(HloLiterals.number(Float.NEGATIVE_INFINITY)).isEqualTo("-inf");
        assertThat(HloLiterals.number(Double.NaN)).isEqualTo("nan");
    }

    @Test
    void windowsPaddingAndConvolutionLabels() {
        Window w = Window.newBuilder()
                .addDimensions(WindowDimension.newBuilder().setSize(3).setStride(2).setPaddingLow(1).setPaddingHigh(1).setWindowDilation(1).setBaseDilation(1))
                .addDimensions(WindowDimension.newBuilder().setSize(3).setStride(1).setPaddingLow(0).setPaddingHigh(2).setWindowDilation(2).setBaseDilation(1))
                .build();
        assertThat(HloText.window(w)).isEqualTo("size=3x3 stride=2x1 pad=1_1x0_2 rhs_dilate=1x2");
        PaddingConfig p = PaddingConfig.newBuilder()
                .addDimensions(PaddingConfig.PaddingConfigDimension.newBuilder().setEdgePaddingLow(0).setEdgePaddingHigh(1))
                .addDimensions(PaddingConfig.PaddingConfigDimension.newBuilder().setEdgePaddingLow(2).setEdgePaddingHigh(0).setInteriorPadding(1))
                .build();
        assertThat(HloText.padding(p)).isEqualTo("0_1_0x2_0_1");
        // NHWC input, HWIO kernel, NHWC output: XLA's b01f_01io->b01f.
        ConvolutionDimensionNumbers c = ConvolutionDimensionNumbers.newBuilder().setInputBatchDimension(0).setInputFeatureDimension(3)
                .addInputSpatialDimensions(1).addInputSpatialDimensions(2).setKernelInputFeatureDimension(2).setKernelOutputFeatureDimension(3)
                .addKernelSpatialDimensions(0).addKernelSpatialDimensions(1).setOutputBatchDimension(0).setOutputFeatureDimension(3)
                .addOutputSpatialDimensions(1).addOutputSpatialDimensions(2).build();
        assertThat(HloText.dimLabels(c, 4)).isEqualTo("b01f_01io->b01f");
    }

    @Test
    void whileNamesConditionAndBodyLikeXla() {
        HloModuleProto m = HloFixtures.spmd();
        // Reuse region_add (id 1) as body and fused_exp (id 2) as condition: only the naming is checked.
        HloInstructionProto w = HloFixtures.inst(50, "while.1", "while", HloFixtures.f32(), 9).addCalledComputationIds(1).addCalledComputationIds(2).build();
        HloModuleView v = new HloModuleView(m);
        assertThat(HloText.instruction(v, m.getComputations(3), w))
                .isEqualTo("%while.1 = f32[] while(f32[4,16]{1,0} %p0), condition=%fused_exp, body=%region_add");
    }

    /** One line per opcode family, each checked against the hand-written XLA spelling. */
    @Test
    void opcodeAttributesAsXlaSpellsThem() {
        HloModuleProto m = HloFixtures.spmd();
        HloModuleView v = new HloModuleView(m);
        var entry = m.getComputations(4);   // main.9: p0 = f32[4,16] (id 9), p1 = s32[2] (id 10)
        java.util.function.Function<HloInstructionProto.Builder, String> line = b -> HloText.instruction(v, entry, b.build());
        assertThat(line.apply(HloFixtures.inst(30, "iota.1", "iota", HloFixtures.array(PrimitiveType.S32, 4, 16)).addDimensions(1)))
                .isEqualTo("%iota.1 = s32[4,16]{1,0} iota(), iota_dimension=1");
        assertThat(line.apply(HloFixtures.inst(31, "gte.1", "get-tuple-element", HloFixtures.f32(8), 20).setTupleIndex(0)))
                .isEqualTo("%gte.1 = f32[8]{0} get-tuple-element((f32[8]{0}, pred[2]{0}, f32[2,2]{1,0}, f32[4,4]{1,0}) %tuple.6), index=0");
        assertThat(line.apply(HloFixtures.inst(32, "ds.1", "dynamic-slice", HloFixtures.f32(2, 16), 9, 10, 10).addDynamicSliceSizes(2).addDynamicSliceSizes(16)))
                .isEqualTo("%ds.1 = f32[2,16]{1,0} dynamic-slice(f32[4,16]{1,0} %p0, s32[2]{0} %p1, s32[2]{0} %p1), dynamic_slice_sizes={2,16}");
        assertThat(line.apply(HloFixtures.inst(33, "cc.1", "custom-call", HloFixtures.f32(4, 16), 9).setCustomCallTarget("__cublas$gemm")
                .setBackendConfig(com.google.protobuf.ByteString.copyFromUtf8("opaque \"x\""))))
                .isEqualTo("%cc.1 = f32[4,16]{1,0} custom-call(f32[4,16]{1,0} %p0), custom_call_target=\"__cublas$gemm\", backend_config=\"opaque \\\"x\\\"\"");
        assertThat(line.apply(HloFixtures.inst(34, "sort.1", "sort", HloFixtures.f32(4, 16), 9).addDimensions(1).setIsStable(true).addCalledComputationIds(1)))
                .isEqualTo("%sort.1 = f32[4,16]{1,0} sort(f32[4,16]{1,0} %p0), dimensions={1}, is_stable=true, to_apply=%region_add");
        assertThat(line.apply(HloFixtures.inst(35, "cond.1", "conditional", HloFixtures.f32(), 10).addCalledComputationIds(1).addCalledComputationIds(2)))
                .isEqualTo("%cond.1 = f32[] conditional(s32[2]{0} %p1), branch_computations={%region_add, %fused_exp}");
        assertThat(line.apply(HloFixtures.inst(36, "g.1", "gather", HloFixtures.f32(2, 16), 9, 10)
                .setGatherDimensionNumbers(io.hlo4j.runtime.pjrt.proto.GatherDimensionNumbers.newBuilder().addOffsetDims(1)
                        .addCollapsedSliceDims(0).addStartIndexMap(0).setIndexVectorDim(1))
                .addGatherSliceSizes(1).addGatherSliceSizes(16).setIndicesAreSorted(true)))
                .isEqualTo("%g.1 = f32[2,16]{1,0} gather(f32[4,16]{1,0} %p0, s32[2]{0} %p1), offset_dims={1}, collapsed_slice_dims={0}, "
                        + "start_index_map={0}, index_vector_dim=1, slice_sizes={1,16}, indices_are_sorted=true");
        assertThat(line.apply(HloFixtures.inst(37, "ar.1", "all-reduce-start", HloFixtures.f32(4, 16), 9).addCalledComputationIds(1)
                .addControlPredecessorIds(10).setFrontendAttributes(io.hlo4j.runtime.pjrt.proto.FrontendAttributes.newBuilder()
                        .putMap("_scheduling_group_id", "0"))))
                .isEqualTo("%ar.1 = f32[4,16]{1,0} all-reduce-start(f32[4,16]{1,0} %p0), replica_groups={}, to_apply=%region_add, "
                        + "frontend_attributes={_scheduling_group_id=\"0\"}, control-predecessors={%p1}");
        assertThat(line.apply(HloFixtures.inst(38, "dot.9", "dot", HloFixtures.f32(4, 4, 4), 9, 9)
                .setDotDimensionNumbers(io.hlo4j.runtime.pjrt.proto.DotDimensionNumbers.newBuilder().addLhsBatchDimensions(0)
                        .addRhsBatchDimensions(0).addLhsContractingDimensions(1).addRhsContractingDimensions(1))
                .setPrecisionConfig(io.hlo4j.runtime.pjrt.proto.PrecisionConfig.newBuilder()
                        .addOperandPrecision(io.hlo4j.runtime.pjrt.proto.PrecisionConfig.Precision.HIGHEST)
                        .addOperandPrecision(io.hlo4j.runtime.pjrt.proto.PrecisionConfig.Precision.DEFAULT))))
                .isEqualTo("%dot.9 = f32[4,4,4]{2,1,0} dot(f32[4,16]{1,0} %p0, f32[4,16]{1,0} %p0), lhs_batch_dims={0}, lhs_contracting_dims={1}, "
                        + "rhs_batch_dims={0}, rhs_contracting_dims={1}, operand_precision={highest,default}");
        assertThat(line.apply(HloFixtures.inst(39, "c.1", "constant", HloFixtures.array(PrimitiveType.BF16, 3))
                .setLiteral(io.hlo4j.runtime.pjrt.proto.LiteralProto.newBuilder().setShape(HloFixtures.array(PrimitiveType.BF16, 3))
                        .setBf16S(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0x80, 0x3f, 0x00, (byte) 0xc0, (byte) 0x80, 0x7f})))))
                .isEqualTo("%c.1 = bf16[3]{0} constant({1, -2, inf})");   // bf16 bits 0x3f80, 0xc000, 0x7f80
        assertThat(line.apply(HloFixtures.inst(40, "c.2", "constant", HloFixtures.f32(11))
                .setLiteral(io.hlo4j.runtime.pjrt.proto.LiteralProto.newBuilder().setShape(HloFixtures.f32(11)).addAllF32S(java.util.Collections.nCopies(11, 1f)))))
                .isEqualTo("%c.2 = f32[11]{0} constant({...})");
    }
}
