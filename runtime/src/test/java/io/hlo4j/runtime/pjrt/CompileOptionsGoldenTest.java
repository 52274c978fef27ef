package io.hlo4j.runtime.pjrt;

import com.google.protobuf.UnknownFieldSet;
import io.hlo4j.runtime.pjrt.proto.CompileOptionsProto;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompileOptionsGoldenTest {

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = CompileOptionsGoldenTest.class.getResourceAsStream("golden/" + name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        return out;
    }

    /** The 1-device options, encoded by hand from XLA's field numbers (reference section 2.1-2.3). */
    @Test
    void oneDeviceMatchesHandEncodedWireBytes() throws IOException {
        byte[] ebo = bytes(
                0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, // 1 device_ordinal = -1
                0x20, 0x01,                                                       // 4 num_replicas = 1
                0x28, 0x01,                                                       // 5 num_partitions = 1
                0x4A, 0x09, 0x08, 0x01, 0x10, 0x01, 0x1A, 0x03, 0x0A, 0x01, 0x00, // 9 device_assignment {1,1,[[0]]}
                0x62, 0x01, 0x00,                                                 // 12 propagate to output [false]
                0x92, 0x01, 0x01, 0x00,                                           // 18 propagate to params [false]
                0x98, 0x01, 0x01,                                                 // 19 use_shardy_partitioner
                0xB8, 0x01, 0x01);                                                // 23 process_count = 1
        byte[] expected = new byte[2 + ebo.length];
        expected[0] = 0x1A;                                                       // 3 executable_build_options
        expected[1] = (byte) ebo.length;
        System.arraycopy(ebo, 0, expected, 2, ebo.length);

        assertThat(GoldenCompileOptions.oneDevice().toBytes()).isEqualTo(expected);
        assertThat(golden(GoldenCompileOptions.ONE_DEVICE)).isEqualTo(expected);
    }

    @Test
    void eightDeviceSpmdMatchesGoldenAndDecodesFieldByField() throws Exception {
        byte[] golden = golden(GoldenCompileOptions.EIGHT_DEVICE_SPMD);
        assertThat(GoldenCompileOptions.eightDeviceSpmd().toBytes()).isEqualTo(golden);

        // Decode without the generated classes: field numbers and values only.
        UnknownFieldSet top = UnknownFieldSet.parseFrom(golden);
        assertThat(top.asMap().keySet()).containsExactly(3, 7);
        UnknownFieldSet ebo = UnknownFieldSet.parseFrom(top.getField(3).getLengthDelimitedList().getFirst());
        assertThat(ebo.getField(1).getVarintList()).containsExactly(-1L);
        assertThat(ebo.getField(4).getVarintList()).containsExactly(1L);
        assertThat(ebo.getField(5).getVarintList()).containsExactly(8L);
        assertThat(ebo.getField(6).getVarintList()).containsExactly(1L);   // use_spmd_partitioning
        assertThat(ebo.getField(19).getVarintList()).containsExactly(1L);  // use_shardy_partitioner
        assertThat(ebo.getField(23).getVarintList()).containsExactly(1L);  // process_count
        assertThat(ebo.hasField(3)).as("no DebugOptions").isFalse();
        assertThat(ebo.getField(18).getLengthDelimitedList().getFirst().toByteArray()).isEqualTo(bytes(0, 0));
        assertThat(ebo.getField(12).getLengthDelimitedList().getFirst().toByteArray()).isEqualTo(bytes(1));
        UnknownFieldSet da = UnknownFieldSet.parseFrom(ebo.getField(9).getLengthDelimitedList().getFirst());
        assertThat(da.getField(1).getVarintList()).containsExactly(1L);
        assertThat(da.getField(2).getVarintList()).containsExactly(8L);
        List<com.google.protobuf.ByteString> devices = da.getField(3).getLengthDelimitedList();
        assertThat(devices).hasSize(8);
        for (int p = 0; p < 8; p++) // each ComputationDevice = packed [p]
            assertThat(devices.get(p).toByteArray()).isEqualTo(bytes(0x0A, 0x01, p));
        // env_option_overrides: map entries {1: key, 2: OptionOverrideProto}, sorted by key.
        List<com.google.protobuf.ByteString> entries = top.getField(7).getLengthDelimitedList();
        assertThat(entries).hasSize(2);
        UnknownFieldSet e0 = UnknownFieldSet.parseFrom(entries.get(0));
        UnknownFieldSet e1 = UnknownFieldSet.parseFrom(entries.get(1));
        assertThat(e0.getField(1).getLengthDelimitedList().getFirst().toStringUtf8()).isEqualTo("xla_dump_hlo_as_text");
        assertThat(UnknownFieldSet.parseFrom(e0.getField(2).getLengthDelimitedList().getFirst()).getField(2).getVarintList()).containsExactly(1L);
        assertThat(e1.getField(1).getLengthDelimitedList().getFirst().toStringUtf8()).isEqualTo("xla_gpu_autotune_level");
        assertThat(UnknownFieldSet.parseFrom(e1.getField(2).getLengthDelimitedList().getFirst()).getField(3).getVarintList()).containsExactly(0L);

        CompileOptionsProto parsed = CompileOptionsProto.parseFrom(golden);
        assertThat(parsed).isEqualTo(GoldenCompileOptions.eightDeviceSpmd().proto());
    }

    @Test
    void refusesInconsistentOptionsByName() {
        assertThatThrownBy(() -> CompileOptions.builder().build()).hasMessageContaining("no devices");
        assertThatThrownBy(() -> CompileOptions.spmd(0, 1, 1)).hasMessageContaining("device id 1 assigned twice");
        assertThatThrownBy(() -> CompileOptions.builder().devices(0, 1).spmdPartitioning(false).build())
                .hasMessageContaining("2 partitions need SPMD");
        assertThatThrownBy(() -> CompileOptions.builder().assignment(2, new long[][] {{0, 1}, {2}}).build())
                .hasMessageContaining("partition 1 lists 1 device ids, expected num_replicas=2");
    }
}
