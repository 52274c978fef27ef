package io.hlo4j.mlir.roundtrip;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.ConformanceFiles;

import java.nio.file.Path;
import java.util.List;

/** Parses conformance files and compares MLIR texts the way the round-trip tests need. */
final class Conformance {
    private Conformance() {}

    /** Parses a file into its modules. */
    static List<Module> parse(Path p) { return MlirParser.parseSplit(ConformanceFiles.read(p), p.toString()); }

    /**
     * The text with {@code //} comments, {@code loc(...)} locations, {@code #loc} alias definitions and all
     * whitespace outside string literals removed: two texts are "equal up to whitespace, comments and
     * locations" when their normal forms are equal.
     */
    static String normalize(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '"') {
                int end = endOfString(text, i);
                out.append(text, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '/') {
                while (i < n && text.charAt(i) != '\n') i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else if (c == 'l' && text.startsWith("loc(", i) && (i == 0 || !isIdentChar(text.charAt(i - 1)))) {
                i = endOfParens(text, i + 3);
            } else if (c == '#' && text.startsWith("#loc", i) && (i == 0 || text.charAt(i - 1) == '\n')) {
                // "#loc3 = loc(...)" alias definitions: drop the name and '='; the loc(...) goes next.
                int j = i + 4;
                while (j < n && isIdentChar(text.charAt(j))) j++;
                while (j < n && Character.isWhitespace(text.charAt(j))) j++;
                if (j < n && text.charAt(j) == '=') i = j + 1;
                else {
                    out.append(c);
                    i++;
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static boolean isIdentChar(char c) { return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '$'; }

    private static int endOfString(String t, int start) {
        int i = start + 1;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c == '\\') i += 2;
            else if (c == '"') return i + 1;
            else i++;
        }
        return t.length();
    }

    /** Index just past the parenthesis group opening at {@code open}, skipping strings. */
    private static int endOfParens(String t, int open) {
        int depth = 0;
        int i = open;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c == '"') {
                i = endOfString(t, i);
                continue;
            }
            if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i + 1;
            i++;
        }
        return t.length();
    }

    /** A short excerpt around the first difference of two normalized texts. */
    static String firstDifference(String expected, String actual) {
        int i = 0;
        while (i < expected.length() && i < actual.length() && expected.charAt(i) == actual.charAt(i)) i++;
        int from = Math.max(0, i - 60);
        return "at normalized offset " + i + ":\n    expected ..." + expected.substring(from, Math.min(expected.length(), i + 60))
                + "\n    printed  ..." + actual.substring(from, Math.min(actual.length(), i + 60));
    }
}
