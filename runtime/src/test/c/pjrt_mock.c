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
//                                   event), async_events (all these events complete OK that way)
//   mock_pjrt_clear_slot(i)         NULLs slot i of the function table (a plugin lacking a call)
//   mock_pjrt_restore_slots()       fills the table again
//   mock_pjrt_stat(i)               0: awaits that blocked on a pending event, 1: OnReady callbacks
//                                   queued on a pending event (both only ever grow)
//   mock_pjrt_set_version(maj, min) version the next GetPjrtApi reports
//   mock_pjrt_live(kind)            live objects: 0 errors 1 events 2 clients 3 loaded execs
//                                   4 execs 5 buffers 6 serialized executables
// The env var HLO4J_MOCK_PJRT_FAIL and the client create option "mock_fail" take the same kind of list.
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

#include "hlo_fixtures.h"

// ---------------------------------------------------------------- layouts (header 0.95)
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
typedef struct { HDR; void *send_callbacks; void *recv_callbacks; size_t num_send_ops; size_t num_recv_ops; int launch_id; const int64_t *non_donatable; size_t num_non_donatable; void *context; const char *call_location; size_t num_tasks; int *task_ids; int64_t *incarnation_ids; } ExecuteOptions;
typedef struct { HDR; Loaded *executable; ExecuteOptions *options; Buffer *const *const *argument_lists; size_t num_devices; size_t num_args; Buffer **const *output_lists; Event **device_complete_events; Device *execute_device; } Execute_Args;
typedef struct { HDR; Exec *executable; } Exec_Destroy_Args;
typedef struct { HDR; Exec *executable; size_t num_properties; const NamedValue *properties; } CostAnalysis_Args;
typedef struct { HDR; Exec *executable; int64_t v[12]; } MemoryStats_Args;
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
_Static_assert(SS(Program, format_size) == 48, "Program");
_Static_assert(SS(BufferFromHost_Args, buffer) == 120 && offsetof(BufferFromHost_Args, semantics) == 72, "FromHost");
_Static_assert(SS(ExecuteOptions, incarnation_ids) == 112 && offsetof(ExecuteOptions, launch_id) == 48, "ExecOpts");
_Static_assert(SS(Execute_Args, execute_device) == 80, "Execute");
_Static_assert(SS(Buffer_ToHost_Args, event) == 56, "ToHost");
_Static_assert(SS(Event_IsReady_Args, is_ready) == 25, "IsReady");
_Static_assert(SS(Event_OnReady_Args, user_arg) == 40, "OnReady");
_Static_assert(SS(CostAnalysis_Args, properties) == 40 && sizeof(MemoryStats_Args) == 120, "Cost");
_Static_assert(SS(Serialize_Args, deleter) == 56 && SS(Deserialize_Args, loaded) == 48, "Serialize");

// ---------------------------------------------------------------- objects and bookkeeping
enum { K_ERR, K_EVENT, K_CLIENT, K_LOADED, K_EXEC, K_BUFFER, K_SERIALIZED, K_COUNT };
static atomic_long live[K_COUNT];
// Counters (never decremented): 0 Event_Await calls that found their event pending, 1 OnReady
// callbacks queued on a pending event.
static atomic_long stats[2];
static char fail_call[256];
static int version_major = 0, version_minor = 95;

#define MAGIC_DEVICE 0xDE71CE00u
#define MAGIC_CLIENT 0xC11E4700u
#define MAGIC_BUFFER 0xB0FFE400u
#define MAGIC_LOADED 0x10ADED00u
#define MAGIC_EXEC 0xE8EC0000u
#define MAGIC_EVENT 0xE7E47000u
#define MAX_DEVICES 8
#define MAX_DIMS 8

struct Device { uint32_t magic; int id; Client *client; };
struct Client { uint32_t magic; int num_devices; Device devices[MAX_DEVICES]; Device *device_ptrs[MAX_DEVICES]; char fail[64]; int num_addressable; };
enum { PROG_ADD = 1, PROG_DOT = 2 };
struct Loaded { uint32_t magic; Client *client; int program; int num_devices; };
struct Exec { uint32_t magic; Loaded *loaded; NamedValue cost[2]; };
struct Buffer { uint32_t magic; Client *client; Device *device; int type; size_t num_dims; int64_t dims[MAX_DIMS]; size_t bytes; unsigned char *data; };

static Err *err(int code, const char *fmt, ...) {
  Err *e = calloc(1, sizeof *e);
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  e->code = code;
  e->len = strlen(tmp);
  e->msg = malloc(e->len);  // deliberately not NUL-terminated: (pointer, size) is the contract
  memcpy(e->msg, tmp, e->len);
  atomic_fetch_add(&live[K_ERR], 1);
  return e;
}
static void err_free(Err *e) {
  if (e == NULL) return;
  free(e->msg);
  free(e);
  atomic_fetch_sub(&live[K_ERR], 1);
}
static Err *copy_err(const Err *e) {
  return e == NULL ? NULL : err(e->code, "%.*s", (int)e->len, e->msg);
}
static Event *event_alloc(Err *status, bool ready) {
  Event *ev = calloc(1, sizeof *ev);
  ev->magic = MAGIC_EVENT;
  ev->status = status;
  ev->ready = ready;
  ev->refs = ready ? 1 : 2;  // the owner, and the completing thread while pending
  pthread_mutex_init(&ev->mu, NULL);
  pthread_cond_init(&ev->cv, NULL);
  atomic_fetch_add(&live[K_EVENT], 1);
  return ev;
}
static Event *event_new(Err *status) { return event_alloc(status, true); }
static void event_free(Event *ev) {
  err_free(ev->status);
  pthread_mutex_destroy(&ev->mu);
  pthread_cond_destroy(&ev->cv);
  free(ev);
  atomic_fetch_sub(&live[K_EVENT], 1);
}
// The completing thread: waits until the owner awaits, registers a callback or destroys the event (at
// most 10 s), then 20 ms more, so the owner always meets the event still pending; then marks it ready,
// wakes Await and runs the OnReady callbacks queued meanwhile (each with its own copy of the status).
static void *complete_later(void *p) {
  Event *ev = p;
  struct timespec limit;
  clock_gettime(CLOCK_REALTIME, &limit);
  limit.tv_sec += 10;
  pthread_mutex_lock(&ev->mu);
  while (!ev->watched && pthread_cond_timedwait(&ev->cv, &ev->mu, &limit) == 0) {}
  pthread_mutex_unlock(&ev->mu);
  struct timespec t = {0, 20 * 1000 * 1000};
  nanosleep(&t, NULL);
  pthread_mutex_lock(&ev->mu);
  ev->ready = true;
  Waiter *w = ev->waiters;
  ev->waiters = NULL;
  for (Waiter *q = w; q; q = q->next) q->status = copy_err(ev->status);
  bool last = --ev->refs == 0;
  pthread_cond_broadcast(&ev->cv);
  pthread_mutex_unlock(&ev->mu);
  if (last) event_free(ev);
  while (w) {
    Waiter *next = w->next;
    w->cb(w->status, w->arg);
    free(w);
    w = next;
  }
  return NULL;
}
// A pending event that completes (with `status`, NULL = OK) from a mock thread ~20 ms later.
static Event *event_pending(Err *status) {
  Event *ev = event_alloc(status, false);
  pthread_t t;
  if (pthread_create(&t, NULL, complete_later, ev) != 0) {  // no thread: complete now, without waiting for an owner
    ev->watched = true;
    complete_later(ev);
    return ev;
  }
  pthread_detach(t);
  return ev;
}

