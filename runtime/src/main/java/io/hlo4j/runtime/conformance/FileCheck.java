package io.hlo4j.runtime.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of LLVM's FileCheck that StableHLO's interpreter tests use. Directives are {@code PREFIX:},
 * {@code PREFIX-NEXT:} (the match must be on the line after the previous match), {@code PREFIX-SAME:} (on the
 * same line) and {@code PREFIX-NOT:} (must not occur between the surrounding matches), each optionally with
 * {@code {LITERAL}}. Without it, {@code {{regex}}} embeds a regular expression; {@code [[...]]} variables are
 * refused. As FileCheck does by default, runs of spaces and tabs compare equal to one space, patterns are
 * trimmed, and every prefix given must be used.
 */
public final class FileCheck {
    private FileCheck() {}

    enum Kind { PLAIN, NEXT, SAME, NOT }

    record Directive(Kind kind, String text, Pattern pattern, int checkLine) {
        String describe(String prefix) {
            return prefix + (kind == Kind.PLAIN ? "" : "-" + kind) + ": \"" + text + "\" (check file line " + checkLine + ")";
        }
    }

    /** Null when {@code output} satisfies the directives for {@code prefixes} in {@code checkText}; else why not. */
    public static String check(String output, String checkText, List<String> prefixes) {
        List<Directive> ds = new ArrayList<>();
        List<String> prefixOf = new ArrayList<>();
        String[] checkLines = checkText.split("\n", -1);
        boolean[] used = new boolean[prefixes.size()];
        for (int ln = 0; ln < checkLines.length; ln++) {
            String l = checkLines[ln];
            for (int p = 0; p < prefixes.size(); p++) {
                Directive d = directive(l, prefixes.get(p), ln + 1);
                if (d == null) continue;
                used[p] = true;
                if (ds.isEmpty() || ds.getLast().kind == Kind.NOT) {
                    if (d.kind == Kind.NEXT || d.kind == Kind.SAME) {
                        throw new IllegalArgumentException("FileCheck: " + d.describe(prefixes.get(p)) + " has no previous match to follow");
                    }
                }
                ds.add(d);
                prefixOf.add(prefixes.get(p));
                break;
            }
        }
        for (int p = 0; p < prefixes.size(); p++) {
            if (!used[p]) throw new IllegalArgumentException("FileCheck: no check strings found with prefix " + prefixes.get(p));
        }
        String[] out = output.split("\n", -1);
        for (int i = 0; i < out.length; i++) out[i] = canonical(out[i]);
        int line = 0, col = 0; // search position: after the previous match
        int prevLine = -1;
        List<Integer> nots = new ArrayList<>();
        for (int k = 0; k < ds.size(); k++) {
            Directive d = ds.get(k);
            if (d.kind == Kind.NOT) {
                nots.add(k);
                continue;
            }
            int[] m = find(out, d.pattern, line, col);
            String what = "FileCheck: " + d.describe(prefixOf.get(k));
            if (m == null) return what + ": not found in the output after line " + (line + 1);
            if (d.kind == Kind.NEXT && m[0] != prevLine + 1) {
                return what + ": expected on output line " + (prevLine + 2) + " (the line after the previous match), found on line "
                        + (m[0] + 1) + "; line " + (prevLine + 2) + " is \"" + (prevLine + 1 < out.length ? out[prevLine + 1] : "") + "\"";
            }
            if (d.kind == Kind.SAME && m[0] != prevLine) {
                return what + ": expected on output line " + (prevLine + 1) + " (the line of the previous match), found on line " + (m[0] + 1);
            }
            String bad = notsBetween(out, ds, prefixOf, nots, line, col, m[0], m[1]);
            if (bad != null) return bad;
            nots.clear();
            prevLine = m[0];
            line = m[0];
            col = m[2];
        }
        return notsBetween(out, ds, prefixOf, nots, line, col, out.length, 0);
    }

    private static String notsBetween(String[] out, List<Directive> ds, List<String> prefixOf, List<Integer> nots,
                                      int line, int col, int endLine, int endCol) {
        for (int k : nots) {
            int[] m = find(out, ds.get(k).pattern, line, col);
            if (m != null && (m[0] < endLine || (m[0] == endLine && m[2] <= endCol))) {
                return "FileCheck: " + ds.get(k).describe(prefixOf.get(k)) + ": excluded string found on output line " + (m[0] + 1)
                        + ": \"" + out[m[0]] + "\"";
            }
        }
        return null;
    }

    /** {line, start column, end column} of the first match at or after (line, col); null if none. */
    private static int[] find(String[] out, Pattern p, int line, int col) {
        for (int i = line; i < out.length; i++) {
            Matcher m = p.matcher(out[i]);
            if (m.find(i == line ? Math.min(col, out[i].length()) : 0)) return new int[] {i, m.start(), m.end()};
        }
        return null;
    }

    private static final Pattern SUFFIX = Pattern.compile("(-NEXT|-SAME|-NOT|-LABEL|-EMPTY|-DAG|-COUNT-\\d+)?(\\{LITERAL\\})?:");

    private static Directive directive(String line, String prefix, int lineNo) {
        int from = 0;
        while (true) {
            int at = line.indexOf(prefix, from);
            if (at < 0) return null;
            from = at + 1;
            if (at > 0) {
                char b = line.charAt(at - 1);
                if (Character.isLetterOrDigit(b) || b == '-' || b == '_') continue;
            }
            Matcher m = SUFFIX.matcher(line);
            m.region(at + prefix.length(), line.length());
            if (!m.lookingAt()) continue;
            String suffix = m.group(1) == null ? "" : m.group(1);
            Kind kind = switch (suffix) {
                case "" -> Kind.PLAIN;
                case "-NEXT" -> Kind.NEXT;
                case "-SAME" -> Kind.SAME;
                case "-NOT" -> Kind.NOT;
                default -> throw new IllegalArgumentException("FileCheck: " + prefix + suffix + " (check file line " + lineNo
                        + ") is not supported by hlo4j's FileCheck subset");
            };
            String text = line.substring(m.end()).strip();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("FileCheck: empty check string for " + prefix + suffix + " (check file line " + lineNo + ")");
            }
            return new Directive(kind, text, pattern(text, m.group(2) != null, lineNo), lineNo);
        }
    }

    /** The directive's pattern as a regex over canonical (single-spaced) output lines. */
    static Pattern pattern(String text, boolean literal, int lineNo) {
        String t = canonical(text);
        if (literal) return Pattern.compile(Pattern.quote(t));
        StringBuilder re = new StringBuilder();
        int i = 0;
        while (i < t.length()) {
            int rx = t.indexOf("{{", i), var = t.indexOf("[[", i);
            int next = Math.min(rx < 0 ? t.length() : rx, var < 0 ? t.length() : var);
            if (next > i) re.append(Pattern.quote(t.substring(i, next)));
            if (next == t.length()) break;
            if (next == var) {
                throw new IllegalArgumentException("FileCheck: pattern variables ([[...]]) at check file line " + lineNo
                        + " are not supported; use {LITERAL} for literal brackets");
            }
            int end = t.indexOf("}}", next + 2);
            if (end < 0) throw new IllegalArgumentException("FileCheck: unterminated {{ at check file line " + lineNo);
            re.append("(?:").append(t, next + 2, end).append(')');
            i = end + 2;
        }
        return Pattern.compile(re.toString());
    }

    private static String canonical(String s) { return s.replaceAll("[ \t]+", " "); }
}
