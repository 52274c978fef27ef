package io.hlo4j.compiler.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mutations at the level of MLIR's tokens (SSA names, symbols, strings, identifiers, numbers, punctuation), for
 * {@link TokenFuzzTest}: drop, duplicate or swap tokens; rename an SSA value (to another, an undefined one, a unicode
 * or numeric name); change an element type, a dimension or a number; truncate; insert unicode, a NUL byte or deep
 * nesting; declare a huge tensor everywhere a type occurs; and, in Shardy text, duplicate or unknown axes, sub-axes,
 * priorities and mesh sizes that do not divide. {@link Mutator} works on whole types and lines; these work on what a
 * lexer sees, so every mutant is one small step from a valid module. Every choice comes from the given Random.
 */
final class TokenMutator {
    private TokenMutator() {}

    static final String[] KINDS = {"droptoken", "duptoken", "swaptokens", "ssa", "ssa", "elemtype", "dim", "number", "number",
            "truncate", "unicode", "nul", "nest", "hugetype", "sdy", "sdy", "sdy"};
    /** The Shardy mutations alone, for the sharded seeds. */
    static final String[] SDY_KINDS = {"sdy", "sdy", "sdy", "sdy", "ssa", "number", "droptoken", "duptoken"};

    private static final Pattern TOKEN = Pattern.compile(
            "%[\\w#.$-]+|@[\\w.$-]+|\"(?:[^\"\\\\]|\\\\.)*\"|#[\\w.$-]+|!?[A-Za-z_][\\w.$]*|0x[0-9A-Fa-f]+|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?"
                    + "|->|::|[{}()\\[\\]<>,:=?*+^!]");
    private static final Pattern SSA = Pattern.compile("%[\\w#.$-]+");
    private static final Pattern ELEM = Pattern.compile("(?<=x|<)(f64|f32|f16|bf16|i64|i32|i16|i8|i1|ui64|ui32|ui8)(?=>)");
    private static final Pattern DIM = Pattern.compile("(?<=tensor<|x)([0-9]+)(?=x)");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w%#@.])-?\\d+(?:\\.\\d+)?(?![\\w.])");
    private static final Pattern TENSOR = Pattern.compile("tensor<[^<>]*>");
    private static final Pattern AXIS_IN_SHARDING = Pattern.compile("\\{(\"[a-z_0-9]+\")");
    private static final Pattern MESH_AXIS = Pattern.compile("(\"[a-z_0-9]+\")=([0-9]+)");
    private static final Pattern DIM_SHARDING = Pattern.compile("\\[((?:\\{[^\\]]*?\\}(?:, )?)+)\\]");

    private static final String[] SSA_NAMES = {"%undefined", "%0", "%arg0", "%\u00e9t\u00e9", "%99999999999999999999", "%-1", "%", "%a#0",
            "%a#99999999999", "%x\u0000y"};
    private static final String[] ELEMENTS = {"f64", "f32", "f16", "bf16", "i64", "i32", "i8", "i1", "ui8", "ui64", "i0", "i99999999999",
            "i2147483648", "f8E4M3FN", "f8E8M0FNU", "f4E2M1FN", "tf32", "complex<f32>", "complex<i32>", "index", "none", "i4", "ui1"};
    private static final String[] DIMS = {"0", "1", "2", "3", "9", "?", "99999999999", "4294967296", "9223372036854775807",
            "99999999999999999999", "-1"};
    private static final String[] NUMBERS = {"0", "-1", "1", "2", "3", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
            "-9223372036854775808", "99999999999999999999", "1.5", "-0.0", "1e308", "1e-400", "0x7FC00000", "nan", "inf"};
    private static final String[] UNICODE = {"\u00e9", "\u202e", "\ufeff", "\ud835\udd4f", "\u0000", "\u2028", "\uff10", "\u0660", "\ud800"};
    private static final String[] OPENERS = {"(", "[", "{", "<", "tensor<", "tuple<", "dense<[", "array<i64: ", "loc(callsite(", "({", "#sdy.sharding<"};
    private static final String[] HUGE_TYPES = {"tensor<99999999999x99999999999xf32>", "tensor<1099511627776xf32>",
            "tensor<4294967296x4294967296xi8>", "tensor<65536x65536xf32>", "tensor<9223372036854775807xf32>", "tensor<2147483648xi1>"};

