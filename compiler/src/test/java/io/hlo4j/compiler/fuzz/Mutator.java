package io.hlo4j.compiler.fuzz;

import static io.hlo4j.mlir.testing.StructureMutator.replaceOne;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Token- and semantic-level mutations of a valid module's text. Each kind aims at one class of hostile input: a
 * changed dimension or element type, an attribute value out of range, an operand renamed to another value, one op
 * swapped for another, a deleted line, huge and negative sizes, deep nesting, huge dense literals, and types that
 * parse but disagree (a result type, a function signature, a mesh axis or sharding). Every choice comes from the
 * given {@link Random}, so a mutant is reproduced by its seed.
 */
final class Mutator {
    private Mutator() {}

    static final String[] KINDS = {"dim", "elemtype", "attr", "operand", "swapop", "deleteline", "hugedim", "negdim",
            "nest", "hugeliteral", "resulttype", "signature", "sharding", "attr", "attr", "retype", "retype", "retype"};

    private static final Pattern TENSOR = Pattern.compile("tensor<((?:[0-9?]+x)*)([a-z0-9]+|complex<[a-z0-9]+>)>");
    private static final Pattern DIM = Pattern.compile("(?<=tensor<|x)([0-9]+)(?=x)");
    private static final Pattern ELEM = Pattern.compile("(?<=x|tensor<)(f64|f32|f16|bf16|i64|i32|i16|i8|i1|ui64|ui32|ui8|complex<f32>|complex<f64>)(?=>)");
    private static final Pattern ATTR_NUM = Pattern.compile("(?<=[\\[ ,:=])(-?[0-9]+)(?=[\\],>]| :|\\s*,)");
    private static final Pattern USE = Pattern.compile("%[A-Za-z0-9_#]+");
    private static final Pattern OPNAME = Pattern.compile("stablehlo\\.[a-z_]+");
    private static final Pattern DENSE = Pattern.compile("dense<[^>]*>\\s*:\\s*tensor<[^>]*>");
    private static final Pattern OP_TYPE = Pattern.compile(": (\\([^\\n]*\\) -> )?(tensor<[^>]*>)\\s*$", Pattern.MULTILINE);
    private static final Pattern SIGNATURE_RESULT = Pattern.compile("\\) -> \\(?(tensor<[^>]*>)");
    private static final Pattern AXIS_SIZE = Pattern.compile("(\"[a-z_0-9]+\"=)([0-9]+)");
    private static final Pattern AXIS_USE = Pattern.compile("\\{\"([a-z_0-9]+)\"");

    private static final String[] ELEMENTS = {"f64", "f32", "f16", "bf16", "i64", "i32", "i8", "i1", "ui8", "ui32", "complex<f32>", "f8E4M3FN", "i4"};
    private static final String[] OPS = {"stablehlo.add", "stablehlo.multiply", "stablehlo.dot_general", "stablehlo.reshape",
            "stablehlo.transpose", "stablehlo.broadcast_in_dim", "stablehlo.reduce", "stablehlo.concatenate", "stablehlo.slice",
            "stablehlo.convert", "stablehlo.select", "stablehlo.compare", "stablehlo.gather", "stablehlo.scatter", "stablehlo.iota",
            "stablehlo.pad", "stablehlo.reverse", "stablehlo.sort", "stablehlo.while", "stablehlo.dynamic_slice",
            "stablehlo.dynamic_update_slice", "stablehlo.exponential", "stablehlo.abs", "stablehlo.and", "stablehlo.shift_left",
            "stablehlo.remainder", "stablehlo.divide", "stablehlo.clamp", "stablehlo.convolution", "stablehlo.all_reduce",
            "stablehlo.all_gather", "stablehlo.reduce_scatter", "stablehlo.all_to_all", "stablehlo.collective_permute",
            "stablehlo.bitcast_convert", "stablehlo.real", "stablehlo.popcnt", "stablehlo.sqrt", "stablehlo.tuple",
            "stablehlo.get_tuple_element", "stablehlo.rng_bit_generator", "stablehlo.fft", "stablehlo.cholesky", "stablehlo.triangular_solve"};
    private static final long[] SMALL = {0, 1, 2, 3, 5, 7, 16};
    private static final String[] HUGE = {"1099511627776", "4294967296", "2147483648", "9223372036854775807", "281474976710656"};
    private static final String[] ATTR_VALUES = {"-1", "-2", "0", "1", "3", "7", "64", "2147483647", "2147483648", "-9223372036854775808",
            "9223372036854775807", "1099511627776"};

