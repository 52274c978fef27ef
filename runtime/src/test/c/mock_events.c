// Events: complete ones, and pending ones that a mock thread completes ~20 ms after their owner
// first awaits, registers a callback or destroys them (with an error when a test asks), and the
// PJRT_Event_* calls.
#include "pjrt_mock.h"

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
Event *event_new(Err *status) { return event_alloc(status, true); }
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

static Err *check_event(const Event *e, const char *name) {
  if (e == NULL || e->magic != MAGIC_EVENT) return err(INVALID_ARGUMENT, "%s: not a live event", name);
  return NULL;
}
Err *Event_Destroy(Event_Args *a) {
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
Err *Event_IsReady(Event_IsReady_Args *a) {
  ENTER(Event_IsReady_Args, a, is_ready, "PJRT_Event_IsReady", NULL);
  TRY(check_event(a->event, "PJRT_Event_IsReady"));
  pthread_mutex_lock(&a->event->mu);
  a->is_ready = a->event->ready;
  pthread_mutex_unlock(&a->event->mu);
  return NULL;
}
Err *Event_Await(Event_Args *a) {
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
Err *Event_Error(Event_Args *a) {
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
Err *Event_OnReady(Event_OnReady_Args *a) {
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
Event *event_out(const char *fail_name, const char *message) {
  if (failing(fail_name)) return event_pending(err(INTERNAL, "%s", message));
  if (failing("async_events")) return event_pending(NULL);
  return event_new(NULL);
}
