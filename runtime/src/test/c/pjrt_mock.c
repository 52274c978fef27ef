// A mock PJRT plugin for hlo4j's binding tests. Written for hlo4j from the field tables in
// shared/reference/pjrt-c-api.md (PJRT C API 0.95, LP64). It exports GetPjrtApi with the same
// table layout and Args structs as a real plugin, validates what the caller passes (struct sizes,
// handles, dims, element types, compile-option bytes), computes two real programs by value
// (element-wise add of two f32 tensors, a rank-2 f32 dot) recognised from the StableHLO text,
// injects an error into any named call on demand, and counts live objects so tests prove nothing
// leaks.
//
// Test hooks (plain exported C functions, called by the tests through FFM):
//   mock_pjrt_set_fail(names)       calls named in the comma-separated list fail (NULL or "" = none);
//                                   besides PJRT_* calls the list may name event behaviours:
//                                   ready_event_status (the buffer-ready event is complete, with an
//                                   error), execute_event_status, host_buffer_event_status,
//                                   to_host_event_status (execute's device_complete_events, the
//                                   done_with_host_buffer event, the to-host copy's event are handed
//                                   out pending and complete with an error from a mock thread, 20 ms
//                                   after their owner first awaits, registers a callback or destroys
//                                   them), ready_event_async_status (the same for the buffer-ready
//                                   event), async_events (all these events complete OK that way),
//                                   short_named_value (plugin attribute #2 reports a struct_size of 40),
//                                   long_named_value (attribute #1 reports sizeof + 8: a newer layout)
//   mock_pjrt_clear_slot(i)         NULLs slot i of the function table (a plugin lacking a call)
//   mock_pjrt_restore_slots()       fills the table again
//   mock_pjrt_stat(i)               0: awaits that blocked on a pending event, 1: OnReady callbacks
//                                   queued on a pending event, 2: multi-process creates given a
//                                   kv_try_get_callback (all only ever grow)
//   mock_pjrt_set_version(maj, min) version the table reports from now on (GetPjrtApi fills it once)
//   mock_pjrt_live(kind)            live objects: 0 errors 1 events 2 clients 3 loaded execs
//                                   4 execs 5 buffers 6 serialized executables
// The env var HLO4J_MOCK_PJRT_FAIL and the client create option "mock_fail" take the same kind of list.
// Create options num_nodes=P and node_id=p (the CUDA plugin's names) make a client process p of a P-process job
// (num_devices devices each, the others' not addressable), exchanging its topology through the key-value
// callbacks (mock_kv.c; each get bounded by mock_kv_timeout_ms, default 10000).
//
// The files, one concept each (built together into libpjrt_mock.so by runtime/pom.xml):
//   pjrt_mock.h      the API 0.95 layouts, the mock's objects, what the files share
//   pjrt_mock.c      this file: the function table (GetPjrtApi), the test hooks and their state
//   mock_errors.c    error objects, failure injection, handle checks, PJRT_Error_*
//   mock_events.c    complete and pending events, the completing thread, PJRT_Event_*
//   mock_client.c    plugin attributes, client creation and options, devices
//   mock_kv.c        a multi-process client's topology exchange through the caller's key-value callbacks
//   mock_compile.c   compile options (protobuf wire format), executables, serialization
//   mock_buffers.c   host-to-device buffers and PJRT_Buffer_*
//   mock_execute.c   the program evaluator (add, dot) and PJRT_LoadedExecutable_Execute
#include "pjrt_mock.h"

atomic_long live[K_COUNT];
atomic_long stats[3];
char fail_call[256];
static int version_major = 0, version_minor = 95;

// ---------------------------------------------------------------- the table
#define NUM_SLOTS 130
typedef struct {
  size_t struct_size;
  void *extension_start;
  struct { size_t struct_size; void *extension_start; int major, minor; } version;
  void *fn[NUM_SLOTS];
} Api;
_Static_assert(offsetof(Api, fn) == 40 && sizeof(Api) == 1080, "PJRT_Api");
static Api api;