    /** {@code seed} mutated by {@code kind}; the text unchanged when the kind finds nothing to act on. */
    static String mutate(String kind, String s, Random r) {
        return switch (kind) {
            case "dim" -> replaceOne(s, DIM, r, m -> {
                long d = Long.parseLong(m.group(1));
                long[] choices = {d + 1, Math.max(0, d - 1), d * 2, SMALL[r.nextInt(SMALL.length)]};
                return Long.toString(choices[r.nextInt(choices.length)]);
            });
            case "elemtype" -> replaceOne(s, ELEM, r, m -> ELEMENTS[r.nextInt(ELEMENTS.length)]);
            case "attr" -> replaceOne(s, ATTR_NUM, r, m -> ATTR_VALUES[r.nextInt(ATTR_VALUES.length)]);
            case "operand" -> operand(s, r);
            case "swapop" -> replaceOne(s, OPNAME, r, m -> OPS[r.nextInt(OPS.length)]);
            case "deleteline" -> deleteLine(s, r);
            case "hugedim" -> replaceOne(s, DIM, r, m -> HUGE[r.nextInt(HUGE.length)]);
            case "negdim" -> r.nextBoolean() ? replaceOne(s, DIM, r, m -> "-" + (1 + r.nextInt(3))) : replaceOne(s, ATTR_NUM, r, m -> "-" + (1 + r.nextInt(9)));
            case "nest" -> nest(s, r);
            case "hugeliteral" -> hugeLiteral(s, r);
            case "resulttype" -> resultType(s, r);
            case "retype" -> retype(s, r);
            case "signature" -> replaceOne(s, SIGNATURE_RESULT, r, m -> m.group().replace(m.group(1), otherTensor(m.group(1), r)));
            case "sharding" -> sharding(s, r);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static String operand(String s, Random r) {
        List<MatchResult2> uses = matches(s, USE);
        if (uses.size() < 2) return s;
        MatchResult2 target = uses.get(r.nextInt(uses.size()));
        String other = uses.get(r.nextInt(uses.size())).text();
        if (r.nextInt(8) == 0) other = "%undefined_" + r.nextInt(9);
        return s.substring(0, target.start()) + other + s.substring(target.end());
    }

    private static String deleteLine(String s, Random r) {
        String[] lines = s.split("\n", -1);
        List<Integer> body = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String t = lines[i].trim();
            if (!t.isEmpty() && !t.startsWith("//") && !t.startsWith("func.func") && !t.startsWith("module")) body.add(i);
        }
        if (body.isEmpty()) return s;
        int drop = body.get(r.nextInt(body.size()));
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.length; i++) if (i != drop) b.append(lines[i]).append(i + 1 < lines.length ? "\n" : "");
        return b.toString();
    }