enum { INVALID_ARGUMENT = 3, NOT_FOUND = 5, FAILED_PRECONDITION = 9, UNIMPLEMENTED = 12, INTERNAL = 13 };

// Whether `name` is one of the comma-separated names in `list`.
static bool listed(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, name, n) == 0) return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}
// The process-wide hook's list or the env var's (both comma-separated, calls and event behaviours alike).
static bool failing(const char *name) { return listed(fail_call, name) || listed(getenv("HLO4J_MOCK_PJRT_FAIL"), name); }

// Injection: the process-wide hook or env var, or the client's "mock_fail" option (a list too).
static Err *injected(const char *name, const Client *c) {
  if (failing(name) || (c && listed(c->fail, name)))
    return err(INTERNAL, "mock: injected failure in %s", name);
  return NULL;
}

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

static Err *check_client(const Client *c, const char *name) {
  if (c == NULL || c->magic != MAGIC_CLIENT) return err(INVALID_ARGUMENT, "%s: not a live client", name);
  return NULL;
}
static Err *check_buffer(const Buffer *b, const char *name) {
  if (b == NULL || b->magic != MAGIC_BUFFER) return err(INVALID_ARGUMENT, "%s: not a live buffer", name);
  return NULL;
}
static Err *check_loaded(const Loaded *l, const char *name) {
  if (l == NULL || l->magic != MAGIC_LOADED) return err(INVALID_ARGUMENT, "%s: not a live loaded executable", name);
  return NULL;
}
#define TRY(x) do { Err *e_ = (x); if (e_) return e_; } while (0)

// PJRT_Buffer_Type -> bytes per element (0 = not supported by the mock). Sub-byte types are refused.
static size_t element_bytes(int type) {
  switch (type) {
    case 1: case 2: case 6: return 1;                  // PRED S8 U8
    case 3: case 7: case 10: case 13: return 2;        // S16 U16 F16 BF16
    case 4: case 8: case 11: return 4;                 // S32 U32 F32
    case 5: case 9: case 12: case 14: return 8;        // S64 U64 F64 C64
    case 15: return 16;                                // C128
    case 16: case 17: case 18: case 19: case 20: case 26: case 27: case 28: return 1;  // f8 kinds
    default: return 0;
  }
}

