package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java struct layouts against the offsets and sizes gcc computed for pjrt_c_api.h 0.114 (0.95's, reference 1.3, plus later fields). */
class AbiLayoutTest {

    @Test
    void structSizesMatchTheHeader() {
        assertThat(Abi.ERROR_DESTROY.structSize()).isEqualTo(24);
        assertThat(Abi.ERROR_MESSAGE.structSize()).isEqualTo(40);
        assertThat(Abi.ERROR_GET_CODE.structSize()).isEqualTo(28);
        assertThat(Abi.ERROR_GET_CODE.sizeOf()).isEqualTo(32);
        assertThat(Abi.NAMED_VALUE.structSize()).isEqualTo(56);
        assertThat(Abi.PLUGIN_INITIALIZE.structSize()).isEqualTo(16);
        assertThat(Abi.PLUGIN_ATTRIBUTES.structSize()).isEqualTo(32);
        assertThat(Abi.EVENT.structSize()).isEqualTo(24);
        assertThat(Abi.EVENT_IS_READY.structSize()).isEqualTo(25);
        assertThat(Abi.EVENT_IS_READY.sizeOf()).isEqualTo(32);
        assertThat(Abi.CLIENT_CREATE.structSize()).isEqualTo(88);
        assertThat(Abi.CLIENT_DESTROY.structSize()).isEqualTo(24);
        assertThat(Abi.CLIENT_STRING.structSize()).isEqualTo(40);
        assertThat(Abi.CLIENT_DEVICES.structSize()).isEqualTo(40);
        assertThat(Abi.DEVICE_GET_DESCRIPTION.structSize()).isEqualTo(32);
        assertThat(Abi.DESCRIPTION_ID.structSize()).isEqualTo(28);
        assertThat(Abi.DESCRIPTION_KIND.structSize()).isEqualTo(40);
        assertThat(Abi.PROGRAM.structSize()).isEqualTo(48);
        assertThat(Abi.CLIENT_COMPILE.structSize()).isEqualTo(56);
        assertThat(Abi.BUFFER_FROM_HOST.structSize()).isEqualTo(120);
        assertThat(Abi.GET_EXECUTABLE.structSize()).isEqualTo(32);
        assertThat(Abi.NUM_OUTPUTS.structSize()).isEqualTo(32);
        assertThat(Abi.LOADED_DEVICES.structSize()).isEqualTo(40);
        assertThat(Abi.EXECUTE_OPTIONS.structSize()).isEqualTo(144);
        assertThat(Abi.EXECUTE.structSize()).isEqualTo(80);
        assertThat(Abi.EXECUTABLE_DESTROY.structSize()).isEqualTo(24);
        assertThat(Abi.BUFFER_DESTROY.structSize()).isEqualTo(24);
        assertThat(Abi.BUFFER_ELEMENT_TYPE.structSize()).isEqualTo(28);
        assertThat(Abi.BUFFER_DIMENSIONS.structSize()).isEqualTo(40);
        assertThat(Abi.BUFFER_TO_HOST.structSize()).isEqualTo(56);
        assertThat(Abi.BUFFER_READY_EVENT.structSize()).isEqualTo(32);
        assertThat(Abi.EVENT_ON_READY.structSize()).isEqualTo(40);
        // From the header's field lists: 5 pointer-sized fields after the common header.
        assertThat(Abi.EXECUTABLE_SERIALIZE.structSize()).isEqualTo(56);
        assertThat(Abi.EXECUTABLE_DESERIALIZE.off("loaded_executable")).isEqualTo(40);
        assertThat(Abi.EXECUTABLE_DESERIALIZE.structSize()).isEqualTo(72);
        assertThat(Abi.COST_ANALYSIS.structSize()).isEqualTo(40);
        assertThat(Abi.MEMORY_STATS.off("host_temp_size_in_bytes")).isEqualTo(96);
        assertThat(Abi.MEMORY_STATS.off("total_size_in_bytes")).isEqualTo(112);
        assertThat(Abi.MEMORY_STATS.off("peak_unpadded_heap_bytes")).isEqualTo(136);
        assertThat(Abi.MEMORY_STATS.structSize()).isEqualTo(144);
    }

    @Test
    void fieldOffsetsMatchTheHeader() {
        assertThat(Abi.NAMED_VALUE.off("type")).isEqualTo(32);
        assertThat(Abi.NAMED_VALUE.off("value")).isEqualTo(40);
        assertThat(Abi.NAMED_VALUE.off("value_size")).isEqualTo(48);
        assertThat(Abi.CLIENT_CREATE.off("client")).isEqualTo(64);
        assertThat(Abi.CLIENT_CREATE.off("kv_try_get_user_arg")).isEqualTo(80);
        assertThat(Abi.CLIENT_COMPILE.off("compile_options_size")).isEqualTo(40);
        assertThat(Abi.BUFFER_FROM_HOST.off("type")).isEqualTo(32);
        assertThat(Abi.BUFFER_FROM_HOST.off("dims")).isEqualTo(40);
        assertThat(Abi.BUFFER_FROM_HOST.off("host_buffer_semantics")).isEqualTo(72);
        assertThat(Abi.BUFFER_FROM_HOST.off("device")).isEqualTo(80);
        assertThat(Abi.BUFFER_FROM_HOST.off("done_with_host_buffer")).isEqualTo(104);
        assertThat(Abi.BUFFER_FROM_HOST.off("buffer")).isEqualTo(112);
        assertThat(Abi.EXECUTE_OPTIONS.off("launch_id")).isEqualTo(48);
        assertThat(Abi.EXECUTE_OPTIONS.off("non_donatable_input_indices")).isEqualTo(56);
        assertThat(Abi.EXECUTE_OPTIONS.off("incarnation_ids")).isEqualTo(104);
        assertThat(Abi.EXECUTE_OPTIONS.off("multi_slice_config")).isEqualTo(112);
        assertThat(Abi.EXECUTE_OPTIONS.off("use_major_to_minor_data_layout_for_callbacks")).isEqualTo(120);
        assertThat(Abi.EXECUTE_OPTIONS.off("hlo_output_callbacks")).isEqualTo(128);
        assertThat(Abi.EXECUTE_OPTIONS.off("num_hlo_output_callbacks")).isEqualTo(136);
        assertThat(Abi.EXECUTE.off("output_lists")).isEqualTo(56);
        assertThat(Abi.EXECUTE.off("device_complete_events")).isEqualTo(64);
        assertThat(Abi.EXECUTE.off("execute_device")).isEqualTo(72);
        assertThat(Abi.BUFFER_TO_HOST.off("dst_size")).isEqualTo(40);
        assertThat(Abi.BUFFER_TO_HOST.off("event")).isEqualTo(48);
        assertThat(Abi.ERROR_MESSAGE.off("message_size")).isEqualTo(32);
    }

    /** The key-value callbacks' args (pjrt_c_api.h field lists, counted by hand: 8-byte fields, one 4-byte int padded to 8). */
    @Test
    void keyValueCallbackArgsMatchTheHeader() {
        assertThat(Abi.KV_GET.off("key_size")).isEqualTo(24);
        assertThat(Abi.KV_GET.off("timeout_in_ms")).isEqualTo(32);
        assertThat(Abi.KV_GET.off("callback_error")).isEqualTo(40);
        assertThat(Abi.KV_GET.off("user_arg")).isEqualTo(48);
        assertThat(Abi.KV_GET.off("value")).isEqualTo(56);
        assertThat(Abi.KV_GET.off("value_size")).isEqualTo(64);
        assertThat(Abi.KV_GET.structSize()).isEqualTo(80);
        assertThat(Abi.KV_PUT.off("value")).isEqualTo(32);
        assertThat(Abi.KV_PUT.off("callback_error")).isEqualTo(48);
        assertThat(Abi.KV_PUT.structSize()).isEqualTo(64);
        assertThat(Abi.KV_TRY_GET.off("callback_error")).isEqualTo(32);
        assertThat(Abi.KV_TRY_GET.off("value")).isEqualTo(48);
        assertThat(Abi.KV_TRY_GET.structSize()).isEqualTo(72);
        assertThat(Abi.CLIENT_CREATE.off("kv_get_callback")).isEqualTo(32);
        assertThat(Abi.CLIENT_CREATE.off("kv_put_user_arg")).isEqualTo(56);
        assertThat(Abi.CLIENT_CREATE.off("kv_try_get_callback")).isEqualTo(72);
        assertThat(Abi.CLIENT_PROCESS_INDEX.structSize()).isEqualTo(28);
        assertThat(Abi.DESCRIPTION_PROCESS_INDEX.structSize()).isEqualTo(28);
        assertThat(Abi.Fn.PJRT_Client_ProcessIndex.slot * 8 + 40).isEqualTo(144);
        assertThat(Abi.Fn.PJRT_DeviceDescription_ProcessIndex.slot * 8 + 40).isEqualTo(232);
    }

    @Test
    void tableSlotsMatchTheHeader() {
        assertThat(Abi.Fn.PJRT_Client_Compile.slot * 8 + 40).isEqualTo(200);
        assertThat(Abi.Fn.PJRT_Client_BufferFromHostBuffer.slot * 8 + 40).isEqualTo(216);
        assertThat(Abi.Fn.PJRT_LoadedExecutable_Execute.slot * 8 + 40).isEqualTo(480);
        assertThat(Abi.Fn.PJRT_Buffer_ToHostBuffer.slot * 8 + 40).isEqualTo(600);
        assertThat(Abi.Fn.PJRT_Buffer_ReadyEvent.slot * 8 + 40).isEqualTo(616);
        assertThat(Abi.Fn.PJRT_Device_GetDescription.slot * 8 + 40).isEqualTo(272);
    }
}
