// Compilation: the compile options' protobuf wire format checked field by field, the two programs
// recognised from the StableHLO text, and what an executable reports (outputs, devices, cost,
// memory, optimized program, serialization).
#include "pjrt_mock.h"
#include "hlo_fixtures.h"

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

// The device ids of a DeviceAssignmentProto, partition-major: computation_devices (field 3), each listing its
// replica_device_ids (field 1, packed or one varint per id). Returns false on malformed bytes or too many ids.
static bool assignment_ids(const unsigned char *p, const unsigned char *end, int64_t *ids, int *n) {
  *n = 0;
  while (p < end) {
    uint64_t tag, len;
    if (!varint(&p, end, &tag)) return false;
    if ((tag & 7) == 0) { if (!varint(&p, end, &len)) return false; continue; }
    if ((tag & 7) != 2 || !varint(&p, end, &len) || len > (uint64_t)(end - p)) return false;
    const unsigned char *q = p, *qend = p + len;
    p = qend;
    if ((tag >> 3) != 3) continue;
    while (q < qend) {
      uint64_t t, v;
      if (!varint(&q, qend, &t) || (t >> 3) != 1) return false;
      if ((t & 7) == 0) {
        if (!varint(&q, qend, &v) || *n >= MAX_DEVICES) return false;
        ids[(*n)++] = (int64_t)v;
      } else if ((t & 7) == 2) {
        uint64_t plen;
        if (!varint(&q, qend, &plen) || plen > (uint64_t)(qend - q)) return false;
        const unsigned char *r = q, *rend = q + plen;
        q = rend;
        while (r < rend) {
          if (!varint(&r, rend, &v) || *n >= MAX_DEVICES) return false;
          ids[(*n)++] = (int64_t)v;
        }
      } else return false;
    }
  }
  return true;
}

