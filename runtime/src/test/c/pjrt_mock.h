// What the files of the mock PJRT plugin share: the PJRT C API 0.95 layouts it implements, its own
// objects, the live-object counters and the injection list, and the helpers every call uses. Nothing
// here is exported from the library (hidden visibility): only pjrt_mock.c's GetPjrtApi and test hooks are.
#ifndef HLO4J_PJRT_MOCK_H
#define HLO4J_PJRT_MOCK_H

#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <pthread.h>
#include <time.h>

#pragma GCC visibility push(hidden)

// ---------------------------------------------------------------- layouts (header 0.114)
// Each struct has its newest fields (pjrt_c_api.h 0.114, read 2026-07-22). Like a real plugin, the mock asks of
// a caller the struct size of the header it reports being built with (mock_pjrt_set_version): see min_size.
#define HDR size_t struct_size; void *extension_start

typedef struct Err { int code; char *msg; size_t len; } Err;
// An event is complete (ready) or pending; a pending one is completed by its own thread. It is freed
// when both its owner (Event_Destroy) and, if pending, the completing thread have let go of it.
typedef struct Waiter { void (*cb)(Err *, void *); void *arg; Err *status; struct Waiter *next; } Waiter;
typedef struct Event { uint32_t magic; Err *status; pthread_mutex_t mu; pthread_cond_t cv; bool ready, watched; int refs; Waiter *waiters; } Event;
typedef struct Device Device;
typedef struct Client Client;
typedef struct Buffer Buffer;
typedef struct Exec Exec;
typedef struct Loaded Loaded;

