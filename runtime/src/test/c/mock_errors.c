// Errors and their injection: the PJRT_Error objects the mock hands out (counted, so tests see
// leaks), the PJRT_Error_* calls, the lists of calls made to fail, and the checks every call makes
// of the handles it is given.
#include "pjrt_mock.h"

Err *err(int code, const char *fmt, ...) {
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
void err_free(Err *e) {
  if (e == NULL) return;
  free(e->msg);
  free(e);
  atomic_fetch_sub(&live[K_ERR], 1);
}
Err *copy_err(const Err *e) {
  return e == NULL ? NULL : err(e->code, "%.*s", (int)e->len, e->msg);
}

// Whether `name` is one of the comma-separated names in `list`.
bool listed(const char *list, const char *name) {
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
bool failing(const char *name) { return listed(fail_call, name) || listed(getenv("HLO4J_MOCK_PJRT_FAIL"), name); }

// Injection: the process-wide hook or env var, or the client's "mock_fail" option (a list too).
Err *injected(const char *name, const Client *c) {
  if (failing(name) || (c && listed(c->fail, name)))
    return err(INTERNAL, "mock: injected failure in %s", name);
  return NULL;
}

Err *check_client(const Client *c, const char *name) {
  if (c == NULL || c->magic != MAGIC_CLIENT) return err(INVALID_ARGUMENT, "%s: not a live client", name);
  return NULL;
}
Err *check_buffer(const Buffer *b, const char *name) {
  if (b == NULL || b->magic != MAGIC_BUFFER) return err(INVALID_ARGUMENT, "%s: not a live buffer", name);
  return NULL;
}
Err *check_loaded(const Loaded *l, const char *name) {
  if (l == NULL || l->magic != MAGIC_LOADED) return err(INVALID_ARGUMENT, "%s: not a live loaded executable", name);
  return NULL;
}

void Error_Destroy(Error_Destroy_Args *a) {
  if (a == NULL || a->struct_size < SS(Error_Destroy_Args, error) || a->error == NULL) abort();
  free(a->error->msg);
  free(a->error);
  atomic_fetch_sub(&live[K_ERR], 1);
}
void Error_Message(Error_Message_Args *a) {
  if (a == NULL || a->struct_size < SS(Error_Message_Args, message_size) || a->error == NULL) abort();
  a->message = a->error->msg;
  a->message_size = a->error->len;
}
Err *Error_GetCode(Error_GetCode_Args *a) {
  CHECK_SIZE(Error_GetCode_Args, a, code, "PJRT_Error_GetCode");
  if (a->error == NULL) return err(INVALID_ARGUMENT, "PJRT_Error_GetCode: error is NULL");
  if (failing("PJRT_Error_GetCode")) return err(INTERNAL, "mock: injected failure in PJRT_Error_GetCode");
  a->code = a->error->code;
  return NULL;
}
