// The program evaluator: runs the two programs the mock knows (element-wise add of two f32
// tensors, a rank-2 f32 dot) by value on each device, and PJRT_LoadedExecutable_Execute.
#include "pjrt_mock.h"

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
Err *Loaded_Execute(Execute_Args *a) {
  const char *nm = "PJRT_LoadedExecutable_Execute";
  ENTER(Execute_Args, a, execute_device, nm, NULL);
  TRY(check_loaded(a->executable, nm));
  Err *inj = injected(nm, a->executable->client);
  if (inj) return inj;
  if (a->options == NULL) return err(INVALID_ARGUMENT, "%s: options is NULL", nm);
  // PJRT_ExecuteOptions grew at 0.78 (task/incarnation ids), 0.97 (multi_slice_config), 0.108 (the callbacks'
  // layout flag) and 0.112 (HLO output callbacks); a plugin refuses a caller's options smaller than its own.
  static const size_t options_sizes[][2] = {{0, SS(ExecuteOptions, incarnation_ids)}, {97, SS(ExecuteOptions, multi_slice_config)},
                                            {108, SS(ExecuteOptions, use_major_to_minor_data_layout_for_callbacks)},
                                            {112, SS(ExecuteOptions, num_hlo_output_callbacks)}};
  size_t want = min_size(options_sizes, 4);
  if (a->options->struct_size < want)
    return err(INVALID_ARGUMENT, "Unexpected PJRT_ExecuteOptions size: expected %zu, got %zu", want, a->options->struct_size);
  // What hlo4j leaves unset must read as unset: no multi-slice config, no HLO output callbacks.
  if (a->options->struct_size >= SS(ExecuteOptions, multi_slice_config) && a->options->multi_slice_config != NULL)
    return err(INVALID_ARGUMENT, "%s: multi_slice_config set", nm);
  if (a->options->struct_size >= SS(ExecuteOptions, num_hlo_output_callbacks) &&
      (a->options->num_hlo_output_callbacks != 0 || a->options->hlo_output_callbacks != NULL))
    return err(INVALID_ARGUMENT, "%s: hlo_output_callbacks set", nm);
  if (a->execute_device != NULL) return err(UNIMPLEMENTED, "%s: the mock runs on the compiled devices only", nm);
  // One argument list per device of this process (the job's other processes run theirs).
  if (a->num_devices != (size_t)a->executable->num_local)
    return err(INVALID_ARGUMENT, "%s: %zu argument lists for an executable on %d addressable devices", nm, a->num_devices, a->executable->num_local);
  if (a->argument_lists == NULL || a->output_lists == NULL) return err(INVALID_ARGUMENT, "%s: argument_lists/output_lists NULL", nm);
  for (size_t d = 0; d < a->num_devices; d++) {
    if (a->argument_lists[d] == NULL || a->output_lists[d] == NULL) return err(INVALID_ARGUMENT, "%s: list %zu is NULL", nm, d);
    Buffer *out = NULL;
    Err *e = run_program(a->executable, a->argument_lists[d], a->num_args, a->executable->local[d], &out);
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
      snprintf(msg, sizeof msg, "mock: execution failed on device %d", a->executable->local[d]->id);
      a->device_complete_events[d] = event_out("execute_event_status", msg);
    }
  return NULL;
}
