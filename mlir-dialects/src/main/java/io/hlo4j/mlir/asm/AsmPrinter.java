package io.hlo4j.mlir.asm;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;

/**
 * What an op's pretty syntax may print, modelled on MLIR's OpAsmPrinter. The printer module implements it;
 * op declarations use it. An op's printer is called right after {@code %results = op.name} and prints
 * everything up to (not including) the trailing location.
 */
public interface AsmPrinter {
    /**
     * True when printing for the pre-properties StableHLO printer ({@code PrintOptions.Profile.PRE_PROPERTIES}),
     * whose pretty forms lacked some later shorthands (a reduce's {@code applies} form).
     */
    default boolean preProperties() { return false; }

    /** Raw text. */
    AsmPrinter print(String text);

    AsmPrinter printOperand(Value v);

    /** Comma-separated operands. */
    AsmPrinter printOperands(List<? extends Value> vs);

    AsmPrinter printType(Type t);

    /** Comma-separated types. */
    AsmPrinter printTypes(List<? extends Type> ts);

    /** {@code (A, B) -> C} with MLIR's rule for parenthesising results. */
    AsmPrinter printFunctionalType(List<? extends Type> inputs, List<? extends Type> results);

    AsmPrinter printAttribute(Attribute a);

    /** An integer/float/dense attribute without its {@code : type} suffix. */
    AsmPrinter printAttributeWithoutType(Attribute a);

    /** {@code  {k = v, ...}} (with a leading space) for the entries not in {@code elided}; nothing if none. */
    AsmPrinter printOptionalAttrDict(DictionaryAttr attrs, Set<String> elided);

    /** {@code  attributes {k = v, ...}} for the entries not in {@code elided}; nothing if none. */
    AsmPrinter printOptionalAttrDictWithKeyword(DictionaryAttr attrs, Set<String> elided);

    /** {@code %name: type} and, when present, the argument's trailing location when locations are on. */
    AsmPrinter printArgument(BlockArgument a, boolean withType);

    /**
     * A region in braces with its ops indented. {@code printEntryBlockArgs}: print a {@code ^bb0(...)}
     * header when the entry block has arguments.
     */
    AsmPrinter printRegion(Region r, boolean printEntryBlockArgs);

    AsmPrinter printSymbolName(String name);

    /** A quoted, escaped string literal. */
    AsmPrinter printString(String s);

    /** A newline at the current indentation. */
    AsmPrinter newline();

    /** Whether the caller asked for locations to be printed. */
    boolean printLocations();
}
