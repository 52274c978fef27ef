package io.hlo4j.runtime.pjrt;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The parts of pjrt_c_api.h (version 0.114, x86-64 LP64; checked field by field against gcc's offsetof
 * over that header, openxla/xla main of 2026-07-22) this binding uses: the Args structs, written from the
 * header's field lists ({@code size_t} as JAVA_LONG, enums and {@code int} as JAVA_INT), and the
 * function-table slots. Every struct carries all fields of the newest header, so its struct_size is >= what
 * any plugin up to 0.114 expects: plugins accept a larger struct_size and refuse a smaller one ("Unexpected
 * ... size"), and the fields a plugin does not know are zero. Two structs grew after 0.95 and a 0.95-sized
 * one is refused by a newer plugin: PJRT_ExecuteOptions (0.97, 0.108, 0.112) and
 * PJRT_Executable_GetCompiledMemoryStats_Args (0.104).
 */
final class Abi {
    private Abi() {}

    static final int MAJOR = 0;
    static final int MINOR = 114;
    /** 0.57 rearranged the function table; nothing older can be called through these slots. */
    static final int MIN_MINOR = 57;

    /** Offsets inside {@code PJRT_Api}: its embedded {@code PJRT_Api_Version} and the first slot. */
    static final long API_MAJOR = 32, API_MINOR = 36, API_FIRST_SLOT = 40;

    /** Slots of the PJRT_Api function table (index i lives at byte 40 + 8 i). */
    enum Fn {
        PJRT_Error_Destroy(0), PJRT_Error_Message(1), PJRT_Error_GetCode(2), PJRT_Plugin_Initialize(3),
        PJRT_Plugin_Attributes(4), PJRT_Event_Destroy(5), PJRT_Event_IsReady(6), PJRT_Event_Error(7),
        PJRT_Event_Await(8), PJRT_Event_OnReady(9), PJRT_Client_Create(10), PJRT_Client_Destroy(11), PJRT_Client_PlatformName(12), PJRT_Client_ProcessIndex(13),
        PJRT_Client_PlatformVersion(14), PJRT_Client_Devices(15), PJRT_Client_AddressableDevices(16),
        PJRT_Client_Compile(20), PJRT_Client_BufferFromHostBuffer(22), PJRT_DeviceDescription_Id(23), PJRT_DeviceDescription_ProcessIndex(24),
        PJRT_DeviceDescription_Kind(26), PJRT_Device_GetDescription(29), PJRT_Executable_Destroy(40),
        PJRT_Executable_NumOutputs(44), PJRT_Executable_GetCostAnalysis(46), PJRT_Executable_OptimizedProgram(48), PJRT_Executable_Serialize(49), PJRT_LoadedExecutable_Destroy(50), PJRT_LoadedExecutable_GetExecutable(51),
        PJRT_LoadedExecutable_AddressableDevices(52), PJRT_LoadedExecutable_Execute(55), PJRT_Executable_DeserializeAndLoad(56), PJRT_Buffer_Destroy(58),
        PJRT_Buffer_ElementType(59), PJRT_Buffer_Dimensions(60), PJRT_Buffer_ToHostBuffer(70),
        PJRT_Buffer_ReadyEvent(72), PJRT_Executable_GetCompiledMemoryStats(96);

        final int slot;

        Fn(int slot) { this.slot = slot; }
    }

    static final CStruct ERROR_DESTROY = CStruct.args("PJRT_Error_Destroy_Args", "error", ADDRESS);
    static final CStruct ERROR_MESSAGE = CStruct.args("PJRT_Error_Message_Args",
            "error", ADDRESS, "message", ADDRESS, "message_size", JAVA_LONG);
    static final CStruct ERROR_GET_CODE = CStruct.args("PJRT_Error_GetCode_Args", "error", ADDRESS, "code", JAVA_INT);
    static final CStruct NAMED_VALUE = CStruct.args("PJRT_NamedValue",
            "name", ADDRESS, "name_size", JAVA_LONG, "type", JAVA_INT, "value", JAVA_LONG, "value_size", JAVA_LONG);
    static final CStruct PLUGIN_INITIALIZE = CStruct.args("PJRT_Plugin_Initialize_Args");
    static final CStruct PLUGIN_ATTRIBUTES = CStruct.args("PJRT_Plugin_Attributes_Args",
            "attributes", ADDRESS, "num_attributes", JAVA_LONG);
    /** Event_Destroy, Event_Await and Event_Error share this shape. */
    static final CStruct EVENT = CStruct.args("PJRT_Event_Destroy_Args", "event", ADDRESS);
    static final CStruct EVENT_IS_READY = CStruct.args("PJRT_Event_IsReady_Args", "event", ADDRESS, "is_ready", JAVA_BOOLEAN);
    static final CStruct EVENT_ON_READY = CStruct.args("PJRT_Event_OnReady_Args",
            "event", ADDRESS, "callback", ADDRESS, "user_arg", ADDRESS);
    static final CStruct CLIENT_CREATE = CStruct.args("PJRT_Client_Create_Args",
            "create_options", ADDRESS, "num_options", JAVA_LONG, "kv_get_callback", ADDRESS, "kv_get_user_arg", ADDRESS,
            "kv_put_callback", ADDRESS, "kv_put_user_arg", ADDRESS, "client", ADDRESS,
            "kv_try_get_callback", ADDRESS, "kv_try_get_user_arg", ADDRESS);
    /**
     * The key-value callbacks' arguments, as the plugin passes them to the callbacks given in PJRT_Client_Create (the
     * header's field lists; STRUCT_SIZE 80, 64 and 72). {@code callback_error} points to the plugin's
     * {@code PJRT_CallbackError} function pointer, through which a callback's failure becomes a PJRT_Error.
     */
    static final CStruct KV_GET = CStruct.args("PJRT_KeyValueGetCallback_Args",
            "key", ADDRESS, "key_size", JAVA_LONG, "timeout_in_ms", JAVA_INT, "callback_error", ADDRESS, "user_arg", ADDRESS,
            "value", ADDRESS, "value_size", JAVA_LONG, "value_deleter_callback", ADDRESS);
    static final CStruct KV_PUT = CStruct.args("PJRT_KeyValuePutCallback_Args",
            "key", ADDRESS, "key_size", JAVA_LONG, "value", ADDRESS, "value_size", JAVA_LONG, "callback_error", ADDRESS, "user_arg", ADDRESS);
    static final CStruct KV_TRY_GET = CStruct.args("PJRT_KeyValueTryGetCallback_Args",
            "key", ADDRESS, "key_size", JAVA_LONG, "callback_error", ADDRESS, "user_arg", ADDRESS,
            "value", ADDRESS, "value_size", JAVA_LONG, "value_deleter_callback", ADDRESS);
    /** PJRT_Client_Create_Args gained kv_try_get_callback and its user arg at 0.61: an older plugin gets them NULL. */
    static final int KV_TRY_GET_MINOR = 61;
    static final CStruct CLIENT_PROCESS_INDEX = CStruct.args("PJRT_Client_ProcessIndex_Args", "client", ADDRESS, "process_index", JAVA_INT);
    static final CStruct DESCRIPTION_PROCESS_INDEX = CStruct.args("PJRT_DeviceDescription_ProcessIndex_Args",
            "device_description", ADDRESS, "process_index", JAVA_INT);
    static final CStruct CLIENT_DESTROY = CStruct.args("PJRT_Client_Destroy_Args", "client", ADDRESS);
    /** PlatformName and PlatformVersion share this shape. */
    static final CStruct CLIENT_STRING = CStruct.args("PJRT_Client_PlatformName_Args",
            "client", ADDRESS, "value", ADDRESS, "value_size", JAVA_LONG);
    /** Devices and AddressableDevices share this shape. */
    static final CStruct CLIENT_DEVICES = CStruct.args("PJRT_Client_Devices_Args",
            "client", ADDRESS, "devices", ADDRESS, "num_devices", JAVA_LONG);
    static final CStruct DEVICE_GET_DESCRIPTION = CStruct.args("PJRT_Device_GetDescription_Args",
            "device", ADDRESS, "device_description", ADDRESS);
    static final CStruct DESCRIPTION_ID = CStruct.args("PJRT_DeviceDescription_Id_Args",
            "device_description", ADDRESS, "id", JAVA_INT);
    static final CStruct DESCRIPTION_KIND = CStruct.args("PJRT_DeviceDescription_Kind_Args",
            "device_description", ADDRESS, "device_kind", ADDRESS, "device_kind_size", JAVA_LONG);
    static final CStruct PROGRAM = CStruct.args("PJRT_Program",
            "code", ADDRESS, "code_size", JAVA_LONG, "format", ADDRESS, "format_size", JAVA_LONG);
    static final CStruct CLIENT_COMPILE = CStruct.args("PJRT_Client_Compile_Args",
            "client", ADDRESS, "program", ADDRESS, "compile_options", ADDRESS, "compile_options_size", JAVA_LONG,
            "executable", ADDRESS);
    static final CStruct BUFFER_FROM_HOST = CStruct.args("PJRT_Client_BufferFromHostBuffer_Args",
            "client", ADDRESS, "data", ADDRESS, "type", JAVA_INT, "dims", ADDRESS, "num_dims", JAVA_LONG,
            "byte_strides", ADDRESS, "num_byte_strides", JAVA_LONG, "host_buffer_semantics", JAVA_INT,
            "device", ADDRESS, "memory", ADDRESS, "device_layout", ADDRESS, "done_with_host_buffer", ADDRESS,
            "buffer", ADDRESS);
    static final CStruct GET_EXECUTABLE = CStruct.args("PJRT_LoadedExecutable_GetExecutable_Args",
            "loaded_executable", ADDRESS, "executable", ADDRESS);
    static final CStruct NUM_OUTPUTS = CStruct.args("PJRT_Executable_NumOutputs_Args",
            "executable", ADDRESS, "num_outputs", JAVA_LONG);
    static final CStruct LOADED_DEVICES = CStruct.args("PJRT_LoadedExecutable_AddressableDevices_Args",
            "executable", ADDRESS, "addressable_devices", ADDRESS, "num_addressable_devices", JAVA_LONG);
    static final CStruct EXECUTE_OPTIONS = CStruct.args("PJRT_ExecuteOptions",
            "send_callbacks", ADDRESS, "recv_callbacks", ADDRESS, "num_send_ops", JAVA_LONG, "num_recv_ops", JAVA_LONG,
            "launch_id", JAVA_INT, "non_donatable_input_indices", ADDRESS, "num_non_donatable_input_indices", JAVA_LONG,
            "context", ADDRESS, "call_location", ADDRESS, "num_tasks", JAVA_LONG, "task_ids", ADDRESS,
            "incarnation_ids", ADDRESS, "multi_slice_config", ADDRESS, "use_major_to_minor_data_layout_for_callbacks", JAVA_BOOLEAN,
            "hlo_output_callbacks", ADDRESS, "num_hlo_output_callbacks", JAVA_LONG);
    static final CStruct EXECUTE = CStruct.args("PJRT_LoadedExecutable_Execute_Args",
            "executable", ADDRESS, "options", ADDRESS, "argument_lists", ADDRESS, "num_devices", JAVA_LONG,
            "num_args", JAVA_LONG, "output_lists", ADDRESS, "device_complete_events", ADDRESS, "execute_device", ADDRESS);
    static final CStruct OPTIMIZED_PROGRAM = CStruct.args("PJRT_Executable_OptimizedProgram_Args",
            "executable", ADDRESS, "program", ADDRESS);
    static final CStruct COST_ANALYSIS = CStruct.args("PJRT_Executable_GetCostAnalysis_Args",
            "executable", ADDRESS, "num_properties", JAVA_LONG, "properties", ADDRESS);
    /** Output fields a plugin older than the field leaves alone: they read 0 (the struct is zero-filled). */
    static final CStruct MEMORY_STATS = CStruct.args("PJRT_Executable_GetCompiledMemoryStats_Args",
            "executable", ADDRESS, "generated_code_size_in_bytes", JAVA_LONG, "argument_size_in_bytes", JAVA_LONG,
            "output_size_in_bytes", JAVA_LONG, "alias_size_in_bytes", JAVA_LONG, "temp_size_in_bytes", JAVA_LONG,
            "host_generated_code_size_in_bytes", JAVA_LONG, "host_argument_size_in_bytes", JAVA_LONG,
            "host_output_size_in_bytes", JAVA_LONG, "host_alias_size_in_bytes", JAVA_LONG, "host_temp_size_in_bytes", JAVA_LONG,
            "peak_memory_in_bytes", JAVA_LONG, "total_size_in_bytes", JAVA_LONG, "total_allocation_bytes", JAVA_LONG,
            "indefinite_allocations", JAVA_LONG, "peak_unpadded_heap_bytes", JAVA_LONG);
    static final CStruct EXECUTABLE_SERIALIZE = CStruct.args("PJRT_Executable_Serialize_Args",
            "executable", ADDRESS, "serialized_bytes", ADDRESS, "serialized_bytes_size", JAVA_LONG,
            "serialized_executable", ADDRESS, "serialized_executable_deleter", ADDRESS);
    /**
     * Newer headers append the override/load-option fields; sending them (NULL/0) keeps the struct at
     * least as large as any plugin expects, and older plugins accept the larger size.
     */
    static final CStruct EXECUTABLE_DESERIALIZE = CStruct.args("PJRT_Executable_DeserializeAndLoad_Args",
            "client", ADDRESS, "serialized_executable", ADDRESS, "serialized_executable_size", JAVA_LONG,
            "loaded_executable", ADDRESS, "overridden_serialized_compile_options", ADDRESS,
            "overridden_serialized_compile_options_size", JAVA_LONG, "load_options", ADDRESS);
    /** Executable_Destroy and LoadedExecutable_Destroy share this shape. */
    static final CStruct EXECUTABLE_DESTROY = CStruct.args("PJRT_Executable_Destroy_Args", "executable", ADDRESS);
    static final CStruct BUFFER_DESTROY = CStruct.args("PJRT_Buffer_Destroy_Args", "buffer", ADDRESS);
    static final CStruct BUFFER_ELEMENT_TYPE = CStruct.args("PJRT_Buffer_ElementType_Args", "buffer", ADDRESS, "type", JAVA_INT);
    static final CStruct BUFFER_DIMENSIONS = CStruct.args("PJRT_Buffer_Dimensions_Args",
            "buffer", ADDRESS, "dims", ADDRESS, "num_dims", JAVA_LONG);
    static final CStruct BUFFER_TO_HOST = CStruct.args("PJRT_Buffer_ToHostBuffer_Args",
            "src", ADDRESS, "host_layout", ADDRESS, "dst", ADDRESS, "dst_size", JAVA_LONG, "event", ADDRESS);
    static final CStruct BUFFER_READY_EVENT = CStruct.args("PJRT_Buffer_ReadyEvent_Args", "buffer", ADDRESS, "event", ADDRESS);

    /** {@code PJRT_NamedValue_Type}. */
    static final int NV_STRING = 0, NV_INT64 = 1, NV_INT64_LIST = 2, NV_FLOAT = 3, NV_BOOL = 4;

    /** {@code PJRT_HostBufferSemantics::kImmutableOnlyDuringCall}: the plugin copies during the call. */
    static final int IMMUTABLE_ONLY_DURING_CALL = 0;
}
