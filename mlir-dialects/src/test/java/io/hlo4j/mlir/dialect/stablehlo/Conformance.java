package io.hlo4j.mlir.dialect.stablehlo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Extracts op statements from StableHLO's conformance files (found by {@link io.hlo4j.mlir.testing.ConformanceFiles}). */
final class Conformance {
    private Conformance() {}

    /** One op statement (continuation lines joined with a space) and where it came from. */
    record Statement(String text, Path file, int line) {
        @Override public String toString() { return file.getFileName() + ":" + line + ": " + text; }
    }

    /**
     * Statements whose op is written in pretty form as {@code [%r = ]stablehlo.<op>} for an op in {@code ops};
     * lines that continue a statement (not starting an op, value, return or brace) are joined to it.
     */
    static List<Statement> statements(List<Path> files, java.util.Set<String> ops) {
        return collect(files, t -> {
            String op = opOf(t);
            return op != null && ops.contains(op);
        });
    }

    /** Generic-form statements {@code [%r = ]"stablehlo.<op>"(...)} of the given ops, joined like {@link #statements}. */
    static List<Statement> genericStatements(List<Path> files, java.util.Set<String> ops) {
        return collect(files, t -> {
            String rest = t.startsWith("%") && t.contains(" = ") ? t.substring(t.indexOf(" = ") + 3) : t;
            return rest.startsWith("\"stablehlo.") && ops.contains(rest.substring(1, rest.indexOf('"', 1)));
        });
    }

    /** Every statement whose first (stripped) line {@code starts} accepts, with its continuation lines joined. */
    private static List<Statement> collect(List<Path> files, java.util.function.Predicate<String> starts) {
        List<Statement> out = new ArrayList<>();
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String t = lines.get(i).strip();
                if (!starts.test(t)) continue;
                StringBuilder sb = new StringBuilder(t);
                int j = i + 1;
                while (j < lines.size() && (open(sb) > 0 || continues(lines.get(j).strip()))) sb.append(' ').append(lines.get(j++).strip());
                out.add(new Statement(sb.toString(), f, i + 1));
            }
        }
        return out;
    }

    private static String opOf(String t) {
        String rest = t;
        if (t.startsWith("%")) {
            int eq = t.indexOf(" = ");
            if (eq < 0) return null;
            rest = t.substring(eq + 3);
        }
        if (!rest.startsWith("stablehlo.")) return null;
        int e = "stablehlo.".length();
        while (e < rest.length() && (Character.isLetterOrDigit(rest.charAt(e)) || rest.charAt(e) == '_')) e++;
        return rest.substring(0, e);
    }

    /** Unclosed brackets of any kind so far (a statement ends only when they balance). */
    private static int open(CharSequence t) {
        int depth = 0;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '{' || c == '(' || c == '[') depth++;
            else if (c == '}' || c == ')' || c == ']') depth--;
        }
        return depth;
    }

    private static boolean continues(String t) {
        return !t.isEmpty() && !t.startsWith("%") && !t.startsWith("\"") && !t.startsWith("//") && !t.startsWith("check.")
                && !t.startsWith("func.") && !t.startsWith("stablehlo.") && !t.startsWith("return") && !t.startsWith("}")
                && !t.startsWith("interpreter.") && !t.startsWith("^");
    }
}
