/**
 * PJRT through FFM (java.lang.foreign only): load a plugin ({@link io.hlo4j.runtime.pjrt.PjrtPlugin}),
 * create a client, compile StableHLO text with {@link io.hlo4j.runtime.pjrt.CompileOptions} (a serialized
 * {@code xla.CompileOptionsProto} from hlo4j's own .proto files), move {@link io.hlo4j.runtime.pjrt.HostData}
 * to and from devices, execute per device. Layouts follow pjrt_c_api.h 0.114 ({@code Abi}); plugins from
 * 0.57 on are accepted. A file that cannot be a shared library is refused before loading
 * ({@link io.hlo4j.runtime.pjrt.SharedLibraryFile}). Every {@code PJRT_Error} becomes a
 * {@link io.hlo4j.runtime.pjrt.PjrtException} naming the call; client, executable and buffer are
 * AutoCloseable, safe to close while other threads call them (close waits for the calls in flight; {@code NativeHandle}),
 * and refuse use after close with a {@link io.hlo4j.runtime.pjrt.PjrtClosedException}. Tests run against a C mock plugin (src/test/c).
 */
package io.hlo4j.runtime.pjrt;
