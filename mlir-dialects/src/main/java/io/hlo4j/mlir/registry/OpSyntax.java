package io.hlo4j.mlir.registry;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.ir.Operation;

/**
 * An op's pretty (custom) assembly form. {@link #GENERIC} declares that the op has none upstream and is
 * always printed in generic form.
 */
public interface OpSyntax {
    /** Parses what follows the op name; the returned builder carries operands, result types, attributes, regions. */
    Operation.Builder parse(AsmParser parser, String opName);

    /** Prints what follows {@code %r = op.name} (a leading space included where upstream has one). */
    void print(Operation op, AsmPrinter printer);

    /** Whether this op can be printed in pretty form (some ops fall back to generic for unusual attributes). */
    default boolean canPrint(Operation op) { return true; }

    /** The op has no pretty form; the printer uses the generic form and the parser accepts only that. */
    OpSyntax GENERIC = new OpSyntax() {
        @Override public Operation.Builder parse(AsmParser parser, String opName) {
            throw parser.error("'" + opName + "' has no custom assembly form; write it in generic form \"" + opName + "\"(...)");
        }
        @Override public void print(Operation op, AsmPrinter printer) { throw new UnsupportedOperationException(); }
        @Override public boolean canPrint(Operation op) { return false; }
    };
}
