package io.hlo4j.cli;

import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

/**
 * The options a mistyped one was probably meant to be: a command's option names within two edits of what was typed
 * (before any {@code =VALUE}), the nearest first. picocli's own suggestions only match the first two letters, so
 * {@code --meshh} and {@code --stpes} got none.
 */
final class OptionSuggestions {
    private OptionSuggestions() {}

    /** At most this many edits (insertions, deletions, substitutions, adjacent swaps) away. */
    static final int MAX_EDITS = 2;

    static List<String> of(CommandLine.Model.CommandSpec spec, String typed) {
        int eq = typed.indexOf('=');
        String word = eq < 0 ? typed : typed.substring(0, eq);
        int best = MAX_EDITS;
        List<String> like = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            if (o.hidden()) continue;
            for (String name : o.names()) {
                // a one-letter option (-o) is within two edits of every short word: only long names are suggested
                if (!name.startsWith("--") || name.equals(word)) continue;
                int d = distance(word, name);
                if (d > MAX_EDITS || d > best || d >= name.length() - 2) continue;
                if (d < best) like.clear();
                best = d;
                if (!like.contains(name)) like.add(name);
            }
        }
        return like;
    }

    /** Optimal string alignment distance: Levenshtein's plus a swap of two neighbours as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