typedef struct { HDR; const char *name; size_t name_size; int type; union { const char *s; int64_t i; const int64_t *ia; float f; bool b; } v; size_t value_size; } NamedValue;
typedef struct { HDR; Err *error; } Error_Destroy_Args;
typedef struct { HDR; const Err *error; const char *message; size_t message_size; } Error_Message_Args;
typedef struct { HDR; const Err *error; int code; } Error_GetCode_Args;
typedef struct { HDR; } Plugin_Initialize_Args;
typedef struct { HDR; const NamedValue *attributes; size_t num_attributes; } Plugin_Attributes_Args;
typedef struct { HDR; Event *event; } Event_Args;
typedef struct { HDR; Event *event; bool is_ready; } Event_IsReady_Args;
typedef struct { HDR; Event *event; void (*callback)(Err *, void *); void *user_arg; } Event_OnReady_Args;
typedef struct { HDR; const NamedValue *create_options; size_t num_options; void *kv_get; void *kv_get_arg; void *kv_put; void *kv_put_arg; Client *client; void *kv_try_get; void *kv_try_get_arg; } Client_Create_Args;
typedef struct { HDR; Client *client; } Client_Destroy_Args;
typedef struct { HDR; Client *client; int process_index; } Client_ProcessIndex_Args;
typedef struct { HDR; Device *description; int process_index; } DeviceDescription_ProcessIndex_Args;
// The key-value callbacks the caller of PJRT_Client_Create gives (pjrt_c_api.h): a failure comes back as the
// PJRT_Error* the callback makes through the plugin's PJRT_CallbackError (a pointer to that function pointer).
typedef Err *(*CallbackError)(int code, const char *message, size_t message_size);
typedef struct { HDR; const char *key; size_t key_size; int timeout_in_ms; CallbackError *callback_error; void *user_arg; char *value; size_t value_size; void (*value_deleter_callback)(char *); } KvGet_Args;
typedef struct { HDR; const char *key; size_t key_size; const char *value; size_t value_size; CallbackError *callback_error; void *user_arg; } KvPut_Args;
typedef struct { HDR; const char *key; size_t key_size; CallbackError *callback_error; void *user_arg; char *value; size_t value_size; void (*value_deleter_callback)(char *); } KvTryGet_Args;
typedef Err *(*KvGet)(KvGet_Args *);
typedef Err *(*KvPut)(KvPut_Args *);
typedef Err *(*KvTryGet)(KvTryGet_Args *);
typedef struct { HDR; Client *client; const char *str; size_t str_size; } Client_String_Args;
typedef struct { HDR; Client *client; Device *const *devices; size_t num_devices; } Client_Devices_Args;
typedef struct { HDR; Device *device; Device *description; } Device_GetDescription_Args;
typedef struct { HDR; Device *description; int id; } DeviceDescription_Id_Args;
typedef struct { HDR; Device *description; const char *kind; size_t kind_size; } DeviceDescription_Kind_Args;
typedef struct { HDR; char *code; size_t code_size; const char *format; size_t format_size; } Program;
typedef struct { HDR; Client *client; const Program *program; const char *options; size_t options_size; Loaded *executable; } Client_Compile_Args;
typedef struct { HDR; Client *client; const void *data; int type; const int64_t *dims; size_t num_dims; const int64_t *byte_strides; size_t num_byte_strides; int semantics; Device *device; void *memory; void *device_layout; Event *done_with_host_buffer; Buffer *buffer; } BufferFromHost_Args;
typedef struct { HDR; Loaded *loaded; Exec *executable; } GetExecutable_Args;
typedef struct { HDR; Exec *executable; size_t num_outputs; } NumOutputs_Args;
typedef struct { HDR; Loaded *executable; Device *const *devices; size_t num_devices; } Loaded_Devices_Args;
typedef struct { HDR; void *send_callbacks; void *recv_callbacks; size_t num_send_ops; size_t num_recv_ops; int launch_id; const int64_t *non_donatable; size_t num_non_donatable; void *context; const char *call_location; size_t num_tasks; int *task_ids; int64_t *incarnation_ids; void *multi_slice_config; bool use_major_to_minor_data_layout_for_callbacks; void *hlo_output_callbacks; size_t num_hlo_output_callbacks; } ExecuteOptions;
typedef struct { HDR; Loaded *executable; ExecuteOptions *options; Buffer *const *const *argument_lists; size_t num_devices; size_t num_args; Buffer **const *output_lists; Event **device_complete_events; Device *execute_device; } Execute_Args;
typedef struct { HDR; Exec *executable; } Exec_Destroy_Args;
typedef struct { HDR; Exec *executable; size_t num_properties; const NamedValue *properties; } CostAnalysis_Args;
typedef struct { HDR; Exec *executable; int64_t v[15]; } MemoryStats_Args;
typedef struct { HDR; Exec *executable; Program *program; } OptimizedProgram_Args;
typedef struct Serialized Serialized;
typedef struct { HDR; const Exec *executable; const char *bytes; size_t bytes_size; Serialized *serialized; void (*deleter)(Serialized *); } Serialize_Args;
typedef struct { HDR; Client *client; const char *bytes; size_t bytes_size; Loaded *loaded; const char *overridden_options; size_t overridden_options_size; void *load_options; } Deserialize_Args;
typedef struct { HDR; Loaded *executable; } Loaded_Destroy_Args;
typedef struct { HDR; Buffer *buffer; } Buffer_Destroy_Args;
typedef struct { HDR; Buffer *buffer; int type; } Buffer_ElementType_Args;
typedef struct { HDR; Buffer *buffer; const int64_t *dims; size_t num_dims; } Buffer_Dimensions_Args;
typedef struct { HDR; Buffer *src; void *host_layout; void *dst; size_t dst_size; Event *event; } Buffer_ToHost_Args;
typedef struct { HDR; Buffer *buffer; Event *event; } Buffer_ReadyEvent_Args;

// STRUCT_SIZE = offset of the last field + its size (the header's convention).
#define SS(T, last) (offsetof(T, last) + sizeof(((T *)0)->last))
// The offsets below are the reference's gcc-computed numbers: a mismatch breaks this build.
_Static_assert(sizeof(NamedValue) == 56 && offsetof(NamedValue, v) == 40, "NamedValue");
_Static_assert(SS(Error_GetCode_Args, code) == 28, "GetCode");
_Static_assert(SS(Client_Create_Args, kv_try_get_arg) == 88 && offsetof(Client_Create_Args, client) == 64, "Create");
_Static_assert(SS(Client_Compile_Args, executable) == 56, "Compile");
_Static_assert(SS(KvGet_Args, value_deleter_callback) == 80 && offsetof(KvGet_Args, callback_error) == 40 && offsetof(KvGet_Args, value) == 56, "KvGet");
_Static_assert(SS(KvPut_Args, user_arg) == 64 && offsetof(KvPut_Args, callback_error) == 48, "KvPut");
_Static_assert(SS(KvTryGet_Args, value_deleter_callback) == 72 && offsetof(KvTryGet_Args, callback_error) == 32, "KvTryGet");
_Static_assert(SS(Client_ProcessIndex_Args, process_index) == 28 && SS(DeviceDescription_ProcessIndex_Args, process_index) == 28, "ProcessIndex");
_Static_assert(SS(Program, format_size) == 48, "Program");
_Static_assert(SS(BufferFromHost_Args, buffer) == 120 && offsetof(BufferFromHost_Args, semantics) == 72, "FromHost");
_Static_assert(SS(ExecuteOptions, incarnation_ids) == 112 && offsetof(ExecuteOptions, launch_id) == 48, "ExecOpts");
_Static_assert(SS(ExecuteOptions, multi_slice_config) == 120 && SS(ExecuteOptions, use_major_to_minor_data_layout_for_callbacks) == 121 &&
               SS(ExecuteOptions, num_hlo_output_callbacks) == 144, "ExecOpts 0.97/0.108/0.112");