    static String mutate(String kind, String s, Random r) {
        return switch (kind) {
            case "droptoken" -> {
                List<int[]> t = tokens(s);
                int[] a = t.get(r.nextInt(t.size()));
                yield s.substring(0, a[0]) + s.substring(a[1]);
            }
            case "duptoken" -> {
                List<int[]> t = tokens(s);
                int[] a = t.get(r.nextInt(t.size()));
                String tok = s.substring(a[0], a[1]);
                yield s.substring(0, a[1]) + (r.nextBoolean() ? " " : "") + tok + s.substring(a[1]);
            }
            case "swaptokens" -> swap(s, r);
            case "ssa" -> ssa(s, r);
            case "elemtype" -> replaceOne(s, ELEM, r, ELEMENTS[r.nextInt(ELEMENTS.length)]);
            case "dim" -> replaceOne(s, DIM, r, DIMS[r.nextInt(DIMS.length)]);
            case "number" -> replaceOne(s, NUMBER, r, NUMBERS[r.nextInt(NUMBERS.length)]);
            case "truncate" -> {
                List<int[]> t = tokens(s);
                yield s.substring(0, t.get(r.nextInt(t.size()))[r.nextInt(2)]);
            }
            case "unicode", "nul" -> {
                String u = kind.equals("nul") ? "\u0000" : UNICODE[r.nextInt(UNICODE.length)];
                List<int[]> t = tokens(s);
                int[] a = t.get(r.nextInt(t.size()));
                int at = r.nextBoolean() ? a[0] : a[0] + r.nextInt(a[1] - a[0] + 1); // between tokens or inside one
                yield s.substring(0, at) + u + s.substring(at);
            }
            case "nest" -> {
                List<int[]> t = tokens(s);
                int at = t.get(r.nextInt(t.size()))[0];
                String o = OPENERS[r.nextInt(OPENERS.length)];
                int depth = r.nextBoolean() ? 100 + r.nextInt(400) : 5_000 + r.nextInt(20_000);
                String closer = new StringBuilder(o.replaceAll("[^(\\[{<]", "")).reverse().toString()
                        .replace('(', ')').replace('[', ']').replace('{', '}').replace('<', '>');
                yield s.substring(0, at) + o.repeat(depth) + (r.nextBoolean() ? closer.repeat(depth) : "") + s.substring(at);
            }
            case "hugetype" -> {
                List<String> ts = matches(s, TENSOR);
                if (ts.isEmpty()) yield s;
                yield s.replace(ts.get(r.nextInt(ts.size())), HUGE_TYPES[r.nextInt(HUGE_TYPES.length)]);
            }
            case "sdy" -> sdy(s, r);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** An SSA name replaced at one occurrence (a use or a definition) by another of the module's names or a hostile one. */
    private static String ssa(String s, Random r) {
        List<int[]> uses = spans(s, SSA);
        if (uses.isEmpty()) return s;
        int[] a = uses.get(r.nextInt(uses.size()));
        int[] other = uses.get(r.nextInt(uses.size()));
        String by = r.nextBoolean() ? s.substring(other[0], other[1]) : SSA_NAMES[r.nextInt(SSA_NAMES.length)];
        return s.substring(0, a[0]) + by + s.substring(a[1]);
    }

    private static String swap(String s, Random r) {
        List<int[]> t = tokens(s);
        int[] a = t.get(r.nextInt(t.size()));
        int[] b = t.get(r.nextInt(t.size()));
        if (a[0] > b[0]) { int[] x = a; a = b; b = x; }
        if (a[1] > b[0]) return s;
        return s.substring(0, a[0]) + s.substring(b[0], b[1]) + s.substring(a[1], b[0]) + s.substring(a[0], a[1]) + s.substring(b[1]);
    }

    /**
     * Shardy text: an axis repeated in one dimension's sharding, an axis used by two dimensions, an unknown axis, a
     * sub-axis that does not divide ({@code "x":(1)3}), a priority ({@code p0}, {@code p-1}, huge), a mesh axis whose
     * size does not divide the dimensions it shards (or is 0, negative, huge), an axis declared twice in the mesh, a
     * replicated axis that is also used.
     */
    private static String sdy(String s, Random r) {
        return switch (r.nextInt(9)) {
            case 0 -> replaceOne(s, AXIS_IN_SHARDING, r, m -> "{" + m.group(1) + ", " + m.group(1));
            case 1 -> replaceOne(s, DIM_SHARDING, r, m -> {
                String[] dims = m.group(1).split("(?<=\\}), ");
                String first = null;
                for (String d : dims) {
                    Matcher a = Pattern.compile("\"[a-z_0-9]+\"").matcher(d);
                    if (a.find()) { first = a.group(); break; }
                }
                if (first == null || dims.length < 2) return m.group();
                dims[dims.length - 1] = "{" + first + "}";
                return "[" + String.join(", ", dims) + "]";
            });
            case 2 -> replaceOne(s, AXIS_IN_SHARDING, r, m -> "{\"" + new String[] {"nope", "x", "\u00e9", "", "x\u0000"}[r.nextInt(5)] + "\"");
            case 3 -> replaceOne(s, AXIS_IN_SHARDING, r, m -> "{" + m.group(1) + ":(" + new String[] {"1)3", "0)2", "2)2", "1)99999999999", "-1)2",
                    "1)1", "3)1"}[r.nextInt(7)]);
            case 4 -> replaceOne(s, Pattern.compile("\\}(?=[,\\]])"), r, m -> "}p" + new String[] {"0", "-1", "99999999999", "x", "1p2"}[r.nextInt(5)]);
            case 5 -> replaceOne(s, MESH_AXIS, r, m -> m.group(1) + "=" + new String[] {"3", "5", "0", "-2", "1", "7", "4294967296", "99999999999999999999"}[r.nextInt(8)]);
            case 6 -> replaceOne(s, MESH_AXIS, r, m -> m.group() + ", " + m.group());
            case 7 -> replaceOne(s, Pattern.compile("\\](?=>)"), r, m -> "], replicated={" + firstAxis(s) + "}");
            default -> replaceOne(s, Pattern.compile("\\{\\}"), r, m -> "{" + firstAxis(s) + ", " + firstAxis(s) + "}");
        };
    }

    private static String firstAxis(String s) {
        Matcher m = MESH_AXIS.matcher(s);
        return m.find() ? m.group(1) : "\"x\"";
    }

    /** Token spans; a module without tokens gives one empty span so every kind has somewhere to act. */
    static List<int[]> tokens(String s) {
        List<int[]> out = spans(s, TOKEN);
        if (out.isEmpty()) out.add(new int[] {0, 0});
        return out;
    }

    private static List<int[]> spans(String s, Pattern p) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(new int[] {m.start(), m.end()});
        return out;
    }

    private static List<String> matches(String s, Pattern p) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static String replaceOne(String s, Pattern p, Random r, String by) { return replaceOne(s, p, r, m -> by); }

    private static String replaceOne(String s, Pattern p, Random r, java.util.function.Function<Matcher, String> with) {
        List<int[]> all = spans(s, p);
        if (all.isEmpty()) return s;
        int pick = r.nextInt(all.size());
        Matcher m = p.matcher(s);
        for (int i = 0; i <= pick; i++) m.find();
        return s.substring(0, m.start()) + with.apply(m) + s.substring(m.end());
    }
}
