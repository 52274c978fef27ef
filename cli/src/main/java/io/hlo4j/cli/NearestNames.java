package io.hlo4j.cli;

import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

/**
 * What a mistyped name was probably meant to be: the known names (a command's long options, the models, the examples)
 * fewest edits away, up to two edits for a name of five letters or more and one for a shorter one (two edits turn
 * {@code step} into {@code seq}). picocli's own suggestions only match the first two letters, so {@code --meshh} and
 * {@code --stpes} got none.
 */
final class NearestNames {
    private NearestNames() {}

    /** The names nearest {@code typed}, in {@code names}' order; none when none is close enough. */
    static List<String> among(Iterable<String> names, String typed) {
        int best = Integer.MAX_VALUE;
        List<String> like = new ArrayList<>();
        for (String name : names) {
            if (name.equals(typed)) continue;
            int d = distance(typed, name);
            if (d > allowedEdits(name) || d > best) continue;
            if (d < best) like.clear();
            best = d;
            if (!like.contains(name)) like.add(name);
        }
        return like;
    }

    /** {@code "; did you mean A or B?"} for the names {@code like}, or "" when there are none. */
    static String didYouMean(List<String> like) {
        return like.isEmpty() ? "" : "; did you mean " + String.join(" or ", like) + "?";
    }

    /**
     * The long options of {@code spec} nearest {@code typed} (before any {@code =VALUE}), with the {@code --no-} form of a
     * negatable one, which picocli's {@code names()} leave out.
     */
    static List<String> options(CommandLine.Model.CommandSpec spec, String typed) {
        int eq = typed.indexOf('=');
        String word = eq < 0 ? typed : typed.substring(0, eq);
        List<String> names = new ArrayList<>();
        CommandLine.INegatableOptionTransformer negate = spec.negatableOptionTransformer();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            if (o.hidden()) continue;
            for (String name : o.names()) {
                // a one-letter option (-o) is near every short word: only long names are suggested
                if (!name.startsWith("--")) continue;
                names.add(name);
                if (o.negatable()) names.add(negate.makeNegative(name, spec));
            }
        }
        return among(names, word);
    }

    /** Two edits for a name of five letters or more (leading dashes not counted), else one. */
    static int allowedEdits(String name) {
        int letters = name.length() - (name.startsWith("--") ? 2 : 0);
        return letters >= 5 ? 2 : 1;
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