_Static_assert(SS(Execute_Args, execute_device) == 80, "Execute");
_Static_assert(SS(Buffer_ToHost_Args, event) == 56, "ToHost");
_Static_assert(SS(Event_IsReady_Args, is_ready) == 25, "IsReady");
_Static_assert(SS(Event_OnReady_Args, user_arg) == 40, "OnReady");
_Static_assert(SS(CostAnalysis_Args, properties) == 40 && SS(MemoryStats_Args, v[9]) == 104 && SS(MemoryStats_Args, v[11]) == 120 &&
               sizeof(MemoryStats_Args) == 144, "Cost, MemoryStats 0.90/0.104");
_Static_assert(SS(Serialize_Args, deleter) == 56 && SS(Deserialize_Args, loaded) == 48, "Serialize");

// ---------------------------------------------------------------- objects and bookkeeping
enum { K_ERR, K_EVENT, K_CLIENT, K_LOADED, K_EXEC, K_BUFFER, K_SERIALIZED, K_COUNT };
#define MAGIC_DEVICE 0xDE71CE00u
#define MAGIC_CLIENT 0xC11E4700u
#define MAGIC_BUFFER 0xB0FFE400u
#define MAGIC_LOADED 0x10ADED00u
#define MAGIC_EXEC 0xE8EC0000u
#define MAGIC_EVENT 0xE7E47000u
#define MAX_DEVICES 8
#define MAX_DIMS 8

struct Device { uint32_t magic; int id; Client *client; int process; };
// implicit: option mock_program=implicit, the optimized program returned is the fixture with implicit replica groups.
// A client of a multi-process job (options num_nodes, node_id) lists every process's devices in device_ptrs and
// its own in addressable_ptrs.
struct Client { uint32_t magic; int num_devices; Device devices[MAX_DEVICES]; Device *device_ptrs[MAX_DEVICES]; char fail[64]; int num_addressable; bool implicit;
                int num_processes, process_index; Device *addressable_ptrs[MAX_DEVICES]; };
enum { PROG_ADD = 1, PROG_DOT = 2 };
// num_devices: replicas x partitions over the job; local: this process's devices among them, in assignment order.
// ids: the device assignment's ids, partition-major (num_devices of them), which serialization carries.
struct Loaded { uint32_t magic; Client *client; int program; int num_devices; int num_local; Device *local[MAX_DEVICES]; int64_t ids[MAX_DEVICES]; };
struct Exec { uint32_t magic; Loaded *loaded; NamedValue cost[2]; };
struct Buffer { uint32_t magic; Client *client; Device *device; int type; size_t num_dims; int64_t dims[MAX_DIMS]; size_t bytes; unsigned char *data; };

// The state tests read and set through the hooks (defined in pjrt_mock.c).
extern atomic_long live[K_COUNT];
// Counters (never decremented): 0 Event_Await calls that found their event pending, 1 OnReady
// callbacks queued on a pending event, 2 multi-process creates given a kv_try_get_callback.
extern atomic_long stats[3];
extern char fail_call[256];

enum { INVALID_ARGUMENT = 3, NOT_FOUND = 5, FAILED_PRECONDITION = 9, UNIMPLEMENTED = 12, INTERNAL = 13 };

#define CHECK_SIZE(T, args, last, name)                                                            \
  do {                                                                                           \
    if ((args) == NULL) return err(INVALID_ARGUMENT, "%s: args is NULL", name);                  \
    if ((args)->struct_size < SS(T, last))                                                       \
      return err(INVALID_ARGUMENT, "Unexpected %s size: expected %zu, got %zu", name, SS(T, last), \
                 (args)->struct_size);                                                           \
  } while (0)

