package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;

/** Writes the IR as MLIR text, matching upstream's canonical output. (Stub: the printer fills this in.) */
public final class MlirPrinter {
    private MlirPrinter() {}

    public static String print(Module module, PrintOptions options) {
        throw new UnsupportedOperationException("printer not yet implemented");
    }

    public static String print(Module module) { return print(module, PrintOptions.DEFAULT); }

    /** Prints a single operation (and its regions) as it would appear inside a module. */
    public static String print(Operation op, PrintOptions options) {
        throw new UnsupportedOperationException("printer not yet implemented");
    }
}
