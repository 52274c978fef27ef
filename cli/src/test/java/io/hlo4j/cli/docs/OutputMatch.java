package io.hlo4j.cli.docs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Compares what a command printed with what the page shows, after this normalisation (applied to both):
 * <ul>
 *   <li>trailing spaces of each line and blank lines at the end are dropped;</li>
 *   <li>a duration (a number and {@code ns}, {@code us}, {@code µs}, {@code ms}, {@code s} or {@code min}) reads
 *       {@code <time>};</li>
 * </ul>
 * and, in the page's text only: a line that is just {@code ...} stands for any number of lines (none included),
 * and {@code ...} inside a line for any text within that line. (Paths under {@code /tmp} are mapped by the
 * runner, which gives each block its own folder for {@code /tmp}.)
 */
final class OutputMatch {
    private OutputMatch() {}

    private static final Pattern TIME = Pattern.compile("(?<![\\w.])\\d+(?:\\.\\d+)?\\s?(?:ns|us|µs|ms|s|min)(?![\\w/])");

    static List<String> normalise(String text) {
        List<String> lines = new ArrayList<>();
        for (String l : text.split("\n", -1)) lines.add(TIME.matcher(l.stripTrailing()).replaceAll("<time>"));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        return lines;
    }

    static List<String> normalise(List<String> lines) { return normalise(String.join("\n", lines)); }

    /** Only the trailing spaces and blank lines at the end dropped (for comparing a block with a file). */
    static List<String> normaliseSpaces(List<String> lines) {
        List<String> out = new ArrayList<>(lines.stream().map(String::stripTrailing).toList());
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
        return out;
    }

    /** Null when {@code actual} matches {@code expected}, else a description of the first difference. */
    static String compare(List<String> expectedLines, String actualText) {
        List<String> exp = normalise(expectedLines);
        List<String> act = normalise(actualText);
        List<Pattern> pats = new ArrayList<>();
        for (String e : exp) pats.add(e.strip().equals("...") ? null : linePattern(e));
        if (match(pats, 0, act, 0, new Boolean[pats.size() + 1][act.size() + 1])) return null;
        return describe(exp, pats, act);
    }

    private static Pattern linePattern(String e) {
        String[] parts = e.split(Pattern.quote("..."), -1);
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) re.append(".*");
            re.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(re.toString());
    }

    private static boolean match(List<Pattern> p, int i, List<String> a, int j, Boolean[][] memo) {
        if (memo[i][j] != null) return memo[i][j];
        boolean r;
        if (i == p.size()) r = j == a.size();
        else if (p.get(i) == null) r = match(p, i + 1, a, j, memo) || (j < a.size() && match(p, i, a, j + 1, memo));
        else r = j < a.size() && p.get(i).matcher(a.get(j)).matches() && match(p, i + 1, a, j + 1, memo);
        memo[i][j] = r;
        return r;
    }

    /** The first line where a greedy walk (wildcards skipping until the next line matches) goes wrong. */
    private static String describe(List<String> exp, List<Pattern> pats, List<String> act) {
        int i = 0, j = 0;
        while (i < pats.size()) {
            Pattern p = pats.get(i);
            if (p == null) {
                Pattern next = i + 1 < pats.size() ? pats.get(i + 1) : null;
                if (next == null) return "the output differs from the page (see the whole output below)";
                while (j < act.size() && !next.matcher(act.get(j)).matches()) j++;
                i++;
                continue;
            }
            if (j >= act.size()) return "the output ends before the page's line " + (i + 1) + " of this command's output:\n  expected: " + exp.get(i);
            if (!p.matcher(act.get(j)).matches()) {
                return "output line " + (j + 1) + " differs from the page's line " + (i + 1) + " of this command's output:\n"
                        + "  expected: " + exp.get(i) + "\n  actual:   " + act.get(j);
            }
            i++;
            j++;
        }
        return "the output goes on after the page's last line:\n  actual line " + (j + 1) + ": " + act.get(j);
    }

    static String show(String text) {
        List<String> lines = Arrays.asList(text.split("\n", -1));
        return String.join("\n", lines.stream().map(l -> "  | " + l).toList());
    }
}