#define ENTER(T, args, last, name, client)                                                       \
  CHECK_SIZE(T, args, last, name);                                                               \
  do {                                                                                           \
    Err *inj_ = injected(name, client);                                                          \
    if (inj_) return inj_;                                                                       \
  } while (0)

// The struct size a plugin built with header 0.<minor> asks of its caller: `sizes` lists (first minor, size)
// steps in increasing order; the mock's reported minor (reported_minor()) picks the last step it has reached.
size_t min_size(const size_t (*sizes)[2], size_t n);
int reported_minor(void);

#define TRY(x) do { Err *e_ = (x); if (e_) return e_; } while (0)

// ---------------------------------------------------------------- shared between the files
// mock_errors.c
Err *err(int code, const char *fmt, ...);
void err_free(Err *e);
Err *copy_err(const Err *e);
bool listed(const char *list, const char *name);
bool failing(const char *name);
Err *injected(const char *name, const Client *c);
Err *check_client(const Client *c, const char *name);
Err *check_buffer(const Buffer *b, const char *name);
Err *check_loaded(const Loaded *l, const char *name);
void Error_Destroy(Error_Destroy_Args *a);
void Error_Message(Error_Message_Args *a);
Err *Error_GetCode(Error_GetCode_Args *a);
// mock_events.c
Event *event_new(Err *status);
Err *Event_Destroy(Event_Args *a);
Err *Event_IsReady(Event_IsReady_Args *a);
Err *Event_Await(Event_Args *a);
Err *Event_Error(Event_Args *a);
Err *Event_OnReady(Event_OnReady_Args *a);
Event *event_out(const char *fail_name, const char *message);
// mock_client.c
Err *Plugin_Initialize(Plugin_Initialize_Args *a);
Err *Plugin_Attributes(Plugin_Attributes_Args *a);
Err *Client_Create(Client_Create_Args *a);
Err *Client_Destroy(Client_Destroy_Args *a);
Err *Client_PlatformName(Client_String_Args *a);
Err *Client_ProcessIndex(Client_ProcessIndex_Args *a);
Err *DeviceDescription_ProcessIndex(DeviceDescription_ProcessIndex_Args *a);
// mock_kv.c
Err *exchange_topology(Client *c, const Client_Create_Args *a, int timeout_ms);
Err *Client_PlatformVersion(Client_String_Args *a);
Err *Client_Devices(Client_Devices_Args *a);
Err *Client_AddressableDevices(Client_Devices_Args *a);
Err *check_device(const Device *d, const char *name);
Err *Device_GetDescription(Device_GetDescription_Args *a);
Err *DeviceDescription_Id(DeviceDescription_Id_Args *a);
Err *DeviceDescription_Kind(DeviceDescription_Kind_Args *a);
// mock_compile.c
Err *Client_Compile(Client_Compile_Args *a);
Err *Loaded_Destroy(Loaded_Destroy_Args *a);
Err *Loaded_GetExecutable(GetExecutable_Args *a);
Err *Exec_Destroy(Exec_Destroy_Args *a);
Err *Exec_NumOutputs(NumOutputs_Args *a);
Err *Loaded_AddressableDevices(Loaded_Devices_Args *a);
Err *Exec_CostAnalysis(CostAnalysis_Args *a);
Err *Exec_MemoryStats(MemoryStats_Args *a);
Err *Exec_OptimizedProgram(OptimizedProgram_Args *a);
Err *Exec_Serialize(Serialize_Args *a);
Err *Exec_DeserializeAndLoad(Deserialize_Args *a);
// mock_buffers.c
Buffer *buffer_new(Client *c, Device *d, int type, size_t nd, const int64_t *dims);
Err *Client_BufferFromHost(BufferFromHost_Args *a);
Err *Buffer_Destroy(Buffer_Destroy_Args *a);
Err *Buffer_ElementType(Buffer_ElementType_Args *a);
Err *Buffer_Dimensions(Buffer_Dimensions_Args *a);
Err *Buffer_ToHost(Buffer_ToHost_Args *a);
Err *Buffer_ReadyEvent(Buffer_ReadyEvent_Args *a);
// mock_execute.c
Err *Loaded_Execute(Execute_Args *a);

#pragma GCC visibility pop

#endif
