package io.hlo4j.mlir.print;

import io.hlo4j.mlir.attr.Attribute;

/** Canonical text of attributes, as MLIR's printer writes them. (Stub: the printer fills this in.) */
public final class AttributePrinter {
    private AttributePrinter() {}

    public static String print(Attribute a) {
        return "<" + a.getClass().getSimpleName() + ">";
    }
}
