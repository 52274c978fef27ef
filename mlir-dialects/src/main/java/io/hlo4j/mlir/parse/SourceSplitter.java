package io.hlo4j.mlir.parse;

import java.util.ArrayList;
import java.util.List;

/** Splits a {@code -split-input-file} text at {@code // -----} lines, keeping each chunk's first line number. */
final class SourceSplitter {
    private SourceSplitter() {}

    record Chunk(String text, int firstLine) {}

    static List<Chunk> split(String text) {
        List<Chunk> out = new ArrayList<>();
        int line = 1;
        int chunkStart = 0;
        int chunkLine = 1;
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            int eol = text.indexOf('\n', pos);
            int end = eol < 0 ? n : eol;
            if (isMarker(text, pos, end)) {
                out.add(new Chunk(text.substring(chunkStart, pos), chunkLine));
                chunkStart = eol < 0 ? n : eol + 1;
                chunkLine = line + 1;
            }
            pos = eol < 0 ? n : eol + 1;
            line++;
        }
        out.add(new Chunk(text.substring(chunkStart), chunkLine));
        return out;
    }

    /** {@code // -----} with optional blanks around it (and MLIR's longer dash runs). */
    private static boolean isMarker(String s, int from, int to) {
        int i = from;
        while (i < to && Character.isWhitespace(s.charAt(i))) i++;
        if (i + 1 >= to || s.charAt(i) != '/' || s.charAt(i + 1) != '/') return false;
        i += 2;
        while (i < to && s.charAt(i) == ' ') i++;
        int dashes = 0;
        while (i < to && s.charAt(i) == '-') { i++; dashes++; }
        while (i < to && Character.isWhitespace(s.charAt(i))) i++;
        return dashes >= 5 && i == to;
    }
}