Err *Client_Compile(Client_Compile_Args *a) {
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
  // device_ordinal, num_replicas, num_partitions, process_count, process_index, debug_options
  int want[6] = {1, 4, 5, 23, 22, 3};
  int64_t vals[6] = {0, 0, 0, 0, 0, 0};
  const unsigned char *dbg = NULL, *da = NULL;
  size_t dbg_len = 0, da_len = 0;
  if (!walk(ebo, ebo + ebo_len, want, vals, 6, 3, &dbg, &dbg_len) || !walk(ebo, ebo + ebo_len, want, vals, 0, 9, &da, &da_len))
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: executable_build_options are malformed");
  if (dbg != NULL) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: mock refuses a DebugOptions (it would replace XLA's defaults)");
  if (vals[0] != -1) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: device_ordinal must be -1, got %lld", (long long)vals[0]);
  Client *c = a->client;
  // process_index/process_count: JAX leaves them 0 of 1 and XLA's GPU client sets them itself from the processes the
  // device assignment names, so a caller's values only have to be consistent.
  if (vals[3] < 1 || vals[4] < 0 || vals[4] >= vals[3])
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: process_index %lld of process_count %lld", (long long)vals[4], (long long)vals[3]);
  int64_t devices = vals[1] * vals[2];
  if (vals[1] < 1 || vals[2] < 1 || devices > c->num_devices)
    return err(INVALID_ARGUMENT, "PJRT_Client_Compile: %lld replicas x %lld partitions do not fit %d devices",
               (long long)vals[1], (long long)vals[2], c->num_devices);
  // The devices this process runs: those of the assignment it owns, in assignment order (without an assignment,
  // the first addressable ones). Every id must name a device of the job.
  int64_t ids[MAX_DEVICES];
  int nids = 0, nlocal = 0;
  Device *local[MAX_DEVICES];
  if (da != NULL) {
    if (!assignment_ids(da, da + da_len, ids, &nids)) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: device_assignment is malformed");
    if (nids != devices)
      return err(INVALID_ARGUMENT, "PJRT_Client_Compile: device_assignment lists %d ids for %lld replicas x %lld partitions", nids,
                 (long long)vals[1], (long long)vals[2]);
    for (int i = 0; i < nids; i++) {
      Device *d = NULL;
      for (int k = 0; k < c->num_devices; k++) if (c->devices[k].id == ids[i]) d = &c->devices[k];
      if (d == NULL) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: device_assignment names device %lld, not a device of this client", (long long)ids[i]);
      bool mine = false;
      for (int k = 0; k < c->num_addressable; k++) if (c->addressable_ptrs[k] == d) mine = true;
      if (mine) local[nlocal++] = d;
    }
    if (nlocal == 0) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: the device assignment names no device of process %d", c->process_index);
  } else {
    if (devices > c->num_addressable) return err(INVALID_ARGUMENT, "PJRT_Client_Compile: no device_assignment and %lld devices > %d addressable", (long long)devices, c->num_addressable);
    for (int k = 0; k < devices; k++) local[nlocal++] = c->addressable_ptrs[k];
  }
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
  *l = (Loaded){MAGIC_LOADED, a->client, program, (int)devices, nlocal, {0}, {0}};
  memcpy(l->local, local, sizeof(Device *) * (size_t)nlocal);
  for (int i = 0; i < (int)devices; i++) l->ids[i] = da != NULL ? ids[i] : local[i]->id;
  atomic_fetch_add(&live[K_LOADED], 1);
  a->executable = l;
  return NULL;
}
Err *Loaded_Destroy(Loaded_Destroy_Args *a) {
  ENTER(Loaded_Destroy_Args, a, executable, "PJRT_LoadedExecutable_Destroy", NULL);
  TRY(check_loaded(a->executable, "PJRT_LoadedExecutable_Destroy"));
  a->executable->magic = 0;
  free(a->executable);
  atomic_fetch_sub(&live[K_LOADED], 1);
  return NULL;
}
Err *Loaded_GetExecutable(GetExecutable_Args *a) {
  ENTER(GetExecutable_Args, a, executable, "PJRT_LoadedExecutable_GetExecutable", NULL);
  TRY(check_loaded(a->loaded, "PJRT_LoadedExecutable_GetExecutable"));
  Exec *e = calloc(1, sizeof *e);
  e->magic = MAGIC_EXEC;
  e->loaded = a->loaded;
  atomic_fetch_add(&live[K_EXEC], 1);
  a->executable = e;
  return NULL;
}
Err *Exec_Destroy(Exec_Destroy_Args *a) {
  ENTER(Exec_Destroy_Args, a, executable, "PJRT_Executable_Destroy", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_Destroy: not an executable");
  a->executable->magic = 0;
  free(a->executable);
  atomic_fetch_sub(&live[K_EXEC], 1);
  return NULL;
}
Err *Exec_NumOutputs(NumOutputs_Args *a) {
  ENTER(NumOutputs_Args, a, num_outputs, "PJRT_Executable_NumOutputs", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_NumOutputs: not an executable");
  a->num_outputs = 1;
  return NULL;
}
Err *Loaded_AddressableDevices(Loaded_Devices_Args *a) {
  ENTER(Loaded_Devices_Args, a, num_devices, "PJRT_LoadedExecutable_AddressableDevices", NULL);
  TRY(check_loaded(a->executable, "PJRT_LoadedExecutable_AddressableDevices"));
  a->devices = a->executable->local;
  a->num_devices = (size_t)a->executable->num_local;
  return NULL;
}

// Cost analysis: the mock's own numbers (add of 2x3: 6 flops; 2x3 . 3x2 dot: 24), owned by the executable.
Err *Exec_CostAnalysis(CostAnalysis_Args *a) {
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
Err *Exec_MemoryStats(MemoryStats_Args *a) {
  ENTER(MemoryStats_Args, a, v[9], "PJRT_Executable_GetCompiledMemoryStats", NULL);
  // The struct grew at 0.72 (peak), 0.90 (total) and 0.104 (allocation counts, unpadded heap peak); a plugin
  // refuses a caller's struct smaller than its own.
  static const size_t stats_sizes[][2] = {{0, SS(MemoryStats_Args, v[9])}, {72, SS(MemoryStats_Args, v[10])},
                                          {90, SS(MemoryStats_Args, v[11])}, {104, SS(MemoryStats_Args, v[14])}};
  size_t want = min_size(stats_sizes, 4);
  if (a->struct_size < want)
    return err(INVALID_ARGUMENT, "Unexpected PJRT_Executable_GetCompiledMemoryStats_Args size: expected %zu, got %zu", want, a->struct_size);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_GetCompiledMemoryStats: not an executable");
  TRY(injected("PJRT_Executable_GetCompiledMemoryStats", a->executable->loaded->client));  // also the client's "mock_fail" option
  int n = (int)((a->struct_size - offsetof(MemoryStats_Args, v)) / sizeof(int64_t));  // only the fields the caller has
  if (n > 15) n = 15;
  for (int i = 0; i < n; i++) a->v[i] = 1001 + i;
  return NULL;
}

// Optimized program, two-phase like a real plugin: code NULL -> code_size; then the bytes. Like the CUDA
// plugin, the format is "hlo_with_config" (HloModuleProtoWithConfig). The bytes are the fixtures of
// hlo_fixtures.h (generated by io.hlo4j.runtime.hlo.HloFixtures): the dot or add module for a
// single-device compile, the 8-way SPMD module with collectives for a compile over several devices, and
// for a client created with mock_program=implicit the module whose collectives leave their replica groups implicit.
Err *Exec_OptimizedProgram(OptimizedProgram_Args *a) {
  ENTER(OptimizedProgram_Args, a, program, "PJRT_Executable_OptimizedProgram", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_OptimizedProgram: not an executable");
  TRY(injected("PJRT_Executable_OptimizedProgram", a->executable->loaded->client));  // also the client's "mock_fail" option
  Program *p = a->program;
  if (p == NULL || p->struct_size < SS(Program, format_size)) return err(INVALID_ARGUMENT, "PJRT_Executable_OptimizedProgram: bad PJRT_Program");
  const Loaded *l = a->executable->loaded;
  const unsigned char *bytes = l->client->implicit ? hlo_fixture_implicit : l->num_devices > 1 ? hlo_fixture_spmd
                              : l->program == PROG_DOT ? hlo_fixture_dot : hlo_fixture_add;
  size_t n = l->client->implicit ? sizeof hlo_fixture_implicit : l->num_devices > 1 ? sizeof hlo_fixture_spmd
             : l->program == PROG_DOT ? sizeof hlo_fixture_dot : sizeof hlo_fixture_add;
  p->format = "hlo_with_config";
  p->format_size = 15;
  if (p->code == NULL) { p->code_size = n; return NULL; }
  if (p->code_size < n) return err(INVALID_ARGUMENT, "PJRT_Executable_OptimizedProgram: code_size %zu < %zu", p->code_size, n);
  memcpy(p->code, bytes, n);
  p->code_size = n;
  return NULL;
}

// Serialization: "hlo4j-mock-exe/2 program=P devices=N ids=I,J,..." (the device assignment, as XLA's serialized
// executable carries its compile options), freed through the returned deleter. Loading puts it on this client's devices
// among those ids, in their order, as a real plugin loads onto the assignment's addressable devices. The older
// "hlo4j-mock-exe/1 program=P devices=N" (no assignment) still loads, onto the client's first N addressable devices:
// a plugin that ignores the assignment, which the compile cache must catch.
struct Serialized { char text[256]; };   // 8 devices of 19-digit ids fit; a longer text is an error, never cut
static void serialized_delete(Serialized *s) {
  free(s);
  atomic_fetch_sub(&live[K_SERIALIZED], 1);
}
Err *Exec_Serialize(Serialize_Args *a) {
  ENTER(Serialize_Args, a, deleter, "PJRT_Executable_Serialize", NULL);
  if (a->executable == NULL || a->executable->magic != MAGIC_EXEC) return err(INVALID_ARGUMENT, "PJRT_Executable_Serialize: not an executable");
  TRY(check_loaded(a->executable->loaded, "PJRT_Executable_Serialize"));
  const Loaded *l = a->executable->loaded;
  Serialized *s = calloc(1, sizeof *s);
  int n = snprintf(s->text, sizeof s->text, "hlo4j-mock-exe/2 program=%d devices=%d ids=", l->program, l->num_devices);
  for (int i = 0; i < l->num_devices && n < (int)sizeof s->text; i++)
    n += snprintf(s->text + n, sizeof s->text - (size_t)n, i == 0 ? "%lld" : ",%lld", (long long)l->ids[i]);
  if (n < 0 || n >= (int)sizeof s->text) {
    free(s);
    return err(INTERNAL, "PJRT_Executable_Serialize: the mock's serialized form needs %d bytes, more than its %zu", n, sizeof s->text - 1);
  }
  atomic_fetch_add(&live[K_SERIALIZED], 1);
  a->serialized = s;
  a->bytes = s->text;
  a->bytes_size = strlen(s->text);
  a->deleter = serialized_delete;
  return NULL;
}
Err *Exec_DeserializeAndLoad(Deserialize_Args *a) {
  ENTER(Deserialize_Args, a, loaded, "PJRT_Executable_DeserializeAndLoad", a->client);
  TRY(check_client(a->client, "PJRT_Executable_DeserializeAndLoad"));
  Client *c = a->client;
  int program = 0, devices = 0, used = 0, version = 0;
  char text[sizeof ((Serialized *)0)->text] = {0};
  if (a->bytes == NULL || a->bytes_size >= sizeof text) return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: not a mock executable");
  memcpy(text, a->bytes, a->bytes_size);
  if (sscanf(text, "hlo4j-mock-exe/%d program=%d devices=%d%n", &version, &program, &devices, &used) != 3 || (version != 1 && version != 2) ||
      program < PROG_ADD || program > PROG_DOT || devices < 1 || devices > c->num_devices)
    return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: not a mock executable for this client (%zu bytes)", a->bytes_size);
  Loaded *l = calloc(1, sizeof *l);
  *l = (Loaded){MAGIC_LOADED, c, program, devices, 0, {0}, {0}};
  if (version == 1) {
    if (text[used] != 0) {
      free(l);
      return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: trailing bytes after a version 1 mock executable: '%s'", text + used);
    }
    if (devices > c->num_addressable) {
      free(l);
      return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: %d devices > %d addressable", devices, c->num_addressable);
    }
    for (int i = 0; i < devices; i++) { l->local[i] = c->addressable_ptrs[i]; l->ids[i] = c->addressable_ptrs[i]->id; }
    l->num_local = devices;
  } else {
    const char *q = text + used;
    if (strncmp(q, " ids=", 5) != 0) { free(l); return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: no ids in a version 2 mock executable"); }
    q += 5;
    for (int i = 0; i < devices; i++) {
      char *end;
      // digits only: strtoll would also take leading blanks and a sign (' +100')
      long long id = *q >= '0' && *q <= '9' ? strtoll(q, &end, 10) : (end = (char *)q, 0);
      if (end == q || (i + 1 < devices ? *end != ',' : *end != 0)) {
        free(l);
        return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: malformed ids in a mock executable");
      }
      q = end + 1;
      // as Compile checks a device assignment: every id a device of this client, none twice
      bool known = false;
      for (int k = 0; k < c->num_devices; k++) if (c->devices[k].id == id) known = true;
      for (int k = 0; k < i; k++)
        if (l->ids[k] == id) {
          free(l);
          return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: the executable names device %lld twice", id);
        }
      if (!known) {
        free(l);
        return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: the executable names device %lld, not a device of this client", id);
      }
      l->ids[i] = id;
      for (int k = 0; k < c->num_addressable; k++) if (c->addressable_ptrs[k]->id == id) l->local[l->num_local++] = c->addressable_ptrs[k];
    }
    if (l->num_local == 0) {
      free(l);
      return err(INVALID_ARGUMENT, "PJRT_Executable_DeserializeAndLoad: the executable's devices name none of process %d's", c->process_index);
    }
  }
  atomic_fetch_add(&live[K_LOADED], 1);
  a->loaded = l;
  return NULL;
}
