// Buffers: host-to-device copies checked against their element type, dims and strides, and the
// PJRT_Buffer_* calls (dims, type, to-host copies, ready events).
#include "pjrt_mock.h"

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

Buffer *buffer_new(Client *c, Device *d, int type, size_t nd, const int64_t *dims) {
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
Err *Client_BufferFromHost(BufferFromHost_Args *a) {
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
Err *Buffer_Destroy(Buffer_Destroy_Args *a) {
  ENTER(Buffer_Destroy_Args, a, buffer, "PJRT_Buffer_Destroy", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_Destroy"));
  a->buffer->magic = 0;
  free(a->buffer->data);
  free(a->buffer);
  atomic_fetch_sub(&live[K_BUFFER], 1);
  return NULL;
}
Err *Buffer_ElementType(Buffer_ElementType_Args *a) {
  ENTER(Buffer_ElementType_Args, a, type, "PJRT_Buffer_ElementType", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_ElementType"));
  a->type = a->buffer->type;
  return NULL;
}
Err *Buffer_Dimensions(Buffer_Dimensions_Args *a) {
  ENTER(Buffer_Dimensions_Args, a, num_dims, "PJRT_Buffer_Dimensions", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_Dimensions"));
  a->dims = a->buffer->dims;
  a->num_dims = a->buffer->num_dims;
  return NULL;
}
Err *Buffer_ToHost(Buffer_ToHost_Args *a) {
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
Err *Buffer_ReadyEvent(Buffer_ReadyEvent_Args *a) {
  ENTER(Buffer_ReadyEvent_Args, a, event, "PJRT_Buffer_ReadyEvent", NULL);
  TRY(check_buffer(a->buffer, "PJRT_Buffer_ReadyEvent"));
  // "ready_event_status" makes the event itself complete with an error (the asynchronous failure path).
  // "ready_event_async_status" makes it pending, completing with the error from a mock thread.
  a->event = failing("ready_event_status") ? event_new(err(INTERNAL, "mock: buffer computation failed"))
                                           : event_out("ready_event_async_status", "mock: buffer computation failed");
  return NULL;
}
