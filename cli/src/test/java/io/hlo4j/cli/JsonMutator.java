package io.hlo4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Mutations of a flat JSON config (one {@code "key": value} per line, as the MoE configs are written). */
final class JsonMutator {
    private JsonMutator() {}

    record Mutant(String text, String how) {}

    private static final String[] VALUES = {"0", "-1", "1", "2", "3", "1000000", "2147483647", "2147483648", "9223372036854775807",
            "1e300", "-1e300", "0.5", "-0.0", "1e-300", "\"x\"", "\"\"", "null", "true", "[]", "{}", "[1, 2]", "{\"a\": 1}", "\"NaN\"",
            "NaN", "Infinity", "99999999999999999999999"};
    private static final Pattern ENTRY = Pattern.compile("(?m)^\\s*\"([^\"]+)\"\\s*:\\s*(.*?)(,?)\\s*$");

    static Mutant mutate(String json, Random r) {
        List<int[]> spans = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Matcher m = ENTRY.matcher(json);
        while (m.find()) {
            spans.add(new int[] {m.start(2), m.end(2), m.start(), m.end()});
            keys.add(m.group(1));
        }
        int k = r.nextInt(spans.size());
        int[] s = spans.get(k);
        String key = keys.get(k);
        return switch (r.nextInt(10)) {
            case 0, 1, 2, 3, 4 -> {
                String v = VALUES[r.nextInt(VALUES.length)];
                yield new Mutant(json.substring(0, s[0]) + v + json.substring(s[1]), key + " = " + v);
            }
            case 5 -> { // drop the entry (and a trailing comma before the closing brace, to stay valid JSON)
                String t = json.substring(0, s[2]) + json.substring(Math.min(json.length(), s[3] + 1));
                yield new Mutant(t.replaceAll(",\\s*}", "\n}"), "no " + key);
            }
            case 6 -> new Mutant(json.substring(0, r.nextInt(json.length())), "truncated");
            case 7 -> new Mutant(json.replaceFirst("\\{", "{\n \"" + key + "\": " + VALUES[r.nextInt(VALUES.length)] + ","), "duplicate " + key);
            case 8 -> {
                String[] whole = {"", "[]", "null", "42", "\"config\"", "{", "{}", "{\"n_routed_experts\": 8}"};
                String w = whole[r.nextInt(whole.length)];
                yield new Mutant(w, "whole text " + w);
            }
            default -> { // a string value replaced by another known one or garbage
                String[] strs = {"\"hash\"", "\"top_k\"", "\"expert_choice\"", "\"standard\"", "\"dense_moe\"", "\"bogus\"", "\"float16\"",
                        "\"bfloat16\"", "\"int8\"", "\"silu\"", "\"relu\""};
                String v = strs[r.nextInt(strs.length)];
                yield new Mutant(json.substring(0, s[0]) + v + json.substring(s[1]), key + " = " + v);
            }
        };
    }
}