// ---------------------------------------------------------------- errors, plugin, events
static void Error_Destroy(Error_Destroy_Args *a) {
  if (a == NULL || a->struct_size < SS(Error_Destroy_Args, error) || a->error == NULL) abort();
  free(a->error->msg);
  free(a->error);
  atomic_fetch_sub(&live[K_ERR], 1);
}
static void Error_Message(Error_Message_Args *a) {
  if (a == NULL || a->struct_size < SS(Error_Message_Args, message_size) || a->error == NULL) abort();
  a->message = a->error->msg;
  a->message_size = a->error->len;
}
static Err *Error_GetCode(Error_GetCode_Args *a) {
  CHECK_SIZE(Error_GetCode_Args, a, code, "PJRT_Error_GetCode");
  if (a->error == NULL) return err(INVALID_ARGUMENT, "PJRT_Error_GetCode: error is NULL");
  if (failing("PJRT_Error_GetCode")) return err(INTERNAL, "mock: injected failure in PJRT_Error_GetCode");
  a->code = a->error->code;
  return NULL;
}
static Err *Plugin_Initialize(Plugin_Initialize_Args *a) {
  ENTER(Plugin_Initialize_Args, a, extension_start, "PJRT_Plugin_Initialize", NULL);
  return NULL;
}
static const int64_t stablehlo_version[3] = {1, 13, 0};
static NamedValue attributes[5];
static Err *Plugin_Attributes(Plugin_Attributes_Args *a) {
  ENTER(Plugin_Attributes_Args, a, num_attributes, "PJRT_Plugin_Attributes", NULL);
  attributes[0] = (NamedValue){sizeof(NamedValue), NULL, "xla_version", 11, 1, {.i = 2}, 1};
  attributes[1] = (NamedValue){sizeof(NamedValue), NULL, "stablehlo_current_version", 25, 2, {.ia = stablehlo_version}, 3};
  // One of each remaining PJRT_NamedValue type: string, float, bool.
  attributes[2] = (NamedValue){sizeof(NamedValue), NULL, "mock_build", 10, 0, {.s = "hlo4j-mock 0.95"}, 15};
  attributes[3] = (NamedValue){sizeof(NamedValue), NULL, "mock_peak_tflops", 16, 3, {.f = 989.5f}, 1};
  attributes[4] = (NamedValue){sizeof(NamedValue), NULL, "mock_async_events", 17, 4, {.b = true}, 1};
  a->attributes = attributes;
  a->num_attributes = 5;
  return NULL;
}
static Err *check_event(const Event *e, const char *name) {
  if (e == NULL || e->magic != MAGIC_EVENT) return err(INVALID_ARGUMENT, "%s: not a live event", name);
  return NULL;
}
static Err *Event_Destroy(Event_Args *a) {
  ENTER(Event_Args, a, event, "PJRT_Event_Destroy", NULL);
  TRY(check_event(a->event, "PJRT_Event_Destroy"));
  Event *ev = a->event;
  pthread_mutex_lock(&ev->mu);
  ev->magic = 0;
  ev->watched = true;
  pthread_cond_broadcast(&ev->cv);
  bool last = --ev->refs == 0;
  pthread_mutex_unlock(&ev->mu);
  if (last) event_free(ev);
  return NULL;
}
static Err *Event_IsReady(Event_IsReady_Args *a) {
  ENTER(Event_IsReady_Args, a, is_ready, "PJRT_Event_IsReady", NULL);
  TRY(check_event(a->event, "PJRT_Event_IsReady"));
  pthread_mutex_lock(&a->event->mu);
  a->is_ready = a->event->ready;
  pthread_mutex_unlock(&a->event->mu);
  return NULL;
}
static Err *Event_Await(Event_Args *a) {
  ENTER(Event_Args, a, event, "PJRT_Event_Await", NULL);
  TRY(check_event(a->event, "PJRT_Event_Await"));
  Event *ev = a->event;
  pthread_mutex_lock(&ev->mu);
  ev->watched = true;
  pthread_cond_broadcast(&ev->cv);
  if (!ev->ready) atomic_fetch_add(&stats[0], 1);
  while (!ev->ready) pthread_cond_wait(&ev->cv, &ev->mu);
  Err *e = copy_err(ev->status);
  pthread_mutex_unlock(&ev->mu);
  return e;
}
static Err *Event_Error(Event_Args *a) {
  ENTER(Event_Args, a, event, "PJRT_Event_Error", NULL);
  TRY(check_event(a->event, "PJRT_Event_Error"));
  pthread_mutex_lock(&a->event->mu);
  Err *e = a->event->ready ? copy_err(a->event->status) : err(FAILED_PRECONDITION, "PJRT_Event_Error: the event is not ready");
  pthread_mutex_unlock(&a->event->mu);
  return e;
}

// OnReady: the callback runs on a plugin thread (as on a real plugin) and owns the error it gets. On a
// pending event it is queued and run by the completing thread.
static void *deliver(void *p) {
  Waiter d = *(Waiter *)p;
  free(p);
  d.cb(d.status, d.arg);
  return NULL;
}
static Err *Event_OnReady(Event_OnReady_Args *a) {
  ENTER(Event_OnReady_Args, a, user_arg, "PJRT_Event_OnReady", NULL);
  TRY(check_event(a->event, "PJRT_Event_OnReady"));
  if (a->callback == NULL) return err(INVALID_ARGUMENT, "PJRT_Event_OnReady: callback is NULL");
  Waiter *d = calloc(1, sizeof *d);
  d->cb = a->callback;
  d->arg = a->user_arg;
  Event *ev = a->event;
  pthread_mutex_lock(&ev->mu);
  if (!ev->ready) {
    ev->watched = true;
    pthread_cond_broadcast(&ev->cv);
    d->next = ev->waiters;
    ev->waiters = d;
    atomic_fetch_add(&stats[1], 1);
    pthread_mutex_unlock(&ev->mu);
    return NULL;
  }
  d->status = copy_err(ev->status);
  pthread_mutex_unlock(&ev->mu);
  pthread_t t;
  if (pthread_create(&t, NULL, deliver, d) != 0) { deliver(d); return NULL; }
  pthread_detach(t);
  return NULL;
}

// The event an asynchronous call hands out: pending with an error when `fail_name` is listed, pending
// and OK under "async_events", else complete and OK.
static Event *event_out(const char *fail_name, const char *message) {
  if (failing(fail_name)) return event_pending(err(INTERNAL, "%s", message));
  if (failing("async_events")) return event_pending(NULL);
  return event_new(NULL);
}

