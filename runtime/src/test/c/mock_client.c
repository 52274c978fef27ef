// The plugin and its client: attributes, client creation and its options (device count,
// addressable devices, device ids, injected failures), devices and their descriptions.
#include "pjrt_mock.h"

Err *Plugin_Initialize(Plugin_Initialize_Args *a) {
  ENTER(Plugin_Initialize_Args, a, extension_start, "PJRT_Plugin_Initialize", NULL);
  return NULL;
}
static const int64_t stablehlo_version[3] = {1, 13, 0};
static NamedValue attributes[5];
Err *Plugin_Attributes(Plugin_Attributes_Args *a) {
  ENTER(Plugin_Attributes_Args, a, num_attributes, "PJRT_Plugin_Attributes", NULL);
  attributes[0] = (NamedValue){sizeof(NamedValue), NULL, "xla_version", 11, 1, {.i = 2}, 1};
  attributes[1] = (NamedValue){sizeof(NamedValue), NULL, "stablehlo_current_version", 25, 2, {.ia = stablehlo_version}, 3};
  // One of each remaining PJRT_NamedValue type: string, float, bool.
  attributes[2] = (NamedValue){sizeof(NamedValue), NULL, "mock_build", 10, 0, {.s = "hlo4j-mock 0.95"}, 15};
  attributes[3] = (NamedValue){sizeof(NamedValue), NULL, "mock_peak_tflops", 16, 3, {.f = 989.5f}, 1};
  attributes[4] = (NamedValue){sizeof(NamedValue), NULL, "mock_async_events", 17, 4, {.b = true}, 1};
  if (failing("short_named_value")) attributes[2].struct_size = offsetof(NamedValue, v);  // a plugin with a cut struct
  if (failing("long_named_value")) attributes[1].struct_size = sizeof(NamedValue) + 8;      // a newer, longer layout
  a->attributes = attributes;
  a->num_attributes = 5;
  return NULL;
}

