package io.hlo4j.compiler.diff;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;

import java.util.ArrayList;
import java.util.List;

/**
 * A structural diff of two modules. Both are printed in hlo4j's canonical form without locations, which
 * renumbers every value in definition order (%0, %arg0, %cst_1, ...), sorts attribute dictionaries and
 * normalises spacing; what remains different is a difference in structure, attributes, types or constants.
 * The canonical lines are then compared (longest common subsequence) and shown as unified-diff hunks.
 */
public final class StructuralDiff {
    private StructuralDiff() {}

    /** One line of the edit script. */
    public record Line(char kind, int lineA, int lineB, String text) {}

    /** A run of changes with context; {@code function} is the enclosing {@code func.func} header, if any. */
    public record Hunk(int startA, int countA, int startB, int countB, String function, List<Line> lines) {}

    public record Result(List<String> a, List<String> b, List<Hunk> hunks) {
        public boolean equal() { return hunks.isEmpty(); }

        /** The first {@code maxHunks} hunks, unified-diff style, with {@code --- nameA} / {@code +++ nameB} headers. */
        public String format(String nameA, String nameB, int maxHunks) {
            StringBuilder sb = new StringBuilder("--- ").append(nameA).append("\n+++ ").append(nameB).append('\n');
            for (int h = 0; h < hunks.size() && h < maxHunks; h++) {
                Hunk k = hunks.get(h);
                sb.append("@@ -").append(k.startA + 1).append(',').append(k.countA).append(" +").append(k.startB + 1)
                        .append(',').append(k.countB).append(" @@").append(k.function == null ? "" : " " + k.function).append('\n');
                for (Line l : k.lines) sb.append(l.kind).append(l.text).append('\n');
            }
            if (hunks.size() > maxHunks) sb.append("... ").append(hunks.size() - maxHunks).append(" more difference(s)\n");
            return sb.toString();
        }
    }

    /** Canonical text of the modules, split into lines (several modules one after another, as {@code // -----} splits). */
    public static List<String> canonicalLines(List<Module> modules) {
        List<String> out = new ArrayList<>();
        PrintOptions noLocations = new PrintOptions(false, false);
        for (int i = 0; i < modules.size(); i++) {
            if (i > 0) out.add("// -----");
            for (String l : MlirPrinter.print(modules.get(i), noLocations).split("\n", -1)) out.add(l.stripTrailing());
            while (!out.isEmpty() && out.getLast().isEmpty()) out.removeLast();
        }
        return out;
    }

    public static Result diff(List<Module> a, List<Module> b, int context) {
        return diffLines(canonicalLines(a), canonicalLines(b), context);
    }

    /** Past this many cells the middle (after trimming the common prefix and suffix) is shown as one replaced block. */
    private static final long MAX_CELLS = 4_000_000L; // 16 MB of table

    public static Result diffLines(List<String> a, List<String> b, int context) {
        int pre = 0;
        while (pre < a.size() && pre < b.size() && a.get(pre).equals(b.get(pre))) pre++;
        int suf = 0;
        while (suf < a.size() - pre && suf < b.size() - pre && a.get(a.size() - 1 - suf).equals(b.get(b.size() - 1 - suf))) suf++;
        List<Line> script = new ArrayList<>();
        for (int i = 0; i < pre; i++) script.add(new Line(' ', i, i, a.get(i)));
        middle(a, b, pre, a.size() - suf, pre, b.size() - suf, script);
        for (int i = suf; i > 0; i--) script.add(new Line(' ', a.size() - i, b.size() - i, a.get(a.size() - i)));
        return new Result(a, b, hunks(script, a, context));
    }

    /** LCS edit script of a[a0, a1) against b[b0, b1). */
    private static void middle(List<String> a, List<String> b, int a0, int a1, int b0, int b1, List<Line> out) {
        int n = a1 - a0, m = b1 - b0;
        if ((long) (n + 1) * (m + 1) > MAX_CELLS) {
            for (int i = a0; i < a1; i++) out.add(new Line('-', i, b0, a.get(i)));
            for (int j = b0; j < b1; j++) out.add(new Line('+', a1, j, b.get(j)));
            return;
        }
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(a0 + i).equals(b.get(b0 + j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(a0 + i).equals(b.get(b0 + j))) {
                out.add(new Line(' ', a0 + i, b0 + j, a.get(a0 + i)));
                i++;
                j++;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add(new Line('-', a0 + i, b0 + j, a.get(a0 + i))); // deletions first, as diff -u shows them
                i++;
            } else {
                out.add(new Line('+', a0 + i, b0 + j, b.get(b0 + j)));
                j++;
            }
        }
    }

    /** Groups changed lines with {@code context} unchanged lines around them; nearby groups merge. */
    private static List<Hunk> hunks(List<Line> script, List<String> a, int context) {
        List<Hunk> out = new ArrayList<>();
        int k = 0;
        while (k < script.size()) {
            if (script.get(k).kind == ' ') { k++; continue; }
            int start = Math.max(0, k - context);
            int end = k;
            int lastChange = k;
            while (end < script.size()) {
                if (script.get(end).kind != ' ') lastChange = end;
                else if (end - lastChange > 2 * context) break;
                end++;
            }
            end = Math.min(script.size(), lastChange + context + 1);
            List<Line> lines = List.copyOf(script.subList(start, end));
            int countA = (int) lines.stream().filter(l -> l.kind != '+').count();
            int countB = (int) lines.stream().filter(l -> l.kind != '-').count();
            Line first = lines.get(0);
            Line firstChange = script.get(k);
            out.add(new Hunk(first.lineA, countA, first.lineB, countB, enclosingFunction(a, Math.min(firstChange.lineA, a.size() - 1)), lines));
            k = end;
        }
        return out;
    }

    private static String enclosingFunction(List<String> a, int line) {
        for (int i = Math.min(line, a.size() - 1); i >= 0; i--) {
            String s = a.get(i).strip();
            if (s.startsWith("func.func")) {
                int brace = s.indexOf('(');
                return brace > 0 ? s.substring(0, brace) : s;
            }
        }
        return null;
    }
}
