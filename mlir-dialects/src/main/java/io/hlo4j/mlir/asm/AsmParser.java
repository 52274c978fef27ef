package io.hlo4j.mlir.asm;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.List;

/**
 * What an op's (or dialect attribute's) pretty syntax may read, modelled on MLIR's OpAsmParser. The parser
 * module implements it over the ANTLR token stream; op declarations use it to parse their custom forms.
 * Every {@code parseX} throws {@link ParseException} naming the token it found; {@code optional} variants
 * return null/false and consume nothing when the next token does not match.
 */
public interface AsmParser {
    /** A parse error at the current token: {@code file:line:col: message (found 'tok')}. */
    ParseException error(String message);

    /** Location of the current token (for ops that record where a part was written). */
    Location currentLocation();

    // ---- punctuation and keywords -------------------------------------------------------------
    /** Consumes the punctuation {@code p}: one of , : ( ) [ ] { } < > = -> ? * + x ... ::. */
    void expect(String p);

    boolean consumeIf(String p);

    boolean peekIs(String p);

    /** Consumes the bare identifier {@code kw} (e.g. {@code across}, {@code dims}, {@code applies}). */
    void expectKeyword(String kw);

    boolean consumeKeywordIf(String kw);

    /** Consumes and returns any bare identifier (dots allowed: {@code stablehlo.add}, {@code e8m7}). */
    String parseKeyword();

    /** The next token's text if it is a bare identifier, else null; consumes nothing. */
    String peekKeyword();

    // ---- literals -----------------------------------------------------------------------------
    /** An integer literal with optional leading '-' (decimal or 0x hex). */
    long parseInteger();

    boolean peekInteger();

    /** A float literal, an integer literal, or a 0x hex bit pattern (interpreted for {@code bitsType}, may be null for f64). */
    double parseFloat();

    String parseString();

    /** {@code @name} (or {@code @"quoted"}); returns the name without '@'. */
    String parseSymbolName();

    boolean peekSymbolName();

    // ---- SSA values ---------------------------------------------------------------------------
    OperandRef parseOperand();

    boolean peekOperand();

    /** Comma-separated operands, possibly none (stops at the first token that is not an operand). */
    List<OperandRef> parseOperandList();

    /** Looks up a parsed name in the enclosing scopes and checks its type; errors name the value. */
    Value resolve(OperandRef ref, Type type);

    /** Resolves each ref against the matching type; a count mismatch is an error. */
    List<Value> resolve(List<OperandRef> refs, List<Type> types);

    /** The type of an already-defined value, for syntaxes whose types are implied by operands. */
    Type typeOf(OperandRef ref);

    /** Number of results written on the left of '=' ({@code %0:2 =} is 2, none is 0). */
    int resultCount();

    // ---- types and attributes -----------------------------------------------------------------
    Type parseType();

    /** Comma-separated types (at least one). */
    List<Type> parseTypeList();

    /** {@code (T, ...) -> T} or {@code (T, ...) -> (T, ...)}. */
    FunctionType parseFunctionType();

    /** Any attribute, including a trailing {@code : type} where the attribute kind takes one. */
    Attribute parseAttribute();

    /** An attribute whose type (e.g. for an untyped integer or dense literal) is {@code type}. */
    Attribute parseAttribute(Type type);

    /** {@code {k = v, ...}} when present; {@link DictionaryAttr#EMPTY} otherwise. */
    DictionaryAttr parseOptionalAttrDict();

    /** {@code attributes {k = v, ...}} when present; {@link DictionaryAttr#EMPTY} otherwise. */
    DictionaryAttr parseOptionalAttrDictWithKeyword();

    /** A trailing {@code loc(...)} when present, else null. */
    Location parseOptionalLocation();

    // ---- arguments and regions ----------------------------------------------------------------
    /** {@code %name} with, when {@code requireType}, {@code : type}; then optional {@code {attrs}} and loc. */
    ParsedArgument parseArgument(boolean requireType, boolean allowAttributes);

    /**
     * A region in braces. When {@code entryArguments} is non-empty they become the entry block's arguments
     * (names visible in the body); otherwise a {@code ^bb0(...)} header may declare them. Names defined
     * outside remain visible inside (StableHLO regions capture values).
     */
    Region parseRegion(List<ParsedArgument> entryArguments);

    boolean peekRegion();
}
