package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.Type;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads MLIR text into the IR. Split-input files ({@code // -----}) give several modules. Errors are
 * {@link io.hlo4j.mlir.ir.ParseException}s ({@code file:line:col: message}); no other exception escapes for
 * any input text.
 *
 * <p>Design: the ANTLR lexer ({@code MlirLexer.g4}) makes every token (a string, even a megabyte hex blob, is
 * one token); the ANTLR grammar ({@code MlirGrammar.g4}) has the rules for types, attributes, locations and
 * the pieces of operations; {@link OpParser} drives operations, regions and blocks over the same token stream
 * and is the {@link io.hlo4j.mlir.asm.AsmParser} through which each op's pretty syntax parses. Bracket nesting
 * is capped ({@value OpParser#MAX_NESTING} levels) before anything recurses, and a dense literal's memory is
 * tied to the text that spells it. A control character outside comments and strings is the lexer's CONTROL_CHAR,
 * refused at its line and column (with the character's code) before anything is parsed.
 */
public final class MlirParser {
    private MlirParser() {}

    /**
     * The deepest bracket nesting ({@code ( [ { <}) the parser reads; deeper text is refused by name. The printer
     * refuses to write deeper text ({@link io.hlo4j.mlir.print.PrintLimitException}), so whatever it prints parses.
     */
    public static final int MAX_NESTING = OpParser.MAX_NESTING;

    /** Parses one module (a file without split markers); top-level ops without a module get an implicit one. */
    public static Module parseModule(String text, String fileName) {
        return new OpParser(withoutBom(text), fileName, 1).parseModule();
    }

    /** Parses every chunk of a split-input file, in order. Without markers, one module. */
    public static List<Module> parseSplit(String text, String fileName) {
        List<Module> out = new ArrayList<>();
        for (SourceSplitter.Chunk c : SourceSplitter.split(withoutBom(text))) {
            out.add(new OpParser(c.text(), fileName, c.firstLine()).parseModule());
        }
        return out;
    }

    /** One type in MLIR syntax ({@code tensor<2x?xf32>}); the whole text must be the type. */
    public static Type parseType(String text) {
        return new OpParser(withoutBom(text), "<type>", 1).parseWhole(AsmParser::parseType, "type");
    }

    /** One attribute in MLIR syntax ({@code dense<1.0> : tensor<2xf32>}); the whole text must be the attribute. */
    public static Attribute parseAttribute(String text) {
        return new OpParser(withoutBom(text), "<attribute>", 1).parseWhole(AsmParser::parseAttribute, "attribute");
    }

    /** A leading byte-order mark is not part of the text (editors on some systems write one). */
    private static String withoutBom(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /**
     * Reads and parses one module from a file (a file without split markers), its diagnostics at the path as given. The
     * file is read as the CLI reads it ({@link TextFiles#read(Path)}): a missing file, a folder, more than
     * {@link TextFiles#MAX_BYTES} bytes or text that is not UTF-8 (the bad byte's offset named) is a
     * {@link java.nio.file.FileSystemException} naming the path.
     */
    public static Module parseModule(Path path) throws IOException {
        return parseModule(TextFiles.read(path), path.toString());
    }

    /** Reads and parses a file (split markers honoured); read as {@link #parseModule(Path)} reads it. */
    public static List<Module> parseFile(Path path) throws IOException {
        return parseSplit(TextFiles.read(path), path.toString());
    }
}