Err *Client_Create(Client_Create_Args *a) {
  ENTER(Client_Create_Args, a, kv_try_get_arg, "PJRT_Client_Create", NULL);
  if (a->num_options > 0 && a->create_options == NULL)
    return err(INVALID_ARGUMENT, "PJRT_Client_Create: %zu options but create_options is NULL", a->num_options);
  int num_devices = 1;
  int num_addressable = -1;  // "addressable_devices": the first n devices are addressable (default: all)
  char fail[64] = {0};
  bool implicit = false;
  const int64_t *ids = NULL;  // "device_ids": an int64 list, checked once num_devices is known
  size_t num_ids = 0;
  // A multi-process job, with the CUDA plugin's option names: num_nodes processes, this one node_id, each with
  // num_devices devices; mock_kv_timeout_ms bounds each get of the topology exchange (mock_kv.c).
  int64_t num_nodes = 1, node_id = 0, kv_timeout_ms = 10000;
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
    } else if (o->name_size == 12 && memcmp(o->name, "mock_program", 12) == 0) {
      if (o->type != 0 || o->value_size != 8 || memcmp(o->v.s, "implicit", 8) != 0)
        return err(INVALID_ARGUMENT, "option mock_program must be the string 'implicit'");
      implicit = true;
    } else if (o->name_size == 10 && memcmp(o->name, "device_ids", 10) == 0) {
      if (o->type != 2) return err(INVALID_ARGUMENT, "option device_ids must be an int64 list, got type %d", o->type);
      if (o->value_size > 0 && o->v.ia == NULL) return err(INVALID_ARGUMENT, "option device_ids: %zu values at NULL", o->value_size);
      ids = o->v.ia;
      num_ids = o->value_size;
    } else if ((o->name_size == 9 && memcmp(o->name, "num_nodes", 9) == 0) || (o->name_size == 7 && memcmp(o->name, "node_id", 7) == 0) ||
               (o->name_size == 18 && memcmp(o->name, "mock_kv_timeout_ms", 18) == 0)) {
      if (o->type != 1 || o->value_size != 1) return err(INVALID_ARGUMENT, "option %.*s must be one int64, got type %d", (int)o->name_size, o->name, o->type);
      int64_t *dst = o->name[0] == 'n' ? (o->name[1] == 'u' ? &num_nodes : &node_id) : &kv_timeout_ms;
      *dst = o->v.i;
    } else if (o->name_size == 11 && memcmp(o->name, "preallocate", 11) == 0) {
      if (o->type != 4 || o->value_size != 1) return err(INVALID_ARGUMENT, "option preallocate must be a bool, got type %d", o->type);
    } else if (o->name_size == 15 && memcmp(o->name, "memory_fraction", 15) == 0) {
      if (o->type != 3 || o->v.f <= 0.0f || o->v.f > 1.0f) return err(INVALID_ARGUMENT, "option memory_fraction must be a float in (0, 1]");
    } else {
      return err(INVALID_ARGUMENT, "Unknown create option '%.*s'", (int)o->name_size, o->name);
    }
  }
  if (num_nodes < 1 || num_nodes * num_devices > MAX_DEVICES)
    return err(INVALID_ARGUMENT, "option num_nodes=%lld: %lld processes x %d devices do not fit the mock's %d", (long long)num_nodes,
               (long long)num_nodes, num_devices, MAX_DEVICES);
  if (node_id < 0 || node_id >= num_nodes)
    return err(INVALID_ARGUMENT, "option node_id=%lld is not in [0, num_nodes=%lld)", (long long)node_id, (long long)num_nodes);
  if (num_nodes > 1 && num_addressable >= 0)
    return err(INVALID_ARGUMENT, "option addressable_devices does not combine with num_nodes > 1 (each process addresses its own devices)");
  if (num_nodes > 1 && (a->kv_get == NULL || a->kv_put == NULL))
    return err(INVALID_ARGUMENT, "PJRT_Client_Create: num_nodes=%lld needs the key-value callbacks kv_get_callback and kv_put_callback to exchange the topology",
               (long long)num_nodes);
  int per_process = num_devices;
  num_devices = (int)(num_nodes * per_process);  // the job's devices: process q has global positions [q n, (q+1) n)
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
  c->num_addressable = num_nodes > 1 ? per_process : num_addressable < 0 || num_addressable > num_devices ? num_devices : num_addressable;
  memcpy(c->fail, fail, sizeof fail);
  c->implicit = implicit;
  c->num_processes = (int)num_nodes;
  c->process_index = (int)node_id;
  for (int i = 0; i < num_devices; i++) {
    c->devices[i] = (Device){MAGIC_DEVICE, ids ? (int)ids[i] : 100 + i, c, i / per_process};  // ids differ from positions on purpose
    c->device_ptrs[i] = &c->devices[i];
  }
  int first = num_nodes > 1 ? (int)node_id * per_process : 0;
  for (int i = 0; i < c->num_addressable; i++) c->addressable_ptrs[i] = &c->devices[first + i];
  if (num_nodes > 1) {
    Err *e = exchange_topology(c, a, (int)kv_timeout_ms);
    if (e) {
      c->magic = 0;
      free(c);
      return e;
    }
  }
  atomic_fetch_add(&live[K_CLIENT], 1);
  a->client = c;
  return NULL;
}
Err *Client_ProcessIndex(Client_ProcessIndex_Args *a) {
  ENTER(Client_ProcessIndex_Args, a, process_index, "PJRT_Client_ProcessIndex", a->client);
  TRY(check_client(a->client, "PJRT_Client_ProcessIndex"));
  a->process_index = a->client->process_index;
  return NULL;
}
Err *DeviceDescription_ProcessIndex(DeviceDescription_ProcessIndex_Args *a) {
  ENTER(DeviceDescription_ProcessIndex_Args, a, process_index, "PJRT_DeviceDescription_ProcessIndex", NULL);
  TRY(check_device(a->description, "PJRT_DeviceDescription_ProcessIndex"));
  a->process_index = a->description->process;
  return NULL;
}
Err *Client_Destroy(Client_Destroy_Args *a) {
  ENTER(Client_Destroy_Args, a, client, "PJRT_Client_Destroy", NULL);
  TRY(check_client(a->client, "PJRT_Client_Destroy"));
  a->client->magic = 0;
  free(a->client);
  atomic_fetch_sub(&live[K_CLIENT], 1);
  return NULL;
}
Err *Client_PlatformName(Client_String_Args *a) {
  ENTER(Client_String_Args, a, str_size, "PJRT_Client_PlatformName", a->client);
  TRY(check_client(a->client, "PJRT_Client_PlatformName"));
  a->str = "mock";
  a->str_size = 4;
  return NULL;
}
Err *Client_PlatformVersion(Client_String_Args *a) {
  ENTER(Client_String_Args, a, str_size, "PJRT_Client_PlatformVersion", a->client);
  TRY(check_client(a->client, "PJRT_Client_PlatformVersion"));
  a->str = "mock 0.95 (hlo4j)";
  a->str_size = strlen(a->str);
  return NULL;
}
Err *Client_Devices(Client_Devices_Args *a) {
  ENTER(Client_Devices_Args, a, num_devices, "PJRT_Client_Devices", a->client);
  TRY(check_client(a->client, "PJRT_Client_Devices"));
  a->devices = a->client->device_ptrs;
  a->num_devices = (size_t)a->client->num_devices;
  return NULL;
}
Err *Client_AddressableDevices(Client_Devices_Args *a) {
  ENTER(Client_Devices_Args, a, num_devices, "PJRT_Client_AddressableDevices", a->client);
  TRY(check_client(a->client, "PJRT_Client_AddressableDevices"));
  a->devices = a->client->addressable_ptrs;
  a->num_devices = (size_t)a->client->num_addressable;
  return NULL;
}
Err *check_device(const Device *d, const char *name) {
  if (d == NULL || d->magic != MAGIC_DEVICE) return err(INVALID_ARGUMENT, "%s: not a device", name);
  return NULL;
}
Err *Device_GetDescription(Device_GetDescription_Args *a) {
  ENTER(Device_GetDescription_Args, a, description, "PJRT_Device_GetDescription", NULL);
  TRY(check_device(a->device, "PJRT_Device_GetDescription"));
  a->description = a->device;  // the mock's description is the device itself
  return NULL;
}
Err *DeviceDescription_Id(DeviceDescription_Id_Args *a) {
  ENTER(DeviceDescription_Id_Args, a, id, "PJRT_DeviceDescription_Id", NULL);
  TRY(check_device(a->description, "PJRT_DeviceDescription_Id"));
  a->id = a->description->id;
  return NULL;
}
Err *DeviceDescription_Kind(DeviceDescription_Kind_Args *a) {
  ENTER(DeviceDescription_Kind_Args, a, kind_size, "PJRT_DeviceDescription_Kind", NULL);
  TRY(check_device(a->description, "PJRT_DeviceDescription_Kind"));
  a->kind = "mock-device";
  a->kind_size = 11;
  return NULL;
}
