package io.hlo4j.mlir.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mutations of a module's structure (compiler's StructureFuzzTest, cli's CliFuzzTest), most of them on the generic op form (where every
 * op's attributes, operand and result lists and block arguments are spelled out): an attribute's value replaced by one
 * of another kind, an attribute dropped or an unknown one added, an operand or result added or removed with the type
 * list kept in step (so the parser accepts it and the verifier must refuse it), a block argument dropped, duplicated
 * or retyped, a self-recursive or missing callee, unbalanced quotes and bad escapes, identifiers and strings of a
 * million characters, nesting 10^5 deep, dynamic, zero-sized and re-ranked tensor types and unknown element types,
 * dense literals whose element count, nesting or element kind disagrees with their type (or whose type is
 * 10^15 elements), bogus numbers (NaN, empty or non-hex hex, out-of-range exponents). Every choice comes from the
 * given Random.
 */
public final class StructureMutator {
    private StructureMutator() {}

    public static final String[] KINDS = {"attrkind", "attrkind", "attrkind", "dropattr", "addattr", "operands", "operands", "results",
            "blockargs", "blockargs", "callee", "recursion", "quote", "longid", "deepnest", "dyntype", "dyntype", "dense", "dense",
            "number"};

    private static final Pattern ATTR = Pattern.compile("(?<=[<{,] )([a-z_][\\w.]*) = |(?<=<\\{)([a-z_][\\w.]*) = |(?<=\\{)([a-z_][\\w.]*) = ");
    private static final Pattern GENERIC_OP = Pattern.compile("\"([a-z_]+\\.[a-z_.]+)\"\\(([^()]*)\\)");
    private static final Pattern RESULT = Pattern.compile("(%[\\w]+) = (\"[a-z_]+\\.[a-z_.]+\"\\([^\\n]*\\) : \\(([^\\n]*)\\) -> )(tensor<[^<>]*>)$",
            Pattern.MULTILINE);
    private static final Pattern BLOCK_ARGS = Pattern.compile("\\^bb\\d+\\(([^\\n]*)\\):");
    private static final Pattern FUNC = Pattern.compile("^(\\s*)func\\.func (?:public |private )?@([\\w.$-]+)\\(([^\\n]*)\\)( -> ([^\\n{]*?))?\\s*(attributes \\{[^\\n]*\\})?\\s*\\{\\s*$",
            Pattern.MULTILINE);
    private static final Pattern SYMBOL_USE = Pattern.compile("(?<=[ (=<])@[\\w.$-]+");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\\\n]|\\\\.)*+\"");
    private static final Pattern IDENT = Pattern.compile("%[\\w#.$-]+|@[\\w.$-]+|(?<=\")[a-z_]+\\.[a-z_]+(?=\")|(?<=[{<, ])[a-z_]+(?= = )");
    private static final Pattern TENSOR = Pattern.compile("tensor<((?:[0-9?]+x)*)([a-z][a-z0-9]*|complex<[a-z0-9]+>)>");
    private static final Pattern DENSE = Pattern.compile("dense<([^<>]*)>\\s*:\\s*tensor<((?:[0-9?]+x)*)([a-z][a-z0-9]*)>");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w%#@.\"])-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?(?![\\w.])");

    /** Attribute values of every kind MLIR's syntax has; most are the wrong kind for any given attribute. */
    private static final String[] WRONG_VALUES = {"\"x\"", "\"\"", "[1, 2]", "[]", "[[0, 1], [2]]", "array<i64: 1, 2>", "array<i64>",
            "array<i64: -1>", "array<i1: true>", "array<i32: 0>", "dense<1> : tensor<i64>", "dense<[1, 2]> : tensor<2xi64>",
            "dense<> : tensor<0xi64>", "dense<[[0, 1]]> : tensor<1x2xi64>", "dense<1.5> : tensor<f32>", "#stablehlo<comparison_direction EQ>",
            "#stablehlo<precision HIGH>", "#stablehlo<rng_algorithm PHILOX>", "#stablehlo<fft_type FFT>", "#stablehlo<transpose NO_TRANSPOSE>",
            "1 : i64", "-1 : i64", "0 : i32", "9223372036854775807 : i64", "2.5 : f32", "1 : i1", "true", "false", "unit", "@main", "@nope",
            "{}", "{a = 1 : i64}", "tensor<2xf32>", "() -> ()", "(tensor<f32>) -> tensor<f32>",
            "#stablehlo.gather<offset_dims = [0], start_index_map = [0], index_vector_dim = 1>",
            "#stablehlo.scatter<update_window_dims = [0], index_vector_dim = 9>", "#stablehlo.dot<lhs_contracting_dimensions = [5]>",
            "#stablehlo.dot_algorithm<lhs_precision_type = f32, rhs_precision_type = f32, accumulation_type = f32, lhs_component_count = 1, rhs_component_count = 1, num_primitive_operations = 1, allow_imprecise_accumulation = false>",
            "#stablehlo.conv<[b, 0, f]x[0, i, o]->[b, 0, f]>", "#stablehlo.channel_handle<handle = 1, type = 0>",
            "#stablehlo.output_operand_alias<output_tuple_indices = [9], operand_index = 9, operand_tuple_indices = []>",
            "#sdy.sharding<@mesh, [{}]>", "#sdy.sharding_per_value<[<@mesh, [{\"x\"}]>]>", "#sdy.mesh<[\"x\"=2]>", "#unknown.attr",
            "\"\\ff\"", "loc(unknown)", "[\"a\", 1, [2.5]]", "dense<[1, 2, 3]> : tensor<2xi64>", "-9223372036854775808 : i64"};
    private static final String[] ELEMENTS = {"f7", "q8", "i0", "f32x", "index", "none", "!foo.bar", "vector<2xf32>", "memref<2xf32>",
            "tuple<>", "!stablehlo.token", "complex<i1>", "ui0", "si8", "i65", "f8E5M2", "f8E4M3FNUZ", "f8E3M4", "f6E2M3FN", "f4E2M1FN", "f8E8M0FNU"};
    private static final String[] BOGUS_NUMBERS = {"nan", "NaN", "-nan", "inf", "-inf", "0x", "0xZZ", "0x7FC00000", "0x7FF8000000000001",
            "0xFFFFFFFFFFFFFFFFFFFF", "1e99999", "-1e-99999", "1.", ".5", "1e", "0b101", "--1", "+1", "1_000", "99999999999999999999999999999",
            "-0", "0.0e+", "0x1p3"};
    private static final String[] QUOTES = {"\"", "\\", "\"\\", "\"\\\"", "\"\\q\"", "\"\\u{110000}\"", "\"\\x\"", "\"\\0\"", "\"a\nb\"",
            "\"\\ff\\\"", "\"\\Z9\"", "\u201c", "'", "`"};
    private static final String[] NEST_OPEN = {"[", "(", "{", "<", "tuple<", "dense<[", "loc(fused[", "loc(callsite(", "array<i64: ",
            "#sdy.sharding<", "({", "tensor<"};

    /** {@code s} mutated by {@code kind}; the text unchanged when the kind finds nothing to act on. */
    public static String mutate(String kind, String s, Random r) {
        return switch (kind) {
            case "attrkind" -> attrValue(s, r, (v, rr) -> WRONG_VALUES[rr.nextInt(WRONG_VALUES.length)]);
            case "dropattr" -> dropAttr(s, r);
            case "addattr" -> replaceOne(s, Pattern.compile("<\\{|(?<=\"\\)) \\{| \\{(?=[a-z_]+ = )"), r,
                    m -> m.group() + new String[] {"bogus = 1 : i64, ", "dimension = \"x\", ", "mhlo.sharding = 7, ", "sdy.sharding = unit, ",
                            "comparison_direction = 3, ", "value = dense<1> : tensor<i64>, ", "callee = @nope, "}[r.nextInt(7)]);
            case "operands" -> operands(s, r);
            case "results" -> results(s, r);
            case "blockargs" -> blockArgs(s, r);
            case "callee" -> replaceOne(s, SYMBOL_USE, r, m -> new String[] {"@nope", "@", "@main", "@\"quoted sym\"", "@" + "f".repeat(1 + r.nextInt(3))}[r.nextInt(5)]);
            case "recursion" -> recursion(s, r);
            case "quote" -> {
                if (r.nextBoolean()) yield replaceOne(s, STRING, r, m -> QUOTES[r.nextInt(QUOTES.length)]);
                List<int[]> t = tokens(s);
                int at = t.get(r.nextInt(t.size()))[r.nextInt(2)];
                yield s.substring(0, at) + QUOTES[r.nextInt(QUOTES.length)] + s.substring(at);
            }
            case "longid" -> {
                String huge = "a".repeat(r.nextBoolean() ? 100_000 : 1_000_000);
                if (r.nextInt(4) == 0) yield replaceOne(s, STRING, r, m -> "\"" + huge + "\"");
                yield replaceOne(s, IDENT, r, m -> m.group().charAt(0) == '%' || m.group().charAt(0) == '@'
                        ? m.group().charAt(0) + huge : m.group() + huge);
            }
            case "deepnest" -> deepNest(s, r);
            case "dyntype" -> replaceOne(s, TENSOR, r, m -> otherType(m, r));
            case "dense" -> dense(s, r);
            case "number" -> replaceOne(s, NUMBER, r, m -> BOGUS_NUMBERS[r.nextInt(BOGUS_NUMBERS.length)]);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    interface Value { String of(String old, Random r); }

    /** One attribute's value (from {@code name = } to the next comma or closer at its own depth) replaced. */
    private static String attrValue(String s, Random r, Value with) {
        List<int[]> spans = attrSpans(s);
        if (spans.isEmpty()) return s;
        int[] a = spans.get(r.nextInt(spans.size()));
        return s.substring(0, a[1]) + with.of(s.substring(a[1], a[2]), r) + s.substring(a[2]);
    }

    private static String dropAttr(String s, Random r) {
        List<int[]> spans = attrSpans(s);
        if (spans.isEmpty()) return s;
        int[] a = spans.get(r.nextInt(spans.size()));
        int end = a[2];
        if (s.startsWith(", ", end)) end += 2;
        return s.substring(0, a[0]) + s.substring(end);
    }

    /** {start of the name, start of the value, end of the value} for each {@code name = value}. */
    private static List<int[]> attrSpans(String s) {
        List<int[]> out = new ArrayList<>();
        Matcher m = ATTR.matcher(s);
        while (m.find()) {
            int end = valueEnd(s, m.end());
            if (end > m.end()) out.add(new int[] {m.start(), m.end(), end});
        }
        return out;
    }

    /** Where a value starting at {@code i} ends: a comma or a closer at depth 0, skipping strings and {@code ->}. */
    private static int valueEnd(String s, int i) {
        int depth = 0;
        for (int k = i; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"') {
                for (k++; k < s.length() && s.charAt(k) != '"'; k++) if (s.charAt(k) == '\\') k++;
            } else if (c == '-' && k + 1 < s.length() && s.charAt(k + 1) == '>') {
                k++;
            } else if (c == '(' || c == '[' || c == '{' || c == '<') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}' || c == '>') {
                if (depth == 0) return k;
                depth--;
            } else if ((c == ',' || c == '\n') && depth == 0) {
                return k;
            }
        }
        return s.length();
    }

    /**
     * An operand of a generic op without regions dropped or duplicated, and its type with it when the op's type is on
     * the same line, so the parser accepts the op and its verifier meets the wrong count; sometimes the type list is
     * left alone (the parser's count check).
     */
    private static String operands(String s, Random r) {
        Matcher m = GENERIC_OP.matcher(s);
        List<int[]> ops = new ArrayList<>();
        while (m.find()) if (!m.group(2).isBlank()) ops.add(new int[] {m.start(2), m.end(2)});
        if (ops.isEmpty()) return s;
        int[] o = ops.get(r.nextInt(ops.size()));
        List<String> args = splitTop(s.substring(o[0], o[1]));
        int lineEnd = s.indexOf('\n', o[1]);
        if (lineEnd < 0) lineEnd = s.length();
        String rest = s.substring(o[1], lineEnd);
        int colon = rest.lastIndexOf(" : (");
        int pick = r.nextInt(args.size());
        boolean drop = r.nextBoolean() || args.size() > 8;
        List<String> newArgs = new ArrayList<>(args);
        if (drop) newArgs.remove(pick); else newArgs.add(pick, args.get(pick));
        String newRest = rest;
        if (colon >= 0 && r.nextInt(4) != 0) {
            int open = colon + 3, close = matching(rest, open);
            if (close > 0) {
                List<String> types = splitTop(rest.substring(open + 1, close));
                if (types.size() == args.size()) {
                    List<String> nt = new ArrayList<>(types);
                    if (drop) nt.remove(pick); else nt.add(pick, types.get(pick));
                    newRest = rest.substring(0, open + 1) + String.join(", ", nt) + rest.substring(close);
                }
            }
        }
        return s.substring(0, o[0]) + String.join(", ", newArgs) + newRest + s.substring(lineEnd);
    }

    /** A one-result generic op given a second result (its type list kept in step), or its result type made a tuple or none. */
    private static String results(String s, Random r) {
        return replaceOne(s, RESULT, r, m -> switch (r.nextInt(3)) {
            case 0 -> m.group(1) + ":2 = " + m.group(2) + "(" + m.group(4) + ", " + m.group(4) + ")";
            case 1 -> m.group(1) + ":2 = " + m.group(2) + m.group(4);
            default -> m.group(1) + " = " + m.group(2) + "tuple<" + m.group(4) + ">";
        });
    }

    /** A block's argument list: one dropped, one duplicated under a new name, or one retyped. */
    private static String blockArgs(String s, Random r) {
        return replaceOne(s, BLOCK_ARGS, r, m -> {
            List<String> args = splitTop(m.group(1));
            if (args.isEmpty() || args.get(0).isBlank()) return m.group();
            int pick = r.nextInt(args.size());
            List<String> out = new ArrayList<>(args);
            switch (r.nextInt(3)) {
                case 0 -> out.remove(pick);
                case 1 -> out.add(args.get(pick).replaceFirst("%[\\w]+", "%extra" + r.nextInt(9)));
                default -> out.set(pick, args.get(pick).replaceFirst(":.*", ": " + new String[] {"tensor<2xf32>", "tensor<i1>", "tensor<f64>",
                        "tensor<?xf32>", "!stablehlo.token", "tuple<tensor<f32>>", "tensor<0xi32>"}[r.nextInt(7)]));
            }
            return m.group().substring(0, m.start(1) - m.start()) + String.join(", ", out) + "):";
        });
    }

    /**
     * A pretty-form function made to call itself (or, with two functions, each the other) at the top of its body,
     * with its own arguments: a well-typed module whose run recurses without end.
     */
    private static String recursion(String s, Random r) {
        Matcher m = FUNC.matcher(s);
        List<java.util.regex.MatchResult> fns = new ArrayList<>();
        while (m.find()) fns.add(m.toMatchResult());
        if (fns.isEmpty()) return s;
        java.util.regex.MatchResult f = fns.get(r.nextInt(fns.size()));
        String callee = r.nextBoolean() || fns.size() == 1 ? f.group(2) : fns.get(r.nextInt(fns.size())).group(2);
        List<String> names = new ArrayList<>(), types = new ArrayList<>();
        String params = f.group(3).replaceAll("\\{[^{}]*\\}", "");
        for (String a : splitTop(params)) {
            int colon = a.indexOf(':');
            if (colon < 0) continue;
            names.add(a.substring(0, colon).trim());
            types.add(a.substring(colon + 1).trim());
        }
        String results = f.group(5) == null ? "" : f.group(5).trim().replaceAll("\\{[^{}]*\\}", "");
        List<String> res = new ArrayList<>();
        if (results.startsWith("(")) { for (String t : splitTop(results.substring(1, results.length() - 1))) if (!t.isBlank()) res.add(t.trim()); }
        else if (!results.isEmpty()) res.add(results);
        String lhs = res.isEmpty() ? "" : "%rec" + (res.size() > 1 ? ":" + res.size() : "") + " = ";
        String call = f.group(1) + "  " + lhs + "func.call @" + callee + "(" + String.join(", ", names) + ") : (" + String.join(", ", types)
                + ") -> (" + String.join(", ", res) + ")\n";
        return s.substring(0, f.end()) + "\n" + call + s.substring(f.end() + 1);
    }

    /** Openers 10^4 to 2*10^5 deep at a token boundary, closed or not; or as many nested regions of an unregistered op. */
    private static String deepNest(String s, Random r) {
        List<int[]> t = tokens(s);
        int at = t.get(r.nextInt(t.size()))[0];
        int depth = r.nextBoolean() ? 100_000 + r.nextInt(100_000) : 10_000 + r.nextInt(10_000);
        if (r.nextInt(4) == 0) {
            String open = "\"x.y\"() ({\n", close = "}) : () -> ()\n";
            return s.substring(0, at) + open.repeat(depth / 10) + close.repeat(depth / 10) + s.substring(at);
        }
        String o = NEST_OPEN[r.nextInt(NEST_OPEN.length)];
        String closer = new StringBuilder(o.replaceAll("[^(\\[{<]", "")).reverse().toString()
                .replace('(', ')').replace('[', ']').replace('{', '}').replace('<', '>');
        return s.substring(0, at) + o.repeat(depth) + (r.nextBoolean() ? closer.repeat(depth) : "") + s.substring(at);
    }

    /** A tensor type with a dynamic, zero, huge or extra dimension, one fewer, unranked, or an unknown element type. */
    private static String otherType(Matcher m, Random r) {
        String dims = m.group(1), elem = m.group(2);
        return switch (r.nextInt(8)) {
            case 0 -> "tensor<" + (dims.isEmpty() ? "?x" : dims.replaceFirst("[0-9]+", "?")) + elem + ">";
            case 1 -> "tensor<" + (dims.isEmpty() ? "0x" : dims.replaceFirst("[0-9?]+", "0")) + elem + ">";
            case 2 -> "tensor<" + dims + (1 + r.nextInt(3)) + "x" + elem + ">";
            case 3 -> "tensor<" + dims.replaceFirst("[0-9?]+x", "") + elem + ">";
            case 4 -> "tensor<*x" + elem + ">";
            case 5 -> "tensor<" + dims + ELEMENTS[r.nextInt(ELEMENTS.length)] + ">";
            case 6 -> "tensor<100000x100000x100000x" + elem + ">";
            default -> "tensor<" + dims + elem + ", #stablehlo.bounds<" + (dims.isEmpty() ? "" : "?") + ">>";
        };
    }

    /** A dense literal whose contents disagree with its type: count, nesting, element kind, hex length, or a huge type. */
    private static String dense(String s, Random r) {
        return replaceOne(s, DENSE, r, m -> {
            String type = "tensor<" + m.group(2) + m.group(3) + ">";
            String body = m.group(1);
            return switch (r.nextInt(10)) {
                case 0 -> "dense<[" + body + ", " + body + "]> : " + type;
                case 1 -> "dense<[[1, 2], [3]]> : " + type;
                case 2 -> "dense<" + new String[] {"true", "1.5", "(1.0, 2.0)", "\"s\"", "nan", "0x7FC0", "1e400", "-1", "[]", "[[]]"}[r.nextInt(10)] + "> : " + type;
                case 3 -> "dense<\"0x" + "0".repeat(r.nextInt(17)) + "\"> : " + type;
                case 4 -> "dense<\"0xZZ\"> : " + type;
                case 5 -> "dense<" + body + "> : tensor<100000x100000x100000x" + m.group(3) + ">";
                case 6 -> "dense<[" + "[".repeat(3) + body + "]]]]> : " + type;
                case 7 -> "dense<" + body + "> : tensor<" + m.group(2) + "complex<" + m.group(3) + ">>";
                case 8 -> "dense_resource<blob> : " + type;
                default -> "dense<" + body + "> : " + type.replace("tensor<", "tensor<0x");
            };
        });
    }

    private static final Pattern TOKEN = Pattern.compile(
            "%[\\w#.$-]+|@[\\w.$-]+|\"(?:[^\"\\\\]|\\\\.)*+\"|#[\\w.$-]+|!?[A-Za-z_][\\w.$]*|0x[0-9A-Fa-f]+|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?"
                    + "|->|::|[{}()\\[\\]<>,:=?*+^!]");

    /**
     * The spans ({start, end}) of MLIR's tokens (SSA names, symbols, strings, identifiers, numbers, punctuation); one
     * empty span when none. StructureFuzzTest truncates modules at their starts and ends.
     */
    public static List<int[]> tokens(String s) {
        List<int[]> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(s);
        while (m.find()) out.add(new int[] {m.start(), m.end()});
        if (out.isEmpty()) out.add(new int[] {0, 0});
        return out;
    }

    /** {@code s} split at its top-level commas (not inside brackets, {@code <>} or strings). */
    private static List<String> splitTop(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0, from = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"') {
                for (k++; k < s.length() && s.charAt(k) != '"'; k++) if (s.charAt(k) == '\\') k++;
            } else if (c == '-' && k + 1 < s.length() && s.charAt(k + 1) == '>') {
                k++;
            } else if (c == '(' || c == '[' || c == '{' || c == '<') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}' || c == '>') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(s.substring(from, k).trim());
                from = k + 1;
            }
        }
        out.add(s.substring(from).trim());
        return out;
    }

    /** The index of the bracket closing the one at {@code open}, or -1. */
    private static int matching(String s, int open) {
        int depth = 0;
        for (int k = open; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '-' && k + 1 < s.length() && s.charAt(k + 1) == '>') { k++; continue; }
            if (c == '(' || c == '[' || c == '{' || c == '<') depth++;
            else if (c == ')' || c == ']' || c == '}' || c == '>') if (--depth == 0) return k;
        }
        return -1;
    }

    /** {@code s} with one match of {@code p}, picked by {@code r}, replaced by what {@code with} makes of it (the token fuzz uses it too). */
    public static String replaceOne(String s, Pattern p, Random r, java.util.function.Function<Matcher, String> with) {
        Matcher m = p.matcher(s);
        int n = 0;
        while (m.find()) n++;
        if (n == 0) return s;
        int pick = r.nextInt(n);
        m = p.matcher(s);
        for (int i = 0; i <= pick; i++) m.find();
        String rep = with.apply(m);
        return s.substring(0, m.start()) + rep + s.substring(m.end());
    }
}