// ---------------------------------------------------------------- client, devices
static Err *Client_Create(Client_Create_Args *a) {
  ENTER(Client_Create_Args, a, kv_try_get_arg, "PJRT_Client_Create", NULL);
  if (a->num_options > 0 && a->create_options == NULL)
    return err(INVALID_ARGUMENT, "PJRT_Client_Create: %zu options but create_options is NULL", a->num_options);
  int num_devices = 1;
  int num_addressable = -1;  // "addressable_devices": the first n devices are addressable (default: all)
  char fail[64] = {0};
  const int64_t *ids = NULL;  // "device_ids": an int64 list, checked once num_devices is known
  size_t num_ids = 0;
  for (size_t i = 0; i < a->num_options; i++) {
    const NamedValue *o = &a->create_options[i];
    if (o->struct_size < SS(NamedValue, value_size))
      return err(INVALID_ARGUMENT, "Unexpected PJRT_NamedValue size: expected %zu, got %zu", SS(NamedValue, value_size), o->struct_size);
    if (o->name == NULL || strlen(o->name) < o->name_size)
      return err(INVALID_ARGUMENT, "PJRT_Client_Create: option %zu has a bad name", i);
    if (o->name_size == 11 && memcmp(o->name, "num_devices", 11) == 0) {
      if (o->type != 1 || o->value_size != 1) return err(INVALID_ARGUMENT, "option num_devices must be one int64, got type %d", o->type);
      if (o->v.i < 1 || o->v.i > MAX_DEVICES) return err(INVALID_ARGUMENT, "option num_devices=%lld out of [1, %d]", (long long)o->v.i, MAX_DEVICES);
      num_devices = (int)o->v.i;
    } else if (o->name_size == 19 && memcmp(o->name, "addressable_devices", 19) == 0) {
      if (o->type != 1 || o->value_size != 1 || o->v.i < 0 || o->v.i > MAX_DEVICES)
        return err(INVALID_ARGUMENT, "option addressable_devices must be one int64 in [0, %d]", MAX_DEVICES);
      num_addressable = (int)o->v.i;
    } else if (o->name_size == 9 && memcmp(o->name, "mock_fail", 9) == 0) {
      if (o->type != 0 || o->value_size >= sizeof fail) return err(INVALID_ARGUMENT, "option mock_fail must be a short string");
      memcpy(fail, o->v.s, o->value_size);
    } else if (o->name_size == 10 && memcmp(o->name, "device_ids", 10) == 0) {
      if (o->type != 2) return err(INVALID_ARGUMENT, "option device_ids must be an int64 list, got type %d", o->type);
      if (o->value_size > 0 && o->v.ia == NULL) return err(INVALID_ARGUMENT, "option device_ids: %zu values at NULL", o->value_size);
      ids = o->v.ia;
      num_ids = o->value_size;
    } else if (o->name_size == 11 && memcmp(o->name, "preallocate", 11) == 0) {
      if (o->type != 4 || o->value_size != 1) return err(INVALID_ARGUMENT, "option preallocate must be a bool, got type %d", o->type);
    } else if (o->name_size == 15 && memcmp(o->name, "memory_fraction", 15) == 0) {
      if (o->type != 3 || o->v.f <= 0.0f || o->v.f > 1.0f) return err(INVALID_ARGUMENT, "option memory_fraction must be a float in (0, 1]");
    } else {
      return err(INVALID_ARGUMENT, "Unknown create option '%.*s'", (int)o->name_size, o->name);
    }
  }
  if (ids != NULL || num_ids > 0) {
    if (num_ids != (size_t)num_devices)
      return err(INVALID_ARGUMENT, "option device_ids has %zu ids for %d devices", num_ids, num_devices);
    for (size_t i = 0; i < num_ids; i++) {
      if (ids[i] < 0 || ids[i] > 1000000) return err(INVALID_ARGUMENT, "option device_ids: id %lld at %zu out of [0, 1000000]", (long long)ids[i], i);
      for (size_t j = 0; j < i; j++)
        if (ids[j] == ids[i]) return err(INVALID_ARGUMENT, "option device_ids: id %lld repeated at %zu and %zu", (long long)ids[i], j, i);
    }
  }
  if (fail[0] && strcmp(fail, "PJRT_Client_Create") == 0) return err(INTERNAL, "mock: injected failure in PJRT_Client_Create");
  Client *c = calloc(1, sizeof *c);
  c->magic = MAGIC_CLIENT;
  c->num_devices = num_devices;
  c->num_addressable = num_addressable < 0 || num_addressable > num_devices ? num_devices : num_addressable;
  memcpy(c->fail, fail, sizeof fail);
  for (int i = 0; i < num_devices; i++) {
    c->devices[i] = (Device){MAGIC_DEVICE, ids ? (int)ids[i] : 100 + i, c};  // ids differ from positions on purpose
    c->device_ptrs[i] = &c->devices[i];
  }
  atomic_fetch_add(&live[K_CLIENT], 1);
  a->client = c;
  return NULL;
}
static Err *Client_Destroy(Client_Destroy_Args *a) {
  ENTER(Client_Destroy_Args, a, client, "PJRT_Client_Destroy", NULL);
  TRY(check_client(a->client, "PJRT_Client_Destroy"));
  a->client->magic = 0;
  free(a->client);
  atomic_fetch_sub(&live[K_CLIENT], 1);
  return NULL;
}
static Err *Client_PlatformName(Client_String_Args *a) {
  ENTER(Client_String_Args, a, str_size, "PJRT_Client_PlatformName", a->client);
  TRY(check_client(a->client, "PJRT_Client_PlatformName"));
  a->str = "mock";
  a->str_size = 4;
  return NULL;
}
static Err *Client_PlatformVersion(Client_String_Args *a) {
  ENTER(Client_String_Args, a, str_size, "PJRT_Client_PlatformVersion", a->client);
  TRY(check_client(a->client, "PJRT_Client_PlatformVersion"));
  a->str = "mock 0.95 (hlo4j)";
  a->str_size = strlen(a->str);
  return NULL;
}
static Err *Client_Devices(Client_Devices_Args *a) {
  ENTER(Client_Devices_Args, a, num_devices, "PJRT_Client_Devices", a->client);
  TRY(check_client(a->client, "PJRT_Client_Devices"));
  a->devices = a->client->device_ptrs;
  a->num_devices = (size_t)a->client->num_devices;
  return NULL;
}
static Err *Client_AddressableDevices(Client_Devices_Args *a) {
  ENTER(Client_Devices_Args, a, num_devices, "PJRT_Client_AddressableDevices", a->client);
  TRY(check_client(a->client, "PJRT_Client_AddressableDevices"));
  a->devices = a->client->device_ptrs;
  a->num_devices = (size_t)a->client->num_addressable;
  return NULL;
}
static Err *check_device(const Device *d, const char *name) {
  if (d == NULL || d->magic != MAGIC_DEVICE) return err(INVALID_ARGUMENT, "%s: not a device", name);
  return NULL;
}
static Err *Device_GetDescription(Device_GetDescription_Args *a) {
  ENTER(Device_GetDescription_Args, a, description, "PJRT_Device_GetDescription", NULL);
  TRY(check_device(a->device, "PJRT_Device_GetDescription"));
  a->description = a->device;  // the mock's description is the device itself
  return NULL;
}
static Err *DeviceDescription_Id(DeviceDescription_Id_Args *a) {
  ENTER(DeviceDescription_Id_Args, a, id, "PJRT_DeviceDescription_Id", NULL);
  TRY(check_device(a->description, "PJRT_DeviceDescription_Id"));
  a->id = a->description->id;
  return NULL;
}
static Err *DeviceDescription_Kind(DeviceDescription_Kind_Args *a) {
  ENTER(DeviceDescription_Kind_Args, a, kind_size, "PJRT_DeviceDescription_Kind", NULL);
  TRY(check_device(a->description, "PJRT_DeviceDescription_Kind"));
  a->kind = "mock-device";
  a->kind_size = 11;
  return NULL;
}

