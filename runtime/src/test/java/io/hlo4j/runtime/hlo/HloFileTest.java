package io.hlo4j.runtime.hlo;

import com.google.protobuf.UnknownFieldSet;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.hlo.proto.HloProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link HloFile}: the committed fixtures of each message kind ({@link HloFixtures#kinds()}) are told apart, print as the
 * hand-written text, and the counts they state size the implicit replica groups (worked by hand from the ring formulas);
 * bytes that are none of the three are refused by name.
 */
class HloFileTest {
    @Test
    void theCommittedKindsAreWhatTheGeneratorBuilds() throws IOException {
        for (var e : HloFixtures.kinds().entrySet()) assertThat(HloTextTest.resource(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"implicit.module.pb", "implicit.hloproto.pb", "implicit.config.pb", "implicit.pb"})
    void everyKindPrintsTheSameText(String name) throws IOException {
        HloFile f = HloFile.decode(HloTextTest.resource(name));
        assertThat(f.program().text()).isEqualTo(new String(HloTextTest.resource("implicit.hlo"), StandardCharsets.UTF_8));
    }

    @Test
    void tellsTheMessagesApartAndReadsTheirCounts() throws IOException {
        HloFile plain = HloFile.decode(HloTextTest.resource("implicit.module.pb"));
        HloFile dump = HloFile.decode(HloTextTest.resource("implicit.hloproto.pb"));
        HloFile config = HloFile.decode(HloTextTest.resource("implicit.config.pb"));
        HloFile noConfig = HloFile.decode(HloTextTest.resource("implicit.pb"));
        assertThat(List.of(plain.message(), dump.message(), config.message(), noConfig.message())).containsExactly(
                HloFile.Message.MODULE, HloFile.Message.HLO_PROTO, HloFile.Message.WITH_CONFIG, HloFile.Message.WRAPPED);
        assertThat(List.of(plain.replicas(), plain.partitions(), dump.replicas(), dump.partitions(), config.replicas(), config.partitions()))
                .containsExactly(0L, 0L, 2L, 4L, 2L, 4L);
        assertThat(dump.countsFrom()).isEqualTo("the module's device_assignment");
        assertThat(config.countsFrom()).isEqualTo("its config");
        assertThat(plain.header()).isEmpty();
        assertThat(dump.header()).isEqualTo("HloProto (--xla_dump_hlo_as_proto): 2 replicas x 4 partitions (the module's device_assignment)\n");
        assertThat(config.header()).isEqualTo("HloModuleProtoWithConfig: 2 replicas x 4 partitions (its config)\n");
        assertThat(noConfig.header()).isEqualTo("HloProto or HloModuleProtoWithConfig (field 1 only): no device counts (no config, no device_assignment)\n");
    }

    /**
     * 2 replicas x 4 partitions: the all-reduce without channel spans the 2 replicas (f32[8] = 32 B: 2 x 1/2 x 32 = 32 B);
     * the all-gather with a channel and no global ids spans replicas x partitions = 8 (gathers f32[64] = 256 B, lacks 7/8
     * of it = 224 B); the all-to-all with a channel spans the 4 partitions (256 B, receives 3/4 = 192 B).
     */
    @Test
    void theStatedCountsSizeImplicitGroups() throws IOException {
        HloSummary known = HloFile.decode(HloTextTest.resource("implicit.config.pb")).summary();
        assertThat(known.collectives()).extracting(HloSummary.Collective::groupSize).containsExactly(2L, 8L, 4L);
        assertThat(known.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(32L, 224L, 192L);
        assertThat(HloFile.decode(HloTextTest.resource("implicit.hloproto.pb")).summary()).isEqualTo(known);
        HloSummary unknown = HloFile.decode(HloTextTest.resource("implicit.module.pb")).summary();
        assertThat(unknown.collectives()).extracting(HloSummary.Collective::bytesReceived).containsExactly(-1L, -1L, -1L);
        assertThat(unknown.text()).contains("received bytes unknown (empty replica_groups: every replica, and the replica count is not known)");
        // the plain module's report is what it was before wrappers were read: the summary of the module alone
        assertThat(unknown.text()).isEqualTo(HloSummary.of(HloFixtures.implicit()).text());
    }

    @Test
    void theOtherFixturesAreWrappersWithoutCounts() throws IOException {
        for (String n : List.of("dot", "add", "spmd", "ragged")) {
            HloFile f = HloFile.decode(HloTextTest.resource(n + ".pb"));
            assertThat(f.module()).as(n).isEqualTo(HloFixtures.all().get(n));
            assertThat(f.countsFrom()).as(n).isNull();
            // and as plain modules
            HloFile p = HloFile.decode(HloFixtures.all().get(n).toByteArray());
            assertThat(p.message()).as(n).isEqualTo(HloFile.Message.MODULE);
            assertThat(p.module()).as(n).isEqualTo(HloFixtures.all().get(n));
        }
    }

    @Test
    void refusesWhatIsNoneOfTheThreeByName() throws IOException {
        assertThatThrownBy(() -> HloFile.decode(new byte[0])).hasMessage("is empty (0 bytes), not a valid HloModuleProto, HloProto or HloModuleProtoWithConfig");
        assertThatThrownBy(() -> HloFile.decode("not a proto".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageStartingWith("11 bytes are not a protobuf message, so not a valid HloModuleProto, HloProto or HloModuleProtoWithConfig (");
        byte[] spmd = HloTextTest.resource("spmd.pb");
        byte[] cut = Arrays.copyOf(spmd, spmd.length / 2);
        assertThatThrownBy(() -> HloFile.decode(cut)).hasMessageContaining(cut.length + " bytes are not a protobuf message")
                .hasMessageContaining("truncated");
        // a valid message of another kind: field 1 a string that is no module, field 4 a number
        byte[] other = UnknownFieldSet.newBuilder()
                .addField(1, UnknownFieldSet.Field.newBuilder().addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("hello")).build())
                .addField(4, UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build().toByteArray();
        assertThatThrownBy(() -> HloFile.decode(other)).hasMessage(other.length + " bytes are not a valid HloModuleProto, HloProto or "
                + "HloModuleProtoWithConfig (as an HloModuleProto: no computations; as HloProto or HloModuleProtoWithConfig: "
                + "field 4 is set (they have fields 1 to 3))");
        // a wrapper whose module has no computations
        byte[] hollow = HloProto.newBuilder().setHloModule(HloModuleProto.newBuilder().setName("m")).build().toByteArray();
        assertThatThrownBy(() -> HloFile.decode(hollow)).hasMessageContaining("as HloProto or HloModuleProtoWithConfig: field 1 is no HloModuleProto (no computations))");
    }
}
