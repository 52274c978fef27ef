package io.hlo4j.cli;

import io.hlo4j.runtime.hlo.HloProgram;
import io.hlo4j.runtime.hlo.HloSummary;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code compile}'s optimized-program summary sizes implicit collective groups by the replica_count/num_partitions an
 * {@code hlo_with_config} program's config states, as {@code inspect FILE.pb} does. The fixture (HloFixtures.kinds,
 * implicit.config.pb) states 2 replicas x 4 partitions; the mock plugin's own programs carry no config, so the summary
 * function is tested directly. Hand-computed bytes: the all-reduce of f32[8] across the 2 replicas receives all 32 B of
 * its 32 B; the all-gather to f32[64] across 8 devices 7/8 of 256 B = 224; the all-to-all of f32[64] across 4
 * partitions 3/4 of 256 B = 192.
 */
class CompileSummaryCountsTest {
    private static final Path FIXTURES = InspectHloKindsTest.FIXTURES;

    @Test
    void theConfigsCountsSizeTheGroups() throws Exception {
        byte[] code = Files.readAllBytes(FIXTURES.resolve("implicit.config.pb"));
        HloProgram program = HloProgram.decode("hlo_with_config", code);
        // compiled here for 1 partition: the config's 2 x 4 still sizes the groups
        HloSummary s = CompileCommand.summary(program, 1);
        assertThat(s.collectives()).extracting(HloSummary.Collective::groupSize).containsExactly(2L, 8L, 4L);
        assertThat(s.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(32L, 224L, 192L);
        // the same as inspect reads from the file
        assertThat(s).isEqualTo(io.hlo4j.runtime.hlo.HloFile.decode(code).summary());
    }

    @Test
    void withoutCountsInTheProgramItIsOneReplicaOfThePartitionsCompiled() throws Exception {
        // the plain module: no config, so 1 replica x 4 partitions compiled here
        byte[] code = Files.readAllBytes(FIXTURES.resolve("implicit.module.pb"));
        HloSummary s = CompileCommand.summary(HloProgram.decode("hlo", code), 4);
        // all-reduce across 1 replica moves nothing; all-gather across 4 devices 3/4 of 256 B; all-to-all across 4 partitions 192
        assertThat(s.collectives()).extracting(HloSummary.Collective::groupSize).containsExactly(1L, 4L, 4L);
        assertThat(s.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(0L, 192L, 192L);
    }

    /** --dump-optimized-proto's message states the counts the summary used: the config's where it states them, else 1 x compiled. */
    @Test
    void theDumpStatesTheCountsTheSummaryUsed() throws Exception {
        HloProgram configured = HloProgram.decode("hlo_with_config", Files.readAllBytes(FIXTURES.resolve("implicit.config.pb")));
        io.hlo4j.runtime.hlo.HloFile dumped = io.hlo4j.runtime.hlo.HloFile.decode(CompileCommand.withConfig(configured, 1).toByteArray());
        assertThat(dumped.message()).isEqualTo(io.hlo4j.runtime.hlo.HloFile.Message.WITH_CONFIG);
        assertThat(new long[] {dumped.replicas(), dumped.partitions()}).containsExactly(2, 4);
        assertThat(dumped.summary()).isEqualTo(CompileCommand.summary(configured, 1));
        HloProgram bare = HloProgram.decode("hlo", Files.readAllBytes(FIXTURES.resolve("implicit.module.pb")));
        dumped = io.hlo4j.runtime.hlo.HloFile.decode(CompileCommand.withConfig(bare, 4).toByteArray());
        assertThat(new long[] {dumped.replicas(), dumped.partitions()}).containsExactly(1, 4);
        assertThat(dumped.summary()).isEqualTo(CompileCommand.summary(bare, 4));
        assertThat(dumped.module()).isEqualTo(bare.module());
    }

    /**
     * A plugin's own config (format hlo_with_config, as the CUDA plugin returns) survives --dump-optimized-proto whole: the
     * fields hlo4j's proto does not name (XLA's xla.proto numbers: 1 entry_computation_layout, 2 seed, 7
     * use_spmd_partitioning, 13 device_type) come back byte for byte, the stated num_partitions (4) stays, and only the
     * replica_count it leaves 0 is filled in (1 replica, as compiled).
     */
    @Test
    void theDumpKeepsThePluginsConfigAndFillsOnlyItsZeroCounts() throws Exception {
        com.google.protobuf.UnknownFieldSet layout = com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(3, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build();
        com.google.protobuf.UnknownFieldSet extra = com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(1, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addLengthDelimited(layout.toByteString()).build())
                .addField(2, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(42).build())
                .addField(7, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                .addField(13, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("cuda")).build()).build();
        io.hlo4j.runtime.hlo.proto.HloModuleProto module = io.hlo4j.runtime.hlo.proto.HloModuleProto.parseFrom(
                Files.readAllBytes(FIXTURES.resolve("implicit.module.pb")));
        byte[] code = io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig.newBuilder().setHloModule(module)
                .setConfig(io.hlo4j.runtime.hlo.proto.HloModuleConfigProto.newBuilder().setNumPartitions(4).setUnknownFields(extra))
                .build().toByteArray();
        byte[] dumped = CompileCommand.withConfig(HloProgram.decode("hlo_with_config", code), 4).toByteArray();
        // read back by field number, independent of hlo4j's proto classes
        com.google.protobuf.UnknownFieldSet top = com.google.protobuf.UnknownFieldSet.parseFrom(dumped);
        assertThat(top.getField(1).getLengthDelimitedList()).containsExactly(module.toByteString());
        com.google.protobuf.UnknownFieldSet config = com.google.protobuf.UnknownFieldSet.parseFrom(top.getField(2).getLengthDelimitedList().getFirst());
        assertThat(config.asMap().keySet()).containsExactlyInAnyOrder(1, 2, 4, 5, 7, 13);
        for (int n : new int[] {1, 2, 7, 13}) assertThat(config.getField(n)).as("field %d", n).isEqualTo(extra.getField(n));
        assertThat(config.getField(4).getVarintList()).containsExactly(1L);   // replica_count: was 0, filled in
        assertThat(config.getField(5).getVarintList()).containsExactly(4L);   // num_partitions: the plugin's
        io.hlo4j.runtime.hlo.HloFile read = io.hlo4j.runtime.hlo.HloFile.decode(dumped);
        assertThat(new long[] {read.replicas(), read.partitions()}).containsExactly(1, 4);
    }

    /**
     * One rule for both commands: a program without config counts whose module carries a static device_assignment (2
     * replicas x 4 computations) is sized by that assignment in compile as in inspect (hand-computed as in
     * theConfigsCountsSizeTheGroups: 32, 224, 192 B), not by compile's 1 x 4; a config stating only the replica count takes
     * its partition count from the assignment, each count told by its source.
     */
    @Test
    void compileAndInspectReadTheDeviceAssignmentAlike() throws Exception {
        io.hlo4j.runtime.hlo.proto.HloModuleProto module = io.hlo4j.runtime.hlo.proto.HloModuleProto.parseFrom(
                Files.readAllBytes(FIXTURES.resolve("implicit.module.pb")));
        io.hlo4j.runtime.hlo.proto.HloModuleProto assigned = module.toBuilder().setDeviceAssignment(
                io.hlo4j.runtime.pjrt.proto.DeviceAssignmentProto.newBuilder().setReplicaCount(2).setComputationCount(4)).build();
        byte[] code = assigned.toByteArray();
        HloProgram program = HloProgram.decode("hlo", code);
        HloProgram.Counts c = CompileCommand.counts(program, 4);
        assertThat(new long[] {c.replicas(), c.partitions()}).containsExactly(2, 4);
        assertThat(c.from()).isEqualTo("the module's device_assignment");
        HloSummary s = CompileCommand.summary(program, 4);
        assertThat(s.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(32L, 224L, 192L);
        assertThat(s).isEqualTo(io.hlo4j.runtime.hlo.HloFile.decode(code).summary());

        byte[] half = io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig.newBuilder().setHloModule(assigned)
                .setConfig(io.hlo4j.runtime.hlo.proto.HloModuleConfigProto.newBuilder().setReplicaCount(2)).build().toByteArray();
        HloProgram.Counts h = CompileCommand.counts(HloProgram.decode("hlo_with_config", half), 8);
        io.hlo4j.runtime.hlo.HloFile f = io.hlo4j.runtime.hlo.HloFile.decode(half);
        assertThat(new long[] {h.replicas(), h.partitions(), f.replicas(), f.partitions()}).containsExactly(2, 4, 2, 4);
        assertThat(f.countsFrom()).isEqualTo(h.from()).isEqualTo("replica count from its config, partition count from the module's device_assignment");
        // stating nothing: compile falls back to its own 1 x compiled, inspect knows nothing
        HloProgram bare = HloProgram.decode("hlo", module.toByteArray());
        assertThat(CompileCommand.counts(bare, 4)).isEqualTo(new HloProgram.Counts(1, 4, "this compile"));
        assertThat(io.hlo4j.runtime.hlo.HloFile.decode(module.toByteArray()).countsFrom()).isNull();
    }
}
