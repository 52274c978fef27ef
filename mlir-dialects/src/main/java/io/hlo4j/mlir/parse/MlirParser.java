package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.ir.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads MLIR text into the IR. Split-input files ({@code // -----}) give several modules. Errors are
 * {@link io.hlo4j.mlir.ir.ParseException}s ({@code file:line:col: message}).
 */
public final class MlirParser {
    private MlirParser() {}

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

    /** A leading byte-order mark is not part of the text (editors on some systems write one). */
    private static String withoutBom(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** Reads and parses a file (split markers honoured). */
    public static List<Module> parseFile(Path path) throws IOException {
        return parseSplit(java.nio.file.Files.readString(path), path.toString());
    }
}
