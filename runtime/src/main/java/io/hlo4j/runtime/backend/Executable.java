package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/**
 * A module bound to a backend. Arguments are checked against the entry function's signature by position: another count,
 * a null or another type is an {@link ArgumentMismatchException}, before anything runs. Thread-safe: one executable may be
 * called from several threads at once (the interpreter's and PJRT's alike), with one exception: the global calls of a
 * program whose partitions run on several processes of a job ({@link PjrtBackend#open(java.nio.file.Path, java.util.Map,
 * io.hlo4j.runtime.pjrt.distributed.JobSpec, java.nio.file.Path)}) exchange result blocks by call number, so a job's calls
 * are made one at a time, in the same order on every process, so from one thread: an overlapping one is refused
 * (IllegalStateException), and a call made with other arguments than the same call of another process (calls in other
 * orders) is refused on every process after the exchange, instead of returning mixed blocks.
 * One compiled on a {@code PjrtBackend} throws {@link BackendClosedException} once that backend is closed (its close
 * waits for the calls in flight on other threads).
 */
public interface Executable {
    Module module();

    Backend backend();

    List<HostArray> call(List<HostArray> args);
}