// ---------------------------------------------------------------- compile options (wire format)
// Reads one varint; returns false past the end or on an over-long varint.
static bool varint(const unsigned char **p, const unsigned char *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*p >= end) return false;
    unsigned char b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) { *out = v; return true; }
  }
  return false;
}
// Walks one message; for each varint field in `want` (field numbers) stores its value. Returns false
// if the bytes are not well-formed protobuf. If `sub` is non-zero, the length-delimited field `sub`
// is returned through sub_p/sub_len.
static bool walk(const unsigned char *p, const unsigned char *end, const int *want, int64_t *vals, int nwant,
                 int sub, const unsigned char **sub_p, size_t *sub_len) {
  while (p < end) {
    uint64_t tag, v;
    if (!varint(&p, end, &tag) || (tag >> 3) == 0) return false;
    int field = (int)(tag >> 3);
    switch (tag & 7) {
      case 0:
        if (!varint(&p, end, &v)) return false;
        for (int i = 0; i < nwant; i++) if (want[i] == field) vals[i] = (int64_t)v;
        break;
      case 1: if (end - p < 8) return false; p += 8; break;
      case 5: if (end - p < 4) return false; p += 4; break;
      case 2:
        if (!varint(&p, end, &v) || v > (uint64_t)(end - p)) return false;
        if (field == sub && sub_p) { *sub_p = p; *sub_len = (size_t)v; }
        p += v;
        break;
      default: return false;
    }
  }
  return p == end;
}

