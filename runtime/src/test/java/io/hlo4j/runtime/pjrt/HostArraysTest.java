package io.hlo4j.runtime.pjrt;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HostArray <-> device through the mock: values survive, element types map by name. */
class HostArraysTest {

    @Test
    void bf16AndIntegerArraysRoundTripThroughTheMockPlugin() {
        // bf16 values exactly representable (8 significant bits), so the oracle is the literal itself.
        HostArray bf = HostArray.fromDoubles(TensorType.of(FloatType.BF16, 2, 2), 1.5, -0.0078125, 256, -3.25);
        HostArray i1 = HostArray.fromBooleans(TensorType.of(IntegerType.I1, 3), true, false, true);
        HostArray u32 = HostArray.fromLongs(TensorType.of(new IntegerType(32, IntegerType.Signedness.UNSIGNED), 2), 4_000_000_000L, 7);
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            for (HostArray a : new HostArray[] {bf, i1, u32}) {
                try (PjrtBuffer b = c.toDevice(HostArrays.toHostData(a), d)) {
                    HostArray back = HostArrays.toHostArray(b.toHost());
                    assertThat(back.type()).isEqualTo(a.type());
                    assertThat(back.toLittleEndianBytes()).isEqualTo(a.toLittleEndianBytes());
                }
            }
        }
        assertThat(HostArrays.toHostData(bf).type()).isEqualTo(ElementType.BF16);
        assertThat(HostArrays.toHostData(bf).bytes()).containsExactly(0xC0, 0x3F, 0x00, 0xBC, 0x80, 0x43, 0x50, 0xC0);
        assertThat(HostArrays.toHostData(u32).type()).isEqualTo(ElementType.U32);
        assertThat(HostArrays.toHostData(i1).type()).isEqualTo(ElementType.PRED);
    }

    @Test
    void typesWithoutAByteFormAreRefusedByName() {
        assertThatThrownBy(() -> HostArrays.pjrtType(new IntegerType(4, IntegerType.Signedness.SIGNLESS)))
                .hasMessageContaining("has no byte-addressable PJRT buffer type");
    }
}
