package io.hlo4j.runtime.hlo;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.hlo.proto.HloModuleConfigProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig;
import io.hlo4j.runtime.hlo.proto.HloProto;
import io.hlo4j.runtime.hlo.proto.HloScheduleProto;
import io.hlo4j.runtime.pjrt.proto.CollectiveDeviceListProto;
import io.hlo4j.runtime.pjrt.proto.DeviceAssignmentProto;
import io.hlo4j.runtime.pjrt.proto.DotDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.IotaReplicaGroupListProto;
import io.hlo4j.runtime.pjrt.proto.LayoutProto;
import io.hlo4j.runtime.pjrt.proto.LiteralProto;
import io.hlo4j.runtime.pjrt.proto.OpMetadata;
import io.hlo4j.runtime.pjrt.proto.OpSharding;
import io.hlo4j.runtime.pjrt.proto.PrecisionConfig;
import io.hlo4j.runtime.pjrt.proto.PrimitiveType;
import io.hlo4j.runtime.pjrt.proto.RaggedDotDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.ReplicaGroup;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;
import io.hlo4j.runtime.pjrt.proto.SourceTarget;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generator of the optimized-program fixtures: {@code HloModuleProtoWithConfig}s built with the
 * generated builders, written as bytes under src/test/resources/io/hlo4j/runtime/hlo (one module also as a plain
 * HloModuleProto, an HloProto and a WithConfig with its config: {@link #kinds()}), and those the
 * mock plugin's PJRT_Executable_OptimizedProgram returns ({@link #MOCK}) also as C arrays in
 * src/test/c/hlo_fixtures.h.
 * Shapes follow what XLA's GPU compiler makes of such programs (a dot wrapped in a fusion, as the H200
 * run showed). The expected HLO text ({@code *.hlo} next to the bytes) is written by hand, not by this
 * class. Regenerate from the repository root with
 * <pre>
 *   mvn -B -q -pl runtime -am test-compile -Dmaven.test.skip.exec
 *   $JAVA_HOME/bin/java -cp runtime/target/classes:runtime/target/test-classes:$HOME/.m2/repository/com/google/protobuf/protobuf-java/4.33.5/protobuf-java-4.33.5.jar \
 *     io.hlo4j.runtime.hlo.HloFixtures runtime/src/test/resources/io/hlo4j/runtime/hlo runtime/src/test/c/hlo_fixtures.h
 * </pre>
 * {@link HloTextTest} checks that the committed files equal what this class builds.
 */
public final class HloFixtures {
    private HloFixtures() {}

    /** The fixtures the mock plugin returns, in the order the C header lists them. */
    static final List<String> MOCK = List.of("dot", "add", "spmd", "implicit");

    /** Fixture name -> module. */
    static Map<String, HloModuleProto> all() {
        Map<String, HloModuleProto> m = new LinkedHashMap<>();
        m.put("dot", dot());
        m.put("add", add());
        m.put("spmd", spmd());
        m.put("ragged", ragged());
        m.put("implicit", implicit());
        return m;
    }

    /**
     * The {@code implicit} module in each of the messages XLA writes a program in ({@link HloFile}), by file name: the
     * plain module (no device counts), the HloProto {@code --xla_dump_hlo_as_proto} writes (a buffer assignment, and the
     * module's device_assignment for 2 replicas x 4 partitions, as XLA sets it for a static assignment) and the
     * HloModuleProtoWithConfig PJRT returns (its config: 2 replicas, 4 partitions).
     */
    static Map<String, byte[]> kinds() {
        HloModuleProto m = implicit();
        DeviceAssignmentProto.Builder da = DeviceAssignmentProto.newBuilder().setReplicaCount(2).setComputationCount(4);
        for (int c = 0; c < 4; c++) da.addComputationDevices(DeviceAssignmentProto.ComputationDevice.newBuilder().addReplicaDeviceIds(c).addReplicaDeviceIds(4 + c));
        Map<String, byte[]> k = new LinkedHashMap<>();
        k.put("implicit.module.pb", m.toByteArray());
        k.put("implicit.hloproto.pb", HloProto.newBuilder().setHloModule(m.toBuilder().setDeviceAssignment(da))
                .setBufferAssignment(bufferAssignment()).build().toByteArray());
        k.put("implicit.config.pb", HloModuleProtoWithConfig.newBuilder().setHloModule(m)
                .setConfig(HloModuleConfigProto.newBuilder().setReplicaCount(2).setNumPartitions(4)).build().toByteArray());
        return k;
    }

    /** A BufferAssignmentProto (hlo.proto) with one LogicalBufferProto {id 1, size 32}, by field number: HloProto keeps it as bytes. */
    static ByteString bufferAssignment() {
        UnknownFieldSet buffer = UnknownFieldSet.newBuilder()
                .addField(1, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                .addField(2, UnknownFieldSet.Field.newBuilder().addVarint(32).build()).build();
        return UnknownFieldSet.newBuilder().addField(1, UnknownFieldSet.Field.newBuilder().addLengthDelimited(buffer.toByteString()).build())
                .build().toByteString();
    }

    static byte[] bytes(HloModuleProto m) {
        return HloModuleProtoWithConfig.newBuilder().setHloModule(m).build().toByteArray();
    }

    // ---- builders

    static ShapeProto array(PrimitiveType t, long... dims) {
        ShapeProto.Builder s = ShapeProto.newBuilder().setElementType(t);
        LayoutProto.Builder l = LayoutProto.newBuilder();
        for (long d : dims) s.addDimensions(d);
        for (int i = dims.length - 1; i >= 0; i--) l.addMinorToMajor(i);
        return s.setLayout(l).build();
    }

    static ShapeProto f32(long... dims) { return array(PrimitiveType.F32, dims); }

    static ShapeProto tuple(ShapeProto... parts) {
        return ShapeProto.newBuilder().setElementType(PrimitiveType.TUPLE).addAllTupleShapes(List.of(parts)).build();
    }

    static HloInstructionProto.Builder inst(long id, String name, String opcode, ShapeProto shape, long... operands) {
        HloInstructionProto.Builder b = HloInstructionProto.newBuilder().setId(id).setName(name).setOpcode(opcode).setShape(shape);
        for (long o : operands) b.addOperandIds(o);
        return b;
    }

    static HloInstructionProto.Builder param(long id, String name, int number, ShapeProto shape) {
        return inst(id, name, "parameter", shape).setParameterNumber(number);
    }

    static HloComputationProto comp(long id, String name, boolean fusion, HloInstructionProto.Builder... is) {
        HloComputationProto.Builder c = HloComputationProto.newBuilder().setId(id).setName(name).setIsFusionComputation(fusion);
        for (HloInstructionProto.Builder i : is) c.addInstructions(i);
        return c.setRootId(is[is.length - 1].getId()).build();
    }

    static HloScheduleProto schedule(HloComputationProto... cs) {
        HloScheduleProto.Builder s = HloScheduleProto.newBuilder();
        for (HloComputationProto c : cs) {
            HloScheduleProto.InstructionSequence.Builder seq = HloScheduleProto.InstructionSequence.newBuilder();
            c.getInstructionsList().forEach(i -> seq.addInstructionIds(i.getId()));
            s.putSequences(c.getId(), seq.build());
        }
        return s.build();
    }

    // ---- the fixtures

    /** A 2x3 . 3x2 f32 dot, wrapped in a kLoop fusion, as the CUDA plugin returned it on the H200. */
    static HloModuleProto dot() {
        HloComputationProto fused = comp(1, "wrapped_dot_computation", true,
                param(1, "param_0", 0, f32(2, 3)),
                param(2, "param_1", 1, f32(3, 2)),
                inst(3, "dot.1", "dot", f32(2, 2), 1, 2)
                        .setDotDimensionNumbers(DotDimensionNumbers.newBuilder().addLhsContractingDimensions(1).addRhsContractingDimensions(0))
                        .setMetadata(OpMetadata.newBuilder().setOpType("dot_general").setOpName("jit(dot)/dot_general")
                                .setSourceFile("Model.java").setSourceLine(42)));
        HloComputationProto main = comp(2, "main.1", false,
                param(4, "Arg_0.1", 0, f32(2, 3)),
                param(5, "Arg_1.1", 1, f32(3, 2)),
                inst(6, "wrapped_dot", "fusion", f32(2, 2), 4, 5).setFusionKind("kLoop").addCalledComputationIds(1)
                        .setBackendConfig(ByteString.copyFromUtf8("{\"operation_queue_id\":\"0\",\"wait_on_operation_queues\":[]}")));
        return HloModuleProto.newBuilder().setName("jit_dot").setEntryComputationName("main.1").setEntryComputationId(2)
                .addComputations(fused).addComputations(main).setSchedule(schedule(main)).build();
    }

    /** A 2x3 f32 add plus 0.5, fused into one kLoop fusion (not scheduled: no is_scheduled in the header). */
    static HloModuleProto add() {
        HloComputationProto fused = comp(1, "fused_add", true,
                param(1, "param_0", 0, f32(2, 3)),
                param(2, "param_1", 1, f32(2, 3)),
                inst(3, "add.2", "add", f32(2, 3), 1, 2),
                inst(4, "constant.3", "constant", f32())
                        .setLiteral(LiteralProto.newBuilder().setShape(f32()).addF32S(0.5f)),
                inst(5, "broadcast.4", "broadcast", f32(2, 3), 4),
                inst(6, "add.5", "add", f32(2, 3), 3, 5));
        HloComputationProto main = comp(2, "main.3", false,
                param(7, "x.1", 0, f32(2, 3)),
                param(8, "y.1", 1, f32(2, 3)),
                inst(9, "loop_add_fusion", "fusion", f32(2, 3), 7, 8).setFusionKind("kLoop").addCalledComputationIds(1));
        return HloModuleProto.newBuilder().setName("jit_add").setEntryComputationName("main.3").setEntryComputationId(2)
                .addComputations(fused).addComputations(main).build();
    }

    /**
     * One partition of an 8-way SPMD program: fusions of three kinds (a kCustom one, as XLA:GPU's Triton GEMMs
     * are) and four collectives (all-gather with iota groups, all-reduce with transposed iota groups, all-to-all with explicit groups, a permute),
     * parameter and tuple shardings, a rank-2 constant, a strided slice and a compare.
     */
    static HloModuleProto spmd() {
        HloComputationProto region = comp(1, "region_add", false,
                param(1, "Arg_0", 0, f32()),
                param(2, "Arg_1", 1, f32()),
                inst(3, "add.0", "add", f32(), 1, 2));
        HloComputationProto exp = comp(2, "fused_exp", true,
                param(4, "param_0", 0, f32(4, 16)),
                inst(5, "exponential.0", "exponential", f32(4, 16), 4));
        HloComputationProto reduce = comp(3, "fused_reduce", true,
                param(6, "param_0.1", 0, f32(32, 16)),
                inst(7, "constant.0", "constant", f32()).setLiteral(LiteralProto.newBuilder().setShape(f32()).addF32S(0f)),
                inst(8, "reduce.0", "reduce", f32(32), 6, 7).addDimensions(1).addCalledComputationIds(1));
        HloComputationProto gemm = comp(5, "fused_gemm", true,
                param(21, "param_0.2", 0, f32(4, 16)),
                param(22, "param_1.2", 1, f32(4, 16)),
                inst(23, "dot.3", "dot", f32(4, 4), 21, 22)
                        .setDotDimensionNumbers(DotDimensionNumbers.newBuilder().addLhsContractingDimensions(1).addRhsContractingDimensions(1)));
        OpSharding iota8 = OpSharding.newBuilder().setType(OpSharding.Type.OTHER).addTileAssignmentDimensions(8)
                .addTileAssignmentDimensions(1).addIotaReshapeDims(8).addIotaTransposePerm(0).build();
        OpSharding replicated = OpSharding.newBuilder().setType(OpSharding.Type.REPLICATED).build();
        OpSharding resultSharding = OpSharding.newBuilder().setType(OpSharding.Type.TUPLE)
                .addTupleShardings(replicated)
                .addTupleShardings(OpSharding.newBuilder().setType(OpSharding.Type.MAXIMAL).addTileAssignmentDevices(0))
                .addTupleShardings(OpSharding.newBuilder().setType(OpSharding.Type.OTHER).addAllTileAssignmentDimensions(List.of(2L, 1L, 4L))
                        .addAllTileAssignmentDevices(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L)).setReplicateOnLastTileDim(true))
                .addTupleShardings(replicated)
                .build();
        ShapeProto s32x2 = array(PrimitiveType.S32, 2);
        ShapeProto pred2 = array(PrimitiveType.PRED, 2);
        List<ReplicaGroup> halves = new ArrayList<>();
        halves.add(ReplicaGroup.newBuilder().addAllReplicaIds(List.of(0L, 1L, 2L, 3L)).build());
        halves.add(ReplicaGroup.newBuilder().addAllReplicaIds(List.of(4L, 5L, 6L, 7L)).build());
        HloComputationProto main = comp(4, "main.9", false,
                param(9, "p0", 0, f32(4, 16)).setSharding(iota8),
                param(10, "p1", 1, s32x2).setSharding(replicated),
                inst(11, "exp_fusion", "fusion", f32(4, 16), 9).setFusionKind("kLoop").addCalledComputationIds(2),
                inst(24, "gemm_fusion", "fusion", f32(4, 4), 11, 9).setFusionKind("kCustom").addCalledComputationIds(5)
                        .setBackendConfig(ByteString.copyFromUtf8("{\"fusion_backend_config\":{\"kind\":\"__triton_gemm\"}}")),
                inst(12, "all-gather", "all-gather", f32(32, 16), 11).setChannelId(1).addDimensions(0).setUseGlobalDeviceIds(true)
                        .setCollectiveDeviceList(CollectiveDeviceListProto.newBuilder().setIotaReplicaGroupList(
                                IotaReplicaGroupListProto.newBuilder().setNumReplicaGroups(1).setNumDevicesPerGroup(8).addIotaReshapeDims(8)
                                        .addIotaTransposePerm(0))),
                inst(13, "reduce_fusion", "fusion", f32(32), 12).setFusionKind("kInput").addCalledComputationIds(3),
                inst(14, "all-reduce", "all-reduce", f32(32), 13).setChannelId(2).setUseGlobalDeviceIds(true).addCalledComputationIds(1)
                        .setCollectiveDeviceList(CollectiveDeviceListProto.newBuilder().setIotaReplicaGroupList(
                                IotaReplicaGroupListProto.newBuilder().setNumReplicaGroups(2).setNumDevicesPerGroup(4)
                                        .addAllIotaReshapeDims(List.of(4L, 2L)).addAllIotaTransposePerm(List.of(1, 0)))),
                inst(15, "slice.1", "slice", f32(8), 14).addSliceDimensions(HloInstructionProto.SliceDimensions.newBuilder()
                        .setStart(0).setLimit(16).setStride(2)),
                inst(16, "all-to-all", "all-to-all", f32(8), 15).setChannelId(3).addDimensions(0).addAllReplicaGroups(halves),
                inst(17, "collective-permute", "collective-permute", f32(8), 16).setChannelId(4)
                        .addSourceTargetPairs(SourceTarget.newBuilder().setSource(0).setTarget(1))
                        .addSourceTargetPairs(SourceTarget.newBuilder().setSource(1).setTarget(0)),
                inst(18, "compare.2", "compare", pred2, 10, 10).setComparisonDirection("LT").setComparisonType("SIGNED"),
                inst(19, "constant.5", "constant", f32(2, 2))
                        .setLiteral(LiteralProto.newBuilder().setShape(f32(2, 2)).addAllF32S(List.of(1f, 2.5f, -3f, 1e-5f))),
                inst(20, "tuple.6", "tuple", tuple(f32(8), pred2, f32(2, 2), f32(4, 4)), 17, 18, 19, 24).setSharding(resultSharding));
        return HloModuleProto.newBuilder().setName("jit_moe_shard").setEntryComputationName("main.9").setEntryComputationId(4)
                .addComputations(region).addComputations(exp).addComputations(reduce).addComputations(gemm).addComputations(main)
                .setSchedule(schedule(main)).build();
    }

    /**
     * MoE expert matmuls as ragged dots: tokens sorted by expert times each expert's weights (the ragged
     * dimension grouped, rhs_group_dims naming the expert dimension), and the weight gradient's form, where
     * the ragged dimension is contracted and the result gains a leading group dimension (no rhs_group_dims).
     */
    static HloModuleProto ragged() {
        ShapeProto s32x2 = array(PrimitiveType.S32, 2);
        HloComputationProto main = comp(1, "main.4", false,
                param(1, "tokens", 0, f32(8, 4)),
                param(2, "experts", 1, f32(2, 4, 3)),
                param(3, "group_sizes", 2, s32x2),
                param(4, "activations_t", 3, f32(4, 8)),
                param(5, "grads", 4, f32(8, 3)),
                inst(6, "ragged-dot.1", "ragged-dot", f32(8, 3), 1, 2, 3)
                        .setRaggedDotDimensionNumbers(RaggedDotDimensionNumbers.newBuilder()
                                .setDotDimensionNumbers(DotDimensionNumbers.newBuilder().addLhsContractingDimensions(1).addRhsContractingDimensions(1))
                                .addLhsRaggedDimensions(0).addRhsGroupDimensions(0))
                        .setPrecisionConfig(PrecisionConfig.newBuilder().addOperandPrecision(PrecisionConfig.Precision.HIGHEST)
                                .addOperandPrecision(PrecisionConfig.Precision.HIGHEST)),
                inst(7, "ragged-dot.2", "ragged-dot", f32(2, 4, 3), 4, 5, 3)
                        .setRaggedDotDimensionNumbers(RaggedDotDimensionNumbers.newBuilder()
                                .setDotDimensionNumbers(DotDimensionNumbers.newBuilder().addLhsContractingDimensions(1).addRhsContractingDimensions(0))
                                .addLhsRaggedDimensions(1)),
                inst(8, "tuple.3", "tuple", tuple(f32(8, 3), f32(2, 4, 3)), 6, 7));
        return HloModuleProto.newBuilder().setName("jit_moe_experts").setEntryComputationName("main.4").setEntryComputationId(1)
                .addComputations(main).build();
    }

    /**
     * Collectives whose replica groups are left implicit (empty), which only the replica and partition counts size: an
     * all-reduce across replicas (no channel), an all-gather across replicas and partitions (channel, no global ids) and
     * an all-to-all across partitions (channel).
     */
    static HloModuleProto implicit() {
        HloComputationProto sum = comp(1, "sum", false,
                param(1, "x", 0, f32()),
                param(2, "y", 1, f32()),
                inst(3, "add.0", "add", f32(), 1, 2));
        HloComputationProto main = comp(2, "main.5", false,
                param(4, "p0", 0, f32(8)),
                inst(5, "all-reduce.1", "all-reduce", f32(8), 4).addCalledComputationIds(1),
                inst(6, "all-gather.2", "all-gather", f32(64), 5).setChannelId(1).addDimensions(0),
                inst(7, "all-to-all.3", "all-to-all", f32(64), 6).setChannelId(2).addDimensions(0));
        return HloModuleProto.newBuilder().setName("jit_implicit").setEntryComputationName("main.5").setEntryComputationId(2)
                .addComputations(sum).addComputations(main).build();
    }

    /** The C header: one {@code static const unsigned char hlo_fixture_<name>[]} per fixture. */
    static String cHeader() {
        StringBuilder b = new StringBuilder("// Generated by io.hlo4j.runtime.hlo.HloFixtures (runtime/src/test/java); do not edit.\n")
                .append("// HloModuleProtoWithConfig bytes the mock plugin returns from PJRT_Executable_OptimizedProgram.\n");
        for (String name : MOCK) {
            byte[] bytes = bytes(all().get(name));
            b.append("static const unsigned char hlo_fixture_").append(name).append("[").append(bytes.length).append("] = {");
            for (int i = 0; i < bytes.length; i++) {
                if (i % 16 == 0) b.append("\n ");
                b.append(String.format(" 0x%02x,", bytes[i] & 0xff));
            }
            b.append("\n};\n");
        }
        return b.toString();
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "runtime/src/test/resources/io/hlo4j/runtime/hlo");
        Path header = Path.of(args.length > 1 ? args[1] : "runtime/src/test/c/hlo_fixtures.h");
        Files.createDirectories(dir);
        for (Map.Entry<String, HloModuleProto> e : all().entrySet()) Files.write(dir.resolve(e.getKey() + ".pb"), bytes(e.getValue()));
        for (Map.Entry<String, byte[]> e : kinds().entrySet()) Files.write(dir.resolve(e.getKey()), e.getValue());
        Files.writeString(header, cHeader(), StandardCharsets.UTF_8);
        System.out.println("wrote " + all().keySet() + ", " + kinds().keySet() + " to " + dir + " and " + header);
    }
}
