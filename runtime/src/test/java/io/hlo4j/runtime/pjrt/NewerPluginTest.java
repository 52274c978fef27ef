package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Struct sizes across plugin versions. A plugin built with a newer header than 0.95: the mock, reporting C API
 * 0.114, asks for that header's struct sizes as upstream's strict size check would ("Unexpected ... size"
 * otherwise; the 0.115 CUDA plugin of the recorded H200 run accepted the 0.95 sizes, see docs/gpu.md);
 * PJRT_ExecuteOptions grew at 0.97/0.108/0.112 and PJRT_Executable_GetCompiledMemoryStats_Args at 0.104, so
 * 0.95-sized structs fail here. And a struct the plugin hands out is read only within its own struct_size.
 */
class NewerPluginTest extends MockPluginTest {

    @Test
    void executesAndReadsMemoryStatsOnAPluginAtCApi0114() {
        mock.version(0, 114);
        PjrtPlugin p = plugin();
        assertThat(p.apiVersion()).isEqualTo("0.114");
        try (PjrtClient c = p.createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            try (PjrtExecutable dot = c.compile(PjrtBindingTest.DOT, CompileOptions.singleDevice(d.id()));
                 PjrtBuffer x = c.toDevice(HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), d);
                 PjrtBuffer y = c.toDevice(HostData.ofFloats(new long[] {3, 2}, 7, 8, 9, 10, 11, 12), d);
                 PjrtBuffer r = dot.execute(x, y).getFirst()) {
                // [[1,2,3],[4,5,6]] . [[7,8],[9,10],[11,12]], by hand.
                assertThat(r.toHost().floats()).containsExactly(58, 64, 139, 154);
                PjrtExecutable.CompiledMemoryStats m = dot.memoryStats();
                // The mock writes 1001, 1002, ... into every field the caller's struct has: all 15 of 0.114.
                assertThat(new long[] {m.totalBytes(), m.totalAllocationBytes(), m.indefiniteAllocations(), m.peakUnpaddedHeapBytes()})
                        .containsExactly(1012, 1013, 1014, 1015);
            }
        }
    }

    @Test
    void aNamedValueShorterThanItsFieldsIsRefusedNotReadPastItsEnd() {
        mock.fail("short_named_value");   // attribute #2 reports struct_size 40: its value and value_size lie past it
        PjrtException e = catchThrowableOfType(PjrtException.class, () -> plugin().attributes());
        assertThat(e.call()).isEqualTo("PJRT_Plugin_Attributes");
        assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
        assertThat(e.pluginMessage()).isEqualTo("PJRT_NamedValue #2 of 5 reports struct_size 40, smaller than the 56 bytes of the fields hlo4j reads");
        mock.fail(null);
        assertThat(plugin().attributes()).hasSize(5);
    }

    @Test
    void aNamedValueLongerThanHlo4jsElementIsRefusedNotReadAtTheWrongStride() {
        mock.fail("long_named_value");    // attribute #1 reports 64: the array's next element would start elsewhere
        PjrtException e = catchThrowableOfType(PjrtException.class, () -> plugin().attributes());
        assertThat(e.call()).isEqualTo("PJRT_Plugin_Attributes");
        assertThat(e.code()).isEqualTo(PjrtErrorCode.UNIMPLEMENTED);
        assertThat(e.pluginMessage()).isEqualTo("PJRT_NamedValue #1 of 5 reports struct_size 64, larger than the 56 bytes hlo4j steps by: a newer PJRT_NamedValue layout");
        mock.fail(null);
        assertThat(plugin().attributes()).hasSize(5);
    }

    @Test
    void structSizesAreThoseOfTheNewestHeader() {
        // gcc's offsetof + sizeof of the last field over pjrt_c_api.h 0.114.
        assertThat(Abi.EXECUTE_OPTIONS.structSize()).isEqualTo(144);
        assertThat(Abi.MEMORY_STATS.structSize()).isEqualTo(144);
        assertThat(Abi.EXECUTABLE_DESERIALIZE.structSize()).isEqualTo(72);
        assertThat(Arrays.stream(Abi.Fn.values()).mapToInt(f -> f.slot).max().orElseThrow()).isLessThan(138);
    }
}
