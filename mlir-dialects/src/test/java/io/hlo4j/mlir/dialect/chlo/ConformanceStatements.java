package io.hlo4j.mlir.dialect.chlo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Reads whole statements (possibly spanning lines) out of the StableHLO conformance files. */
public final class ConformanceStatements {
    private ConformanceStatements() {}

    /** Statements whose first line matches {@code start}, joined until brackets balance; comments stripped. */
    public static List<String> statements(Path file, Predicate<String> start) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = strip(lines.get(i));
            if (l.isEmpty() || !start.test(l)) continue;
            StringBuilder sb = new StringBuilder(l);
            while (depth(sb.toString()) > 0 && i + 1 < lines.size()) sb.append(' ').append(strip(lines.get(++i)));
            out.add(sb.toString().replaceAll("\\s+", " ").trim());
        }
        return out;
    }

    private static String strip(String l) {
        boolean inString = false;
        for (int i = 0; i < l.length() - 1; i++) {
            char c = l.charAt(i);
            if (c == '"' && (i == 0 || l.charAt(i - 1) != '\\')) inString = !inString;
            if (!inString && c == '/' && l.charAt(i + 1) == '/') return l.substring(0, i).trim();
        }
        return l.trim();
    }

    private static int depth(String s) {
        int d = 0;
        boolean inString = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' && (i == 0 || s.charAt(i - 1) != '\\')) inString = !inString;
            if (inString) continue;
            if (c == '(' || c == '[' || c == '{' || c == '<') d++;
            if (c == ')' || c == ']' || c == '}' || (c == '>' && (i == 0 || s.charAt(i - 1) != '-'))) d--;
        }
        return d;
    }
}
