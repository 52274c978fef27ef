// A multi-process client's topology exchange, as a GPU plugin does at PJRT_Client_Create: each process puts its
// own devices under "mock/topology/<node>" through the caller's kv_put_callback, then reads every other process's
// (kv_try_get_callback first when the caller gave one, then the blocking kv_get_callback with the timeout), and
// refuses a peer that describes another job. A callback's failure is the create's error, unchanged; every value
// the caller hands back is freed through its value_deleter_callback once copied.
#include "pjrt_mock.h"

// The PJRT_CallbackError the mock gives the callbacks: the caller's failure as one of the mock's errors.
static Err *callback_error(int code, const char *message, size_t message_size) {
  return err(code, "%.*s", (int)message_size, message ? message : "");
}
static CallbackError callback_error_fn = callback_error;

static void describe(const Client *c, int node, char *out, size_t n) {
  int per = c->num_devices / c->num_processes;
  int len = snprintf(out, n, "nodes=%d devices=%d ids=", c->num_processes, per);
  for (int i = 0; i < per && len < (int)n; i++)
    len += snprintf(out + len, n - (size_t)len, "%s%d", i ? "," : "", c->devices[node * per + i].id);
}

// Copies a value the caller handed out, then frees it through its deleter (the header's ownership rule).
static Err *take(char *value, size_t size, void (*deleter)(char *), char *out, size_t n, const char *key) {
  if (deleter == NULL) return err(INVALID_ARGUMENT, "PJRT_Client_Create: the value of '%s' came without a value_deleter_callback", key);
  size_t k = size < n - 1 ? size : n - 1;
  if (value != NULL) memcpy(out, value, k);
  out[k] = 0;
  deleter(value);
  return NULL;
}

Err *exchange_topology(Client *c, const Client_Create_Args *a, int timeout_ms) {
  char key[64], mine[160], theirs[160];
  snprintf(key, sizeof key, "mock/topology/%d", c->process_index);
  describe(c, c->process_index, mine, sizeof mine);
  KvPut_Args put = {SS(KvPut_Args, user_arg), NULL, key, strlen(key), mine, strlen(mine), &callback_error_fn, a->kv_put_arg};
  TRY(((KvPut)a->kv_put)(&put));
  if (a->kv_try_get != NULL) atomic_fetch_add(&stats[2], 1);
  for (int q = 0; q < c->num_processes; q++) {
    if (q == c->process_index) continue;
    snprintf(key, sizeof key, "mock/topology/%d", q);
    bool have = false;
    if (a->kv_try_get != NULL) {
      KvTryGet_Args t = {SS(KvTryGet_Args, value_deleter_callback), NULL, key, strlen(key), &callback_error_fn, a->kv_try_get_arg, NULL, 0, NULL};
      Err *e = ((KvTryGet)a->kv_try_get)(&t);
      if (e != NULL && e->code != NOT_FOUND) return e;
      if (e != NULL) err_free(e);  // not there yet: wait for it below
      else {
        TRY(take(t.value, t.value_size, t.value_deleter_callback, theirs, sizeof theirs, key));
        have = true;
      }
    }
    if (!have) {
      KvGet_Args g = {SS(KvGet_Args, value_deleter_callback), NULL, key, strlen(key), timeout_ms, &callback_error_fn, a->kv_get_arg, NULL, 0, NULL};
      TRY(((KvGet)a->kv_get)(&g));
      TRY(take(g.value, g.value_size, g.value_deleter_callback, theirs, sizeof theirs, key));
    }
    describe(c, q, mine, sizeof mine);  // what this process expects of process q
    if (strcmp(mine, theirs) != 0)
      return err(FAILED_PRECONDITION, "PJRT_Client_Create: process %d describes its devices as '%s', but this process (%d) expects '%s'", q,
                 theirs, c->process_index, mine);
  }
  return NULL;
}
