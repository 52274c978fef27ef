package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/** A module bound to a backend. Arguments are checked against the entry function's signature by position. */
public interface Executable {
    Module module();

    Backend backend();

    List<HostArray> call(List<HostArray> args);
}
