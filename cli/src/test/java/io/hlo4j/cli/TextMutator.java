package io.hlo4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small text mutations of an MLIR module for {@link CliFuzzTest}: each keeps most of the module, so many still parse. */
final class TextMutator {
    private TextMutator() {}

    static final String[] KINDS = {"number", "number", "dim", "dim", "elemtype", "deleteline", "dupline", "truncate", "swapword",
            "bracket", "axis"};

    private static final String[] NUMBERS = {"0", "-1", "1", "3", "7", "65536", "2147483648", "-2147483649", "9223372036854775807",
            "-9223372036854775808", "99999999999999999999", "4294967296"};
    private static final String[] DIMS = {"0", "1", "3", "1000000000", "9223372036854775807", "4294967297", "?"};
    private static final String[] TYPES = {"f32", "f64", "bf16", "i1", "i8", "i32", "i64", "ui8", "complex<f32>", "f8E4M3FN", "index"};
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w%#@.])-?\\d+(?![\\w.])");
    private static final Pattern DIM = Pattern.compile("(?<=[<x])(\\d+)(?=x)");
    private static final Pattern TYPE = Pattern.compile("\\b(f32|f64|bf16|i1|i32|i64)\\b");
    private static final Pattern AXIS = Pattern.compile("\"([a-z_]+)\"=(\\d+)");

    static String mutate(String kind, String s, Random r) {
        return switch (kind) {
            case "number" -> replaceOne(s, NUMBER, r, NUMBERS[r.nextInt(NUMBERS.length)]);
            case "dim" -> replaceOne(s, DIM, r, DIMS[r.nextInt(DIMS.length)]);
            case "elemtype" -> replaceOne(s, TYPE, r, TYPES[r.nextInt(TYPES.length)]);
            case "axis" -> replaceOne(s, AXIS, r, "\"a\"=" + NUMBERS[r.nextInt(NUMBERS.length)]);
            case "deleteline" -> {
                List<String> lines = new ArrayList<>(List.of(s.split("\n", -1)));
                lines.remove(r.nextInt(lines.size()));
                yield String.join("\n", lines);
            }
            case "dupline" -> {
                List<String> lines = new ArrayList<>(List.of(s.split("\n", -1)));
                int k = r.nextInt(lines.size());
                lines.add(k, lines.get(k));
                yield String.join("\n", lines);
            }
            case "truncate" -> s.substring(0, r.nextInt(s.length()));
            case "swapword" -> {
                String[] w = s.split(" ", -1);
                int a = r.nextInt(w.length), b = r.nextInt(w.length);
                String t = w[a];
                w[a] = w[b];
                w[b] = t;
                yield String.join(" ", w);
            }
            case "bracket" -> {
                int at = r.nextInt(s.length());
                yield s.substring(0, at) + "([{<".charAt(r.nextInt(4)) + s.substring(at);
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** {@code s} with one match of {@code p} (chosen by {@code r}) replaced by {@code by}; unchanged when none. */
    static String replaceOne(String s, Pattern p, Random r, String by) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) spans.add(new int[] {m.start(), m.end()});
        if (spans.isEmpty()) return s;
        int[] x = spans.get(r.nextInt(spans.size()));
        return s.substring(0, x[0]) + by + s.substring(x[1]);
    }
}