    /**
     * Deep nesting that still parses: a tensor type wrapped in hundreds to thousands of tuples as a function's result,
     * or an op wrapped in nested {@code stablehlo.optimization_barrier}-free regions ({@code stablehlo.case} with one
     * branch each), so verifiers, printers and the interpreter that recurse over types and regions are stressed.
     */
    private static String nest(String s, Random r) {
        int depth = r.nextBoolean() ? 50 + r.nextInt(200) : 2_000 + r.nextInt(3_000);
        if (r.nextBoolean()) {
            StringBuilder t = new StringBuilder();
            t.append("tuple<".repeat(depth)).append("tensor<f32>").append(">".repeat(depth));
            return "func.func @main(%a: " + t + ") -> " + t + " {\n  return %a : " + t + "\n}\n";
        }
        StringBuilder b = new StringBuilder("func.func @main(%a: tensor<2xf32>, %i: tensor<i32>) -> tensor<2xf32> {\n");
        for (int k = 0; k < depth; k++) b.append("%r").append(k).append(" = \"stablehlo.case\"(%i) ({\n");
        b.append("  %x = stablehlo.add %a, %a : tensor<2xf32>\n  stablehlo.return %x : tensor<2xf32>\n");
        for (int k = depth - 1; k >= 0; k--) {
            b.append("}) : (tensor<i32>) -> tensor<2xf32>\n");
            if (k > 0) b.append("stablehlo.return %r").append(k).append(" : tensor<2xf32>\n");
        }
        b.append("return %r0 : tensor<2xf32>\n}\n");
        return b.toString();
    }

    /** A dense literal whose type is huge (a splat), or whose element list is far longer or shorter than its type. */
    private static String hugeLiteral(String s, Random r) {
        return replaceOne(s, DENSE, r, m -> switch (r.nextInt(4)) {
            case 0 -> "dense<1> : tensor<" + HUGE[r.nextInt(HUGE.length)] + "xi32>";
            case 1 -> "dense<[" + "1.5, ".repeat(100_000) + "2.5]> : tensor<4xf32>";
            case 2 -> "dense<0.0> : tensor<65536x65536xf32>";
            default -> "dense<\"0x" + "AB".repeat(1 + r.nextInt(64)) + "\"> : tensor<1000000xf32>";
        });
    }

    /** The trailing type of an op line changed to another shape or element type: valid syntax, inconsistent types. */
    private static String resultType(String s, Random r) {
        return replaceOne(s, OP_TYPE, r, m -> m.group().replace(m.group(2), otherTensor(m.group(2), r)));
    }

    /**
     * One tensor type replaced everywhere it occurs: every use still agrees with its definition, so the parser's use
     * checks pass and the inconsistency (an op's shape rule, a literal, an attribute's ranges) is left to the verifier.
     */
    private static String retype(String s, Random r) {
        List<MatchResult2> ts = matches(s, TENSOR);
        if (ts.isEmpty()) return s;
        String t = ts.get(r.nextInt(ts.size())).text();
        return s.replace(t, otherTensor(t, r));
    }

    private static String otherTensor(String t, Random r) {
        Matcher m = TENSOR.matcher(t);
        if (!m.matches()) return "tensor<3xf32>";
        String dims = m.group(1), elem = m.group(2);
        return switch (r.nextInt(4)) {
            case 0 -> "tensor<" + dims + ELEMENTS[r.nextInt(ELEMENTS.length)] + ">";
            case 1 -> "tensor<" + dims + (1 + r.nextInt(4)) + "x" + elem + ">";
            case 2 -> "tensor<" + elem + ">";
            default -> "tensor<" + dims.replaceFirst("[0-9]+", Integer.toString(1 + r.nextInt(9))) + elem + ">";
        };
    }

    /** A mesh axis resized (0, negative, odd, huge), an axis renamed in a sharding, or a sharding dimension dropped. */
    private static String sharding(String s, Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> replaceOne(s, AXIS_SIZE, r, m -> m.group(1) + new String[] {"0", "3", "1", "-2", "4096", "1099511627776"}[r.nextInt(6)]);
            case 1 -> replaceOne(s, AXIS_USE, r, m -> "{\"" + new String[] {"nope", "x", "y", "data", "expert"}[r.nextInt(5)] + "\"");
            case 2 -> s.replaceFirst("\\[\\{[^\\]]*?\\}, ", "[");
            default -> replaceOne(s, Pattern.compile("mhlo.num_partitions = [0-9]+"), r, m -> "mhlo.num_partitions = " + (1 + r.nextInt(16)));
        };
    }

    record MatchResult2(int start, int end, String text) {}

    private static List<MatchResult2> matches(String s, Pattern p) {
        List<MatchResult2> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(new MatchResult2(m.start(), m.end(), m.group()));
        return out;
    }
}
