package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/**
 * A module bound to a backend. Arguments are checked against the entry function's signature by position: another count
 * or type is an {@link ArgumentMismatchException}, before anything runs. Thread-safe: one executable may be called from
 * several threads at once (the interpreter's and PJRT's alike); one compiled on a {@code PjrtBackend} throws
 * IllegalStateException once that backend is closed (its close waits for the calls in flight on other threads).
 */
public interface Executable {
    Module module();

    Backend backend();

    List<HostArray> call(List<HostArray> args);
}
