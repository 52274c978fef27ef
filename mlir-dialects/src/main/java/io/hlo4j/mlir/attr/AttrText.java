package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.print.AttributePrinter;

/**
 * Bridges core attributes' {@code toString()} to the printer, which owns the canonical spellings (one place
 * knows how MLIR writes a float, a dense literal, a string escape).
 */
final class AttrText {
    private AttrText() {}

    static String integer(IntegerAttr a) { return AttributePrinter.print(a); }
    static String floating(FloatAttr a) { return AttributePrinter.print(a); }
    static String string(StringAttr a) { return AttributePrinter.print(a); }
    static String denseArray(DenseArrayAttr a) { return AttributePrinter.print(a); }
    static String dictionary(DictionaryAttr a) { return AttributePrinter.print(a); }
    static String dense(DenseElementsAttr a) { return AttributePrinter.print(a); }
    static String symbolRef(SymbolRefAttr a) { return AttributePrinter.print(a); }
}