static void fill_table(void) {
  api.fn[0] = (void *)Error_Destroy;
  api.fn[1] = (void *)Error_Message;
  api.fn[2] = (void *)Error_GetCode;
  api.fn[3] = (void *)Plugin_Initialize;
  api.fn[4] = (void *)Plugin_Attributes;
  api.fn[5] = (void *)Event_Destroy;
  api.fn[6] = (void *)Event_IsReady;
  api.fn[7] = (void *)Event_Error;
  api.fn[8] = (void *)Event_Await;
  api.fn[9] = (void *)Event_OnReady;
  api.fn[10] = (void *)Client_Create;
  api.fn[11] = (void *)Client_Destroy;
  api.fn[12] = (void *)Client_PlatformName;
  api.fn[13] = (void *)Client_ProcessIndex;
  api.fn[14] = (void *)Client_PlatformVersion;
  api.fn[15] = (void *)Client_Devices;
  api.fn[16] = (void *)Client_AddressableDevices;
  api.fn[20] = (void *)Client_Compile;
  api.fn[22] = (void *)Client_BufferFromHost;
  api.fn[23] = (void *)DeviceDescription_Id;
  api.fn[24] = (void *)DeviceDescription_ProcessIndex;
  api.fn[26] = (void *)DeviceDescription_Kind;
  api.fn[29] = (void *)Device_GetDescription;
  api.fn[40] = (void *)Exec_Destroy;
  api.fn[44] = (void *)Exec_NumOutputs;
  api.fn[46] = (void *)Exec_CostAnalysis;
  api.fn[48] = (void *)Exec_OptimizedProgram;
  api.fn[49] = (void *)Exec_Serialize;
  api.fn[50] = (void *)Loaded_Destroy;
  api.fn[51] = (void *)Loaded_GetExecutable;
  api.fn[52] = (void *)Loaded_AddressableDevices;
  api.fn[55] = (void *)Loaded_Execute;
  api.fn[56] = (void *)Exec_DeserializeAndLoad;
  api.fn[58] = (void *)Buffer_Destroy;
  api.fn[59] = (void *)Buffer_ElementType;
  api.fn[60] = (void *)Buffer_Dimensions;
  api.fn[70] = (void *)Buffer_ToHost;
  api.fn[72] = (void *)Buffer_ReadyEvent;
  api.fn[96] = (void *)Exec_MemoryStats;
}
// The table is filled once, as a real plugin's static table is: threads that load the plugin at once (a job's
// processes in one JVM) must never see it zeroed or half filled. The test hooks below change it in place.
static pthread_once_t api_once = PTHREAD_ONCE_INIT;
static void init_api(void) {
  api.struct_size = sizeof api;
  api.version.struct_size = 24;
  api.version.major = version_major;
  api.version.minor = version_minor;
  fill_table();
}
const Api *GetPjrtApi(void) {
  pthread_once(&api_once, init_api);
  return &api;
}

// ---------------------------------------------------------------- test hooks
void mock_pjrt_set_fail(const char *name) {
  if (name && strlen(name) >= sizeof fail_call) {  // a cut list would silently drop names: stop the test instead
    fprintf(stderr, "mock_pjrt_set_fail: list of %zu characters, at most %zu\n", strlen(name), sizeof fail_call - 1);
    abort();
  }
  memset(fail_call, 0, sizeof fail_call);
  if (name) strcpy(fail_call, name);
}
void mock_pjrt_clear_slot(int slot) {
  if (slot >= 0 && slot < NUM_SLOTS) api.fn[slot] = NULL;
}
void mock_pjrt_restore_slots(void) { fill_table(); }
int reported_minor(void) { return api.version.minor; }
size_t min_size(const size_t (*sizes)[2], size_t n) {
  size_t size = 0;
  for (size_t i = 0; i < n; i++)
    if ((size_t)reported_minor() >= sizes[i][0]) size = sizes[i][1];
  return size;
}
// Also the live table's version, so the struct sizes the mock asks for follow at once (min_size).
void mock_pjrt_set_version(int major, int minor) {
  version_major = api.version.major = major;
  version_minor = api.version.minor = minor;
}
long mock_pjrt_stat(int which) { return which >= 0 && which < 3 ? atomic_load(&stats[which]) : -1; }
long mock_pjrt_live(int kind) { return kind >= 0 && kind < K_COUNT ? atomic_load(&live[kind]) : -1; }