static Err *Client_Compile(Client_Compile_Args *a) {
  ENTER(Client_Compile_Args, a, executable, "PJRT_Client_Compile", a->client);
  TRY(check_client(a->client, "PJRT_Client_Compile"));
  const Program *pr = a->program;
  if (pr == NULL) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: program is NULL");
  if (pr->struct_size < SS(Program, format_size))
    return err(INVALID_ARGUMENT, "Unexpected PJRT_Program size: expected %zu, got %zu", SS(Program, format_size), pr->struct_size);
  if (pr->format == NULL || pr->format_size != 4 || memcmp(pr->format, "mlir", 4) != 0)
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: unsupported program format '%.*s'", (int)pr->format_size, pr->format ? pr->format : "");
  if (pr->code == NULL || pr->code_size == 0) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: empty program");
  if (a->options == NULL || a->options_size == 0) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: compile options are empty");
  // CompileOptionsProto: field 3 = ExecutableBuildOptionsProto; field 6 must stay empty.
  const unsigned char *o = (const unsigned char *)a->options, *ebo = NULL;
  size_t ebo_len = 0;
  int top_want[1] = {6};
  int64_t top_vals[1] = {0};
  if (!walk(o, o + a->options_size, top_want, top_vals, 1, 3, &ebo, &ebo_len))
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: compile options (%zu bytes) are not a valid CompileOptionsProto", a->options_size);
  if (ebo == NULL) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: executable_build_options (field 3) missing");
  int want[5] = {1, 4, 5, 23, 3};  // device_ordinal, num_replicas, num_partitions, process_count, debug_options
  int64_t vals[5] = {0, 0, 0, 0, 0};
  const unsigned char *dbg = NULL;
  size_t dbg_len = 0;
  if (!walk(ebo, ebo + ebo_len, want, vals, 5, 3, &dbg, &dbg_len))
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: executable_build_options are malformed");
  if (dbg != NULL) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: mock refuses a DebugOptions (it would replace XLA's defaults)");
  if (vals[0] != -1) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: device_ordinal must be -1, got %lld", (long long)vals[0]);
  if (vals[3] != 1) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: process_count must be 1, got %lld", (long long)vals[3]);
  int64_t devices = vals[1] * vals[2];
  if (vals[1] < 1 || vals[2] < 1 || devices > a->client->num_devices)
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: %lld replicas x %lld partitions do not fit %d devices",
               (long long)vals[1], (long long)vals[2], a->client->num_devices);
  // The program: recognised by its op, as StableHLO text.
  int program = 0;
  char *text = strndup(pr->code, pr->code_size);
  if (strstr(text, "func.func") == NULL) {
    free(text);
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: program text has no func.func");
  }
  int ops = 0;  // the mock runs programs of exactly one stablehlo op
  for (const char *q = text; (q = strstr(q, "stablehlo.")) != NULL; q++) ops++;
  if (ops == 1 && strstr(text, "stablehlo.dot")) program = PROG_DOT;
  else if (ops == 1 && strstr(text, "stablehlo.add")) program = PROG_ADD;
  free(text);
  if (program == 0)
    return err(UNIMPLEMENTED, "PJRT_Client_Compile: the mock runs only a single stablehlo.add or stablehlo.dot_general; got a program of %zu bytes with %d stablehlo ops for %lld replica(s) x %lld partition(s)",
               pr->code_size, ops, (long long)vals[1], (long long)vals[2]);
  Loaded *l = calloc(1, sizeof *l);
  *l = (Loaded){MAGIC_LOADED, a->client, program, (int)devices};
  atomic_fetch_add(&live[K_LOADED], 1);
  a->executable = l;
  return NULL;
}
static Err *Loaded_Destroy(Loaded_Destroy_Args *a) {
  ENTER(Loaded_Destroy_Args, a, executable, "PJRT_LoadedExecutable_Destroy", NULL);
  TRY(check_loaded(a->executable, "PJRT_LoadedExecutable_Destroy"));
  a->executable->magic = 0;
  free(a->executable);
  atomic_fetch_sub(&live[K_LOADED], 1);
  return NULL;
}
static Err *Loaded_GetExecutable(GetExecutable_Args *a) {
  ENTER(GetExecutable_Args, a, executable, "PJRT_LoadedExecutable_GetExecutable", NULL);
  TRY(check_loaded(a->loaded, "PJRT_LoadedExecutable_GetExecutable"));
  Exec *e = calloc(1, sizeof *e);
  e->magic = MAGIC_EXEC;
  e->loaded = a->loaded;
  atomic_fetch_add(&live[K_EXEC], 1);
  a->executable = e;
  return NULL;
}
static Err *Exec_Destroy(Exec_Destroy_Args *a) {
  ENTER(Exec_Destroy_Args, a, executable, "PJRT_Executable_Destroy", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_Destroy: not an executable");
  a->executable->magic = 0;
  free(a->executable);
  atomic_fetch_sub(&live[K_EXEC], 1);
  return NULL;
}
static Err *Exec_NumOutputs(NumOutputs_Args *a) {
  ENTER(NumOutputs_Args, a, num_outputs, "PJRT_Executable_NumOutputs", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_NumOutputs: not an executable");
  a->num_outputs = 1;
  return NULL;
}
static Err *Loaded_AddressableDevices(Loaded_Devices_Args *a) {
  ENTER(Loaded_Devices_Args, a, num_devices, "PJRT_LoadedExecutable_AddressableDevices", NULL);
  TRY(check_loaded(a->executable, "PJRT_LoadedExecutable_AddressableDevices"));
  a->devices = a->executable->client->device_ptrs;
  a->num_devices = (size_t)a->executable->num_devices;
  return NULL;
}

// Cost analysis: the mock's own numbers (add of 2x3: 6 flops; 2x3 . 3x2 dot: 24), owned by the executable.
static Err *Exec_CostAnalysis(CostAnalysis_Args *a) {
  ENTER(CostAnalysis_Args, a, properties, "PJRT_Executable_GetCostAnalysis", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_GetCostAnalysis: not an executable");
  TRY(injected("PJRT_Executable_GetCostAnalysis", a->executable->loaded->client));  // also the client's "mock_fail" option
  Exec *e = a->executable;
  float flops = e->loaded->program == PROG_DOT ? 24.0f : 6.0f;
  e->cost[0] = (NamedValue){SS(NamedValue, value_size), NULL, "flops", 5, 3, {.f = flops}, 1};
  e->cost[1] = (NamedValue){SS(NamedValue, value_size), NULL, "bytes accessed", 14, 3, {.f = 72.0f}, 1};
  a->properties = e->cost;
  a->num_properties = 2;
  return NULL;
}
// Memory stats: distinct values per field, so a misplaced offset shows.
static Err *Exec_MemoryStats(MemoryStats_Args *a) {
  ENTER(MemoryStats_Args, a, v[9], "PJRT_Executable_GetCompiledMemoryStats", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_GetCompiledMemoryStats: not an executable");
  TRY(injected("PJRT_Executable_GetCompiledMemoryStats", a->executable->loaded->client));  // also the client's "mock_fail" option
  int n = a->struct_size >= sizeof(MemoryStats_Args) ? 12 : 10;  // peak/total only for callers that have them
  for (int i = 0; i < n; i++) a->v[i] = 1001 + i;
  return NULL;
}

// Optimized program, two-phase like a real plugin: code NULL -> code_size; then the bytes. Like the CUDA
// plugin, the format is "hlo_with_config" (HloModuleProtoWithConfig). The bytes are the fixtures of
// hlo_fixtures.h (generated by io.hlo4j.runtime.hlo.HloFixtures): the dot or add module for a
// single-device compile, the 8-way SPMD module with collectives for a compile over several devices.
static Err *Exec_OptimizedProgram(OptimizedProgram_Args *a) {
  ENTER(OptimizedProgram_Args, a, program, "PJRT_Executable_OptimizedProgram", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_OptimizedProgram: not an executable");
  TRY(injected("PJRT_Executable_OptimizedProgram", a->executable->loaded->client));  // also the client's "mock_fail" option
  Program *p = a->program;
  if (p == NULL || p->struct_size < SS(Program, format_size)) return err(INVALID_ARGUMENT, "PJRT_Executable_OptimizedProgram: bad PJRT_Program");
  const Loaded *l = a->executable->loaded;
  const unsigned char *bytes = l->num_devices > 1 ? hlo_fixture_spmd : l->program == PROG_DOT ? hlo_fixture_dot : hlo_fixture_add;
  size_t n = l->num_devices > 1 ? sizeof hlo_fixture_spmd : l->program == PROG_DOT ? sizeof hlo_fixture_dot : sizeof hlo_fixture_add;
  p->format = "hlo_with_config";
  p->format_size = 15;
  if (p->code == NULL) { p->code_size = n; return NULL; }
  if (p->code_size < n) return err(INVALID_ARGUMENT, "PJRT_Executable_OptimizedProgram: code_size %zu < %zu", p->code_size, n);
  memcpy(p->code, bytes, n);
  p->code_size = n;
  return NULL;
}

// Serialization: "hlo4j-mock-exe/1 program=P devices=N", freed through the returned deleter.
struct Serialized { char text[64]; };
static void serialized_delete(Serialized *s) {
  free(s);
  atomic_fetch_sub(&live[K_SERIALIZED], 1);
}
static Err *Exec_Serialize(Serialize_Args *a) {
  ENTER(Serialize_Args, a, deleter, "PJRT_Executable_Serialize", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_Serialize: not an executable");
  TRY(check_loaded(a->executable->loaded, "PJRT_Executable_Serialize"));
  Serialized *s = calloc(1, sizeof *s);
  snprintf(s->text, sizeof s->text, "hlo4j-mock-exe/1 program=%d devices=%d", a->executable->loaded->program, a->executable->loaded->num_devices);
  atomic_fetch_add(&live[K_SERIALIZED], 1);
  a->serialized = s;
  a->bytes = s->text;
  a->bytes_size = strlen(s->text);
  a->deleter = serialized_delete;
  return NULL;
}
static Err *Exec_DeserializeAndLoad(Deserialize_Args *a) {
  ENTER(Deserialize_Args, a, loaded, "PJRT_Executable_DeserializeAndLoad", a->client);
  TRY(check_client(a->client, "PJRT_Executable_DeserializeAndLoad"));
  int program = 0, devices = 0;
  char text[64] = {0};
  if (a->bytes == NULL || a->bytes_size >= sizeof text) return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: not a mock executable");
  memcpy(text, a->bytes, a->bytes_size);
  if (sscanf(text, "hlo4j-mock-exe/1 program=%d devices=%d", &program, &devices) != 2 || program < PROG_ADD || program > PROG_DOT ||
      devices < 1 || devices > a->client->num_devices)
    return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: not a mock executable for this client (%zu bytes)", a->bytes_size);
  Loaded *l = calloc(1, sizeof *l);
  *l = (Loaded){MAGIC_LOADED, a->client, program, devices};
  atomic_fetch_add(&live[K_LOADED], 1);
  a->loaded = l;
  return NULL;
}

// ---------------------------------------------------------------- buffers
static Buffer *buffer_new(Client *c, Device *d, int type, size_t nd, const int64_t *dims) {
  Buffer *b = calloc(1, sizeof *b);
  b->magic = MAGIC_BUFFER;
  b->client = c;
  b->device = d;
  b->type = type;
  b->num_dims = nd;
  size_t n = 1;
  for (size_t i = 0; i < nd; i++) { b->dims[i] = dims[i]; n *= (size_t)dims[i]; }
  b->bytes = n * element_bytes(type);
  b->data = calloc(b->bytes ? b->bytes : 1, 1);
  atomic_fetch_add(&live[K_BUFFER], 1);
  return b;
}
static Err *Client_BufferFromHost(BufferFromHost_Args *a) {
  const char *nm = "PJRT_Client_BufferFromHostBuffer";
  ENTER(BufferFromHost_Args, a, buffer, nm, a->client);
  TRY(check_client(a->client, nm));
  TRY(check_device(a->device, nm));
  if (a->device->client != a->client) return err(INVALID_ARGUMENT, "%s: device belongs to another client", nm);
  size_t eb = element_bytes(a->type);
  if (eb == 0) return err(INVALID_ARGUMENT, "%s: unsupported element type %d", nm, a->type);
  if (a->num_dims > MAX_DIMS) return err(INVALID_ARGUMENT, "%s: rank %zu > %d", nm, a->num_dims, MAX_DIMS);
  if (a->num_dims > 0 && a->dims == NULL) return err(INVALID_ARGUMENT, "%s: dims is NULL for rank %zu", nm, a->num_dims);
  for (size_t i = 0; i < a->num_dims; i++)
    if (a->dims[i] < 0) return err(INVALID_ARGUMENT, "%s: negative dimension %lld at %zu", nm, (long long)a->dims[i], i);
  if (a->byte_strides != NULL || a->num_byte_strides != 0) {
    // Only dense row-major strides are accepted (the binding sends them explicitly).
    if (a->num_byte_strides != a->num_dims) return err(INVALID_ARGUMENT, "%s: %zu strides for rank %zu", nm, a->num_byte_strides, a->num_dims);
    int64_t expect = (int64_t)eb;
    for (size_t i = a->num_dims; i-- > 0;) {
      if (a->byte_strides[i] != expect) return err(INVALID_ARGUMENT, "%s: stride %lld at %zu is not dense row-major (%lld)", nm, (long long)a->byte_strides[i], i, (long long)expect);
      expect *= a->dims[i];
    }
  }
  if (a->semantics < 0 || a->semantics > 3) return err(INVALID_ARGUMENT, "%s: host_buffer_semantics %d", nm, a->semantics);
  Buffer *b = buffer_new(a->client, a->device, a->type, a->num_dims, a->dims);
  if (b->bytes > 0 && a->data == NULL) {
    free(b->data); free(b); atomic_fetch_sub(&live[K_BUFFER], 1);
    return err(INVALID_ARGUMENT, "%s: data is NULL", nm);
  }
  memcpy(b->data, a->data, b->bytes);
  a->done_with_host_buffer = event_out("host_buffer_event_status", "mock: transfer of the host buffer failed");
  a->buffer = b;
  return NULL;
}
static Err *Buffer_Destroy(Buffer_Destroy_Args *a) {
  ENTER(Buffer_Destroy_Args, a, buffer, "PJRT_Buffer_Destroy", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_Destroy"));
  a->buffer->magic = 0;
  free(a->buffer->data);
  free(a->buffer);
  atomic_fetch_sub(&live[K_BUFFER], 1);
  return NULL;
}
static Err *Buffer_ElementType(Buffer_ElementType_Args *a) {
  ENTER(Buffer_ElementType_Args, a, type, "PJRT_Buffer_ElementType", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_ElementType"));
  a->type = a->buffer->type;
  return NULL;
}
static Err *Buffer_Dimensions(Buffer_Dimensions_Args *a) {
  ENTER(Buffer_Dimensions_Args, a, num_dims, "PJRT_Buffer_Dimensions", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_Dimensions"));
  a->dims = a->buffer->dims;
  a->num_dims = a->buffer->num_dims;
  return NULL;
}
static Err *Buffer_ToHost(Buffer_ToHost_Args *a) {
  ENTER(Buffer_ToHost_Args, a, event, "PJRT_Buffer_ToHostBuffer", NULL);
  TRY(check_buffer(a->src, "PJRT_Buffer_ToHostBuffer"));
  if (a->host_layout != NULL) return err(UNIMPLEMENTED, "PJRT_Buffer_ToHostBuffer: the mock copies only in the buffer's own layout");
  if (a->dst == NULL) { a->dst_size = a->src->bytes; return NULL; }
  if (a->dst_size < a->src->bytes)
    return err(INVALID_ARGUMENT, "PJRT_Buffer_ToHostBuffer: dst_size %zu < %zu bytes", a->dst_size, a->src->bytes);
  memcpy(a->dst, a->src->data, a->src->bytes);
  a->event = event_out("to_host_event_status", "mock: device-to-host copy failed");
  return NULL;
}
static Err *Buffer_ReadyEvent(Buffer_ReadyEvent_Args *a) {
  ENTER(Buffer_ReadyEvent_Args, a, event, "PJRT_Buffer_ReadyEvent", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_ReadyEvent"));
  // "ready_event_status" makes the event itself complete with an error (the asynchronous failure path).
  // "ready_event_async_status" makes it pending, completing with the error from a mock thread.
  a->event = failing("ready_event_status") ? event_new(err(INTERNAL, "mock: buffer computation failed"))
                                           : event_out("ready_event_async_status", "mock: buffer computation failed");
  return NULL;
}

// ---------------------------------------------------------------- execute
static Err *run_program(const Loaded *l, Buffer *const *args, size_t nargs, Device *dev, Buffer **out) {
  const char *nm = "PJRT_LoadedExecutable_Execute";
  if (nargs != 2) return err(INVALID_ARGUMENT, "%s: program takes 2 arguments, got %zu", nm, nargs);
  for (size_t i = 0; i < 2; i++) {
    TRY(check_buffer(args[i], nm));
    if (args[i]->type != 11) return err(INVALID_ARGUMENT, "%s: argument %zu has element type %d, expected F32 (11)", nm, i, args[i]->type);
    if (args[i]->device != dev) return err(INVALID_ARGUMENT, "%s: argument %zu is on device %d, not %d", nm, i, args[i]->device->id, dev->id);
  }
  const Buffer *x = args[0], *y = args[1];
  if (l->program == PROG_ADD) {
    if (x->num_dims != y->num_dims || memcmp(x->dims, y->dims, x->num_dims * sizeof(int64_t)) != 0)
      return err(INVALID_ARGUMENT, "%s: add of different shapes", nm);
    Buffer *r = buffer_new(l->client, dev, 11, x->num_dims, x->dims);
    const float *a = (const float *)x->data, *b = (const float *)y->data;
    float *c = (float *)r->data;
    for (size_t i = 0; i < r->bytes / 4; i++) c[i] = a[i] + b[i];
    *out = r;
  } else {
    if (x->num_dims != 2 || y->num_dims != 2 || x->dims[1] != y->dims[0])
      return err(INVALID_ARGUMENT, "%s: dot needs [m,k] x [k,n]", nm);
    int64_t m = x->dims[0], k = x->dims[1], n = y->dims[1], dims[2] = {m, n};
    Buffer *r = buffer_new(l->client, dev, 11, 2, dims);
    const float *a = (const float *)x->data, *b = (const float *)y->data;
    float *c = (float *)r->data;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        float s = 0;
        for (int64_t p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        c[i * n + j] = s;
      }
    *out = r;
  }
  return NULL;
}
static Err *Loaded_Execute(Execute_Args *a) {
  const char *nm = "PJRT_LoadedExecutable_Execute";
  ENTER(Execute_Args, a, execute_device, nm, NULL);
  TRY(check_loaded(a->executable, nm));
  Err *inj = injected(nm, a->executable->client);
  if (inj) return inj;
  if (a->options == NULL) return err(INVALID_ARGUMENT, "%s: options is NULL", nm);
  if (a->options->struct_size < SS(ExecuteOptions, incarnation_ids))
    return err(INVALID_ARGUMENT, "Unexpected PJRT_ExecuteOptions size: expected %zu, got %zu", SS(ExecuteOptions, incarnation_ids), a->options->struct_size);
  if (a->execute_device != NULL) return err(UNIMPLEMENTED, "%s: the mock runs on the compiled devices only", nm);
  if (a->num_devices != (size_t)a->executable->num_devices)
    return err(INVALID_ARGUMENT, "%s: %zu argument lists for an executable on %d devices", nm, a->num_devices, a->executable->num_devices);
  if (a->argument_lists == NULL || a->output_lists == NULL) return err(INVALID_ARGUMENT, "%s: argument_lists/output_lists NULL", nm);
  for (size_t d = 0; d < a->num_devices; d++) {
    if (a->argument_lists[d] == NULL || a->output_lists[d] == NULL) return err(INVALID_ARGUMENT, "%s: list %zu is NULL", nm, d);
    Buffer *out = NULL;
    Err *e = run_program(a->executable, a->argument_lists[d], a->num_args, a->executable->client->device_ptrs[d], &out);
    if (e) {
      for (size_t p = 0; p < d; p++) {  // undo the outputs already made: nothing leaks on failure
        Buffer_Destroy_Args da = {SS(Buffer_Destroy_Args, buffer), NULL, a->output_lists[p][0]};
        Buffer_Destroy(&da);
        a->output_lists[p][0] = NULL;
      }
      return e;
    }
    a->output_lists[d][0] = out;
  }
  if (a->device_complete_events != NULL)
    for (size_t d = 0; d < a->num_devices; d++) {
      char msg[96];
      snprintf(msg, sizeof msg, "mock: execution failed on device %d", a->executable->client->device_ptrs[d]->id);
      a->device_complete_events[d] = event_out("execute_event_status", msg);
    }
  return NULL;
}

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
  api.fn[14] = (void *)Client_PlatformVersion;
  api.fn[15] = (void *)Client_Devices;
  api.fn[16] = (void *)Client_AddressableDevices;
  api.fn[20] = (void *)Client_Compile;
  api.fn[22] = (void *)Client_BufferFromHost;
  api.fn[23] = (void *)DeviceDescription_Id;
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
const Api *GetPjrtApi(void) {
  memset(&api, 0, sizeof api);
  api.struct_size = sizeof api;
  api.version.struct_size = 24;
  api.version.major = version_major;
  api.version.minor = version_minor;
  fill_table();
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
void mock_pjrt_set_version(int major, int minor) { version_major = major; version_minor = minor; }
long mock_pjrt_stat(int which) { return which >= 0 && which < 2 ? atomic_load(&stats[which]) : -1; }
long mock_pjrt_live(int kind) { return kind >= 0 && kind < K_COUNT ? atomic_load(&live[kind]) : -1; }
