package io.hlo4j.compiler.ad.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Random well-typed differentiable StableHLO programs for {@link DotProductOracle}. Arguments are f64 (the float path,
 * so finite differences are accurate) and sometimes i32 (integer values flowing beside the float ones); f32 enters
 * through {@code convert} only. Ranks 0 to 3, dimensions 1 to 4. Each statement ({@link Stmt}) defines one value and
 * may hold helper ops (constants, a broadcast, a region): smooth element-wise ops (add, subtract, multiply, divide by
 * 2 + tanh, exp and expm1 of a tanh, log of 1 + x*x, log1p of x*x, sqrt and rsqrt of 1 + x*x, cbrt of 2 + tanh, tan of
 * tanh / 2, tanh, sine, cosine, logistic, power 2 or 3, atan2, abs, clamp between values, max and min of values apart
 * by an offset or of a value with itself), broadcast_in_dim (also with permuted dimensions), reshape (any shape of as
 * many elements), transpose, slice, pad (negative and interior too), concatenate, reverse, dot_general (batch and one
 * or two contracting dims), reduce (sum, product, max, min; the init a constant or a value of the program),
 * reduce_window (sum with padding or window dilation; max with a -1e30 or 0 init, padded), sort, select on a fixed
 * predicate, dynamic_slice / dynamic_update_slice at constant indices or i32 arguments, gather, scatter-add and
 * overwriting scatter (unique indices) at constant indices, convert f64 and f32, an integer value converted and
 * multiplied in, while loops of fixed trip count (one or two float carries, a counter stepping by 1 or 2, an outer
 * value read, a call in the body), case on a constant or an i32 argument (one or two results, branches reading
 * outer values or returning them), and func.call of a private function (called twice); then, each with its own weight,
 * the {@link GradFamilies}: convolutions, general gathers, if, nested and data-dependent loops, multi-operand sorts, bf16
 * segments and complex intermediates. Operands are drawn from the recent values, often
 * the same one twice (fan-out); results are the last value, some others, sometimes an argument itself and sometimes
 * one value twice.
 */
final class GradProgramGen {
    /** A value: its SSA name (a {@code %v3#1} for a result of a multi-result op), shape and element type ("f64", "f32", "i32"). */
    record Val(String name, long[] shape, String et) {
        String type() { return type(shape, et); }

        static String type(long[] shape, String et) {
            StringBuilder sb = new StringBuilder("tensor<");
            for (long d : shape) sb.append(d).append('x');
            return sb.append(et).append('>').toString();
        }

        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        boolean isFloat() { return !et.equals("i32"); }
    }

    /** One statement: its lines (ops of the main function), the value it defines, and a private function it calls (or null). */
    record Stmt(List<String> lines, Val result, String function) {}

    /** A program: {@code @main}'s arguments, statements and results. */
    record Program(List<Val> args, List<Stmt> body, List<Val> results) {
        String text() {
            StringBuilder sb = new StringBuilder("module {\n  func.func @main(");
            for (int i = 0; i < args.size(); i++) sb.append(i == 0 ? "" : ", ").append(args.get(i).name).append(": ").append(args.get(i).type());
            sb.append(") -> (").append(String.join(", ", results.stream().map(Val::type).toList())).append(") {\n");
            for (Stmt s : body) for (String l : s.lines) sb.append("    ").append(l).append('\n');
            sb.append("    return ").append(String.join(", ", results.stream().map(Val::name).toList())).append(" : ")
                    .append(String.join(", ", results.stream().map(Val::type).toList())).append("\n  }\n");
            for (Stmt s : body) if (s.function != null) sb.append(s.function);
            return sb.append("}\n").toString();
        }

        /** Whether some value of the program is f32 (then the oracle's looser f32 tolerance applies). */
        boolean hasF32() { return has("f32"); }

        /** Whether some value of the program is bf16 (then the oracle differentiates its f64 twin, {@link #twin}). */
        boolean hasBf16() { return has("bf16"); }

        private boolean has(String et) {
            return body.stream().anyMatch(s -> s.lines.stream().anyMatch(l -> l.contains("x" + et + ">") || l.contains("<" + et + ">")));
        }

        /** The program with every bf16 value f64 (its converts to and from bf16 become identities). */
        String twin() { return text().replace("xbf16>", "xf64>").replace("<bf16>", "<f64>"); }

        /** The program with every bf16 and f32 value f64: the oracle's finite differences and reference backward. */
        String f64Twin() { return twin().replace("xf32>", "xf64>").replace("<f32>", "<f64>"); }
    }

    private static final long MAX_ELEMENTS = 48;
    final Random rnd;
    final List<Val> args = new ArrayList<>(), pool = new ArrayList<>();
    private final List<Stmt> body = new ArrayList<>();
    /** Where {@link #emit} writes: the current statement's lines, or a region's. */
    List<String> out = new ArrayList<>();
    String function;
    int next;

    /** How many kinds of statement {@link #op} draws among before the weighted {@link GradFamilies}. */
    static final int LEGACY = 37;
    private final GradFamilies.Weights weights;
    private final GradFamilies families = new GradFamilies(this);

    GradProgramGen(Random rnd, GradFamilies.Weights weights) { this.rnd = rnd; this.weights = weights; }

    /** The program of this seed with the families' weights of the system properties (the defaults unless set). */
    static Program generate(long seed) { return generate(seed, GradFamilies.Weights.fromProperties()); }

    /** The program of this seed; {@link GradFamilies.Weights#NONE} gives the programs drawn before the families existed. */
    static Program generate(long seed, GradFamilies.Weights weights) { return new GradProgramGen(new Random(seed), weights).program(); }

    Program program() {
        int nArgs = 1 + rnd.nextInt(2);
        for (int i = 0; i < nArgs; i++) newArg(randomShape(rnd.nextInt(4)), "f64");
        int ops = 2 + rnd.nextInt(11);
        for (int k = 0; k < ops; k++) statement();
        List<Val> results = new ArrayList<>();
        results.add(pool.getLast());
        for (int i = 0, n = rnd.nextInt(3); i < n; i++) results.add(pool.get(rnd.nextInt(pool.size())));
        if (rnd.nextInt(6) == 0) results.add(args.get(rnd.nextInt(args.size()))); // an argument returned directly
        if (rnd.nextInt(6) == 0) results.add(results.getFirst()); // one value returned twice
        return new Program(List.copyOf(args), List.copyOf(body), List.copyOf(results));
    }

    long[] randomShape(int rank) {
        long[] s = new long[rank];
        for (int i = 0; i < rank; i++) s[i] = 1 + rnd.nextInt(4);
        while (elements(s) > MAX_ELEMENTS) s[rnd.nextInt(rank)] = 2;
        return s;
    }

    static long elements(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        return n;
    }

    Val newArg(long[] shape, String et) {
        Val v = new Val("%a" + args.size(), shape, et);
        args.add(v);
        if (et.equals("f64")) pool.add(v);
        return v;
    }

    String fresh() { return "%v" + next++; }

    /** Appends {@code "name"(operands) <{props}> ({region}) : (types) -> result} to the current lines. */
    Val emit(String name, List<Val> operands, String props, String region, long[] shape, String et) {
        Val v = new Val(fresh(), shape, et);
        StringBuilder sb = new StringBuilder(v.name + " = \"" + name + "\"(" + String.join(", ", operands.stream().map(Val::name).toList()) + ")");
        if (!props.isEmpty()) sb.append(" <{").append(props).append("}>");
        if (!region.isEmpty()) sb.append(" (").append(region).append(")");
        sb.append(" : (").append(String.join(", ", operands.stream().map(Val::type).toList())).append(") -> ").append(v.type());
        out.add(sb.toString());
        return v;
    }

    Val unary(String op, Val a) { return emit("stablehlo." + op, List.of(a), "", "", a.shape, a.et); }

    Val binary(String op, Val a, Val b) { return emit("stablehlo." + op, List.of(a, b), "", "", a.shape, a.et); }

    private static String literal(String et, double v) { return et.equals("i32") ? Long.toString((long) v) : Double.toString(v); }

    Val scalar(String et, double v) {
        return emit("stablehlo.constant", List.of(), "value = dense<" + literal(et, v) + "> : " + Val.type(new long[0], et), "", new long[0], et);
    }

    Val index(long v) {
        return emit("stablehlo.constant", List.of(), "value = dense<" + v + "> : tensor<i32>", "", new long[0], "i32");
    }

    /** A constant of a's shape and type holding {@code v} everywhere (a scalar broadcast). */
    Val constLike(Val a, double v) {
        Val c = scalar(a.et, v);
        return a.shape.length == 0 ? c : emit("stablehlo.broadcast_in_dim", List.of(c), "broadcast_dimensions = array<i64>", "", a.shape, a.et);
    }

    static String i64s(long... xs) {
        StringBuilder sb = new StringBuilder("array<i64");
        for (int i = 0; i < xs.length; i++) sb.append(i == 0 ? ": " : ", ").append(xs[i]);
        return sb.append('>').toString();
    }

    static String list(long... xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.length; i++) sb.append(i == 0 ? "" : ", ").append(xs[i]);
        return sb.append(']').toString();
    }

    static long[] range(long from, long to) {
        long[] r = new long[(int) (to - from)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    static String reducer(String fn, String et) {
        String t = "tensor<" + et + ">";
        return "{\n      ^bb0(%p: " + t + ", %q: " + t + "):\n        %r = \"stablehlo." + fn + "\"(%p, %q) : (" + t + ", " + t + ") -> " + t
                + "\n        \"stablehlo.return\"(%r) : (" + t + ") -> ()\n    }";
    }

    /** A float value of the pool, the recent ones more likely (deeper programs). */
    private Val pick() {
        int n = pool.size();
        return pool.get(rnd.nextInt(3) == 0 ? rnd.nextInt(n) : n - 1 - rnd.nextInt(Math.min(n, 3)));
    }

    /** A value of this shape and type: often {@code a} itself (fan-out), else another from the pool or a new argument. */
    Val partner(Val a, long[] shape) {
        if (Arrays.equals(shape, a.shape) && rnd.nextInt(4) == 0) return a;
        List<Val> same = pool.stream().filter(v -> Arrays.equals(v.shape, shape) && v.et.equals(a.et)).toList();
        if (!same.isEmpty() && rnd.nextInt(3) != 0) return same.get(rnd.nextInt(same.size()));
        Val arg = newArg(shape, "f64");
        return a.et.equals("f64") ? arg : emit("stablehlo.convert", List.of(arg), "", "", shape, a.et);
    }

    private void statement() {
        out = new ArrayList<>();
        function = null;
        Val v = op(pick());
        body.add(new Stmt(List.copyOf(out), v, function));
        pool.add(v);
    }

    /** One random smooth unary function of a float value. */
    Val smooth(Val a) {
        return switch (rnd.nextInt(15)) {
            case 10 -> unary("exponential_minus_one", unary("tanh", a));
            case 11 -> unary("log_plus_one", binary("multiply", a, a));
            case 12 -> unary("rsqrt", binary("add", constLike(a, 1), binary("multiply", a, a)));
            case 13 -> unary("cbrt", binary("add", constLike(a, 2), unary("tanh", a)));
            case 14 -> unary("tan", binary("multiply", unary("tanh", a), constLike(a, 0.5)));
            case 0 -> unary("negate", a);
            case 1 -> unary("tanh", a);
            case 2 -> unary("sine", a);
            case 3 -> unary("cosine", a);
            case 4 -> unary("logistic", a);
            case 5 -> unary("exponential", unary("tanh", a)); // in [1/e, e]: exponentials never compound
            case 6 -> unary("log", binary("add", constLike(a, 1), binary("multiply", a, a)));
            case 7 -> unary("sqrt", binary("add", constLike(a, 1), binary("multiply", a, a)));
            case 8 -> binary("power", a, constLike(a, 2 + rnd.nextInt(2)));
            default -> binary("multiply", a, constLike(a, 0.5 + rnd.nextInt(3)));
        };
    }

    private Val op(Val a) {
        long[] s = a.shape;
        int r = s.length;
        Supplier<Val> fallback = () -> smooth(a);
        if (a.et.equals("bf16")) return families.bf16Op(a);
        int kind = rnd.nextInt(LEGACY + weights.total());
        if (kind >= LEGACY) return families.op(weights.at(kind - LEGACY), a);
        switch (kind) {
            case 0, 1, 2 -> { return smooth(a); }
            case 3, 4, 5 -> {
                Val b = partner(a, s);
                return switch (rnd.nextInt(7)) {
                    case 0 -> binary("add", a, b);
                    case 1 -> binary("subtract", a, b);
                    case 2, 3 -> binary("multiply", a, b);
                    case 4 -> binary("divide", a, binary("add", constLike(b, 2), unary("tanh", b))); // divisor in [1, 3]
                    // max/min: of a value with itself (a tie on every element, the cotangents of both sides add to one)
                    // or of values apart by 0.25 at least away from a measure-zero set (the oracle detects kinks)
                    case 5 -> binary("maximum", a, b == a ? a : binary("add", b, constLike(b, 0.25)));
                    default -> binary("minimum", b == a ? a : binary("subtract", b, constLike(b, 0.25)), a);
                };
            }
            case 6 -> { // broadcast_in_dim: a new dimension anywhere, sometimes a size-1 dim expanded
                if (r >= 3) return fallback.get();
                int at = rnd.nextInt(r + 1);
                long[] o = new long[r + 1], dims = new long[r];
                for (int i = 0, j = 0; j < r + 1; j++) {
                    if (j == at) o[j] = 1 + rnd.nextInt(3);
                    else { o[j] = s[i]; dims[i++] = j; }
                }
                for (int i = 0; i < r; i++) if (s[i] == 1 && rnd.nextBoolean()) o[(int) dims[i]] = 1 + rnd.nextInt(3);
                if (elements(o) > MAX_ELEMENTS) return fallback.get();
                return emit("stablehlo.broadcast_in_dim", List.of(a), "broadcast_dimensions = " + i64s(dims), "", o, a.et);
            }
            case 7 -> { // reshape: flatten, or merge two adjacent dims, or add a unit dim
                long[] o;
                if (r >= 2 && rnd.nextBoolean()) {
                    int d = rnd.nextInt(r - 1);
                    o = new long[r - 1];
                    for (int i = 0, j = 0; i < r; i++) {
                        if (i == d) { o[j++] = s[i] * s[i + 1]; i++; } else o[j++] = s[i];
                    }
                } else if (r >= 1 && rnd.nextBoolean()) {
                    o = new long[] {a.elements()};
                } else if (r < 3) {
                    o = new long[r + 1];
                    int at = rnd.nextInt(r + 1);
                    for (int i = 0, j = 0; j < r + 1; j++) o[j] = j == at ? 1 : s[i++];
                } else {
                    return fallback.get();
                }
                return emit("stablehlo.reshape", List.of(a), "", "", o, a.et);
            }
            case 8 -> { // transpose
                if (r < 2) return fallback.get();
                List<Integer> perm = new ArrayList<>();
                for (int i = 0; i < r; i++) perm.add(i);
                Collections.shuffle(perm, rnd);
                long[] p = new long[r], o = new long[r];
                for (int i = 0; i < r; i++) { p[i] = perm.get(i); o[i] = s[perm.get(i)]; }
                return emit("stablehlo.transpose", List.of(a), "permutation = " + i64s(p), "", o, a.et);
            }
            case 9 -> { // slice with strides
                if (r < 1) return fallback.get();
                long[] st = new long[r], lim = new long[r], str = new long[r], o = new long[r];
                for (int i = 0; i < r; i++) {
                    st[i] = rnd.nextInt((int) s[i]);
                    lim[i] = st[i] + 1 + rnd.nextInt((int) (s[i] - st[i]));
                    str[i] = 1 + rnd.nextInt(2);
                    o[i] = (lim[i] - st[i] + str[i] - 1) / str[i];
                }
                return emit("stablehlo.slice", List.of(a), "start_indices = " + i64s(st) + ", limit_indices = " + i64s(lim) + ", strides = " + i64s(str),
                        "", o, a.et);
            }
            case 10 -> { // pad: low, high (some negative), interior
                if (r < 1) return fallback.get();
                long[] lo = new long[r], hi = new long[r], in = new long[r], o = new long[r];
                for (int i = 0; i < r; i++) {
                    in[i] = rnd.nextInt(3) == 0 ? 1 : 0;
                    lo[i] = rnd.nextInt(3) - (s[i] > 1 ? 1 : 0);
                    hi[i] = rnd.nextInt(2);
                    o[i] = s[i] + (s[i] - 1) * in[i] + lo[i] + hi[i];
                }
                if (elements(o) > MAX_ELEMENTS * 2) return fallback.get();
                Val pv = scalar(a.et, 0.5);
                return emit("stablehlo.pad", List.of(a, pv), "edge_padding_low = " + i64s(lo) + ", edge_padding_high = " + i64s(hi)
                        + ", interior_padding = " + i64s(in), "", o, a.et);
            }
            case 11 -> { // concatenate
                if (r < 1) return fallback.get();
                int d = rnd.nextInt(r);
                long[] bs = s.clone();
                bs[d] = rnd.nextBoolean() ? s[d] : 1 + rnd.nextInt(3);
                Val b = partner(a, bs);
                long[] o = s.clone();
                o[d] = s[d] + bs[d];
                return emit("stablehlo.concatenate", rnd.nextBoolean() ? List.of(a, b) : List.of(b, a), "dimension = " + d + " : i64", "", o, a.et);
            }
            case 12 -> { // reverse
                if (r < 1) return fallback.get();
                List<Long> ds = new ArrayList<>();
                for (long d = 0; d < r; d++) if (rnd.nextBoolean()) ds.add(d);
                if (ds.isEmpty()) ds.add((long) rnd.nextInt(r));
                return emit("stablehlo.reverse", List.of(a), "dimensions = " + i64s(ds.stream().mapToLong(Long::longValue).toArray()), "", s, a.et);
            }
            case 13, 14 -> { return dot(a); }
            case 15 -> { // reduce sum or max over one or two dims
                if (r < 1) return fallback.get();
                List<Integer> ds = new ArrayList<>();
                for (int i = 0; i < r; i++) ds.add(i);
                Collections.shuffle(ds, rnd);
                int k = r >= 2 && rnd.nextBoolean() ? 2 : 1;
                List<Integer> red = ds.subList(0, k).stream().sorted().toList();
                long[] o = new long[r - k];
                for (int i = 0, j = 0; i < r; i++) if (!red.contains(i)) o[j++] = s[i];
                boolean max = rnd.nextBoolean();
                Val iv = max ? emit("stablehlo.constant", List.of(), "value = dense<0xFFF0000000000000> : tensor<f64>", "", new long[0], "f64") : scalar(a.et, 0);
                if (max && a.et.equals("f32")) iv = emit("stablehlo.convert", List.of(iv), "", "", new long[0], "f32");
                return emit("stablehlo.reduce", List.of(a, iv), "dimensions = " + i64s(red.stream().mapToLong(Integer::longValue).toArray()),
                        reducer(max ? "maximum" : "add", a.et), o, a.et);
            }
            case 16 -> { // reduce_window: sum or max, padded sometimes (max padded so that no window reads only padding)
                if (r < 1) return fallback.get();
                int d = rnd.nextInt(r);
                boolean max = rnd.nextBoolean();
                long[] win = new long[r], st = new long[r], one = new long[r], o = s.clone();
                Arrays.fill(win, 1);
                Arrays.fill(st, 1);
                Arrays.fill(one, 1);
                long lo = rnd.nextInt(3) == 0 ? 1 : 0, hi = rnd.nextInt(3) == 0 ? 1 : 0;
                win[d] = 1 + rnd.nextInt((int) Math.min(3, s[d] + lo + hi));
                if (max && win[d] <= Math.max(lo, hi)) win[d] = Math.max(lo, hi) + 1; // no window of padding alone
                if (max && win[d] > s[d] + lo + hi) { lo = 0; hi = 0; win[d] = 1; }
                long[] wdil = one.clone();
                if (!max && rnd.nextInt(4) == 0 && 2 * win[d] - 1 <= s[d] + lo + hi) wdil[d] = 2;
                long span = (win[d] - 1) * wdil[d] + 1;
                st[d] = rnd.nextInt(3) == 0 ? 2 : 1;
                o[d] = (s[d] + lo + hi - span) / st[d] + 1;
                StringBuilder pad = new StringBuilder("dense<[");
                for (int i = 0; i < r; i++) pad.append(i == 0 ? "" : ", ").append(i == d ? "[" + lo + ", " + hi + "]" : "[0, 0]");
                pad.append("]> : tensor<").append(r).append("x2xi64>");
                List<Val> scalars = pool.stream().filter(v -> v.shape.length == 0 && v.et.equals(a.et)).toList();
                // a sum's init is sometimes a value of the program: it is added once per window and fills the padding
                Val iv = !max && !scalars.isEmpty() && rnd.nextBoolean() ? scalars.get(rnd.nextInt(scalars.size()))
                        : scalar(a.et, max ? (rnd.nextInt(3) == 0 ? 0 : -1e30) : 0);
                return emit("stablehlo.reduce_window", List.of(a, iv), "window_dimensions = " + i64s(win) + ", window_strides = " + i64s(st)
                        + ", padding = " + pad + ", base_dilations = " + i64s(one) + ", window_dilations = " + i64s(wdil),
                        reducer(max ? "maximum" : "add", a.et), o, a.et);
            }
            case 17 -> { // select on a fixed predicate: iota along a dim compared with a constant
                if (r < 1) return fallback.get();
                Val b = partner(a, s);
                int d = rnd.nextInt(r);
                Val io = emit("stablehlo.iota", List.of(), "iota_dimension = " + d + " : i64", "", s, "i32");
                Val k = emit("stablehlo.broadcast_in_dim", List.of(scalar("i32", rnd.nextInt((int) s[d] + 1))), "broadcast_dimensions = array<i64>", "",
                        s, "i32");
                Val c = emit("stablehlo.compare", List.of(io, k), "comparison_direction = #stablehlo<comparison_direction LT>", "", s, "i1");
                return emit("stablehlo.select", List.of(c, a, b), "", "", s, a.et);
            }
            case 18 -> { // dynamic_slice at constant indices, some out of range (clamped)
                if (r < 1) return fallback.get();
                long[] size = new long[r];
                List<Val> ops = new ArrayList<>(List.of(a));
                for (int i = 0; i < r; i++) {
                    size[i] = 1 + rnd.nextInt((int) s[i]);
                    ops.add(index(rnd.nextInt((int) s[i] + 2) - 1));
                }
                return emit("stablehlo.dynamic_slice", ops, "slice_sizes = " + i64s(size), "", size, a.et);
            }
            case 19 -> { // dynamic_update_slice at constant indices
                if (r < 1) return fallback.get();
                long[] size = new long[r];
                for (int i = 0; i < r; i++) size[i] = 1 + rnd.nextInt((int) s[i]);
                List<Val> ops = new ArrayList<>(List.of(a, partner(a, size)));
                for (int i = 0; i < r; i++) ops.add(index(rnd.nextInt((int) s[i] + 2) - 1));
                return emit("stablehlo.dynamic_update_slice", ops, "", "", s, a.et);
            }
            case 20 -> { return gatherOrScatter(a); }
            case 21 -> { // convert between f64 and f32 (f32 segments: the oracle loosens its tolerance)
                return emit("stablehlo.convert", List.of(a), "", "", s, a.et.equals("f64") ? "f32" : "f64");
            }
            case 22 -> { // an integer value (an i32 argument or an iota, combined) converted and multiplied in
                Val n = rnd.nextBoolean() ? newArg(s, "i32") : r == 0 ? index(3) : emit("stablehlo.iota", List.of(), "iota_dimension = 0 : i64", "", s, "i32");
                if (rnd.nextBoolean()) n = binary("add", n, n.name.startsWith("%a") && rnd.nextBoolean() ? n : constLike(n, 1));
                return binary("multiply", a, emit("stablehlo.convert", List.of(n), "", "", s, a.et));
            }
            case 23 -> { return whileLoop(a); }
            case 24 -> { return caseOf(a); }
            case 25 -> { return call(a); }
            case 26 -> { // broadcast_in_dim with permuted dimensions: a transpose and a new dimension in one
                if (r < 2 || r >= 3) return fallback.get();
                long[] dims = {1, 0}, o = {s[1], s[0], 1 + rnd.nextInt(3)};
                if (rnd.nextBoolean()) { dims = new long[] {2, 0}; o = new long[] {s[1], 1 + rnd.nextInt(3), s[0]}; }
                return emit("stablehlo.broadcast_in_dim", List.of(a), "broadcast_dimensions = " + i64s(dims), "", o, a.et);
            }
            case 27 -> { // reshape to any shape of as many elements (not only merges and splits)
                long n = a.elements();
                List<long[]> shapes = new ArrayList<>();
                for (long x = 1; x <= n; x++) for (long y = 1; x * y <= n; y++) if (n % (x * y) == 0) shapes.add(new long[] {x, y, n / (x * y)});
                long[] o = shapes.get(rnd.nextInt(shapes.size()));
                return emit("stablehlo.reshape", List.of(a), "", "", o, a.et);
            }
            case 28 -> { // reduce whose init is a value of the program: its cotangent counts
                return reduceWithInit(a);
            }
            case 29 -> { // clamp between values of the program (kinks where they cross: the oracle redraws)
                Val lo = binary("subtract", partner(a, a.shape), constLike(a, 0.5)), hi = binary("add", lo, constLike(a, 1));
                return emit("stablehlo.clamp", List.of(lo, a, hi), "", "", s, a.et);
            }
            case 30 -> { // abs (a kink at 0 only), atan2 with a positive second side
                if (rnd.nextBoolean()) return unary("abs", a);
                Val b = partner(a, s);
                return binary("atan2", a, binary("add", constLike(b, 2), unary("tanh", b)));
            }
            case 31 -> { return whileTwoCarries(a); }
            case 32 -> { // sort along a dimension, descending (a permutation: kinks only at ties)
                if (r < 1) return fallback.get();
                String t = Val.type(new long[0], a.et);
                String cmp = "{\n      ^bb0(%p: " + t + ", %q: " + t + "):\n        %r = \"stablehlo.compare\"(%p, %q) <{comparison_direction = "
                        + "#stablehlo<comparison_direction GT>}> : (" + t + ", " + t + ") -> tensor<i1>\n        \"stablehlo.return\"(%r) : (tensor<i1>) -> ()\n    }";
                return emit("stablehlo.sort", List.of(a), "dimension = " + rnd.nextInt(r) + " : i64, is_stable = true", cmp, s, a.et);
            }
            case 33 -> { return caseTwoResults(a); }
            case 34 -> { // dot_general contracting two dimensions
                if (r < 2) return dot(a);
                long[] rs = {s[1], s[0], 1 + rnd.nextInt(3)};
                Val rhs = partner(a, rs);
                long[] o = new long[r - 2 + 1];
                for (int i = 2; i < r; i++) o[i - 2] = s[i];
                o[r - 2] = rs[2];
                return emit("stablehlo.dot_general", List.of(a, rhs), "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [], "
                        + "rhs_batching_dimensions = [], lhs_contracting_dimensions = [0, 1], rhs_contracting_dimensions = [1, 0]>", "", o, a.et);
            }
            case 35 -> { // dynamic_slice at indices read from i32 arguments (clamped when out of range)
                if (r < 1) return fallback.get();
                long[] size = new long[r];
                List<Val> ops = new ArrayList<>(List.of(a));
                for (int i = 0; i < r; i++) {
                    size[i] = 1 + rnd.nextInt((int) s[i]);
                    ops.add(rnd.nextBoolean() ? newArg(new long[0], "i32") : index(rnd.nextInt((int) s[i])));
                }
                return emit("stablehlo.dynamic_slice", ops, "slice_sizes = " + i64s(size), "", size, a.et);
            }
            default -> { return smooth(smooth(a)); }
        }
    }

    /**
     * reduce (sum, product, max or min) of a over one dimension whose init value is a scalar of the program: where a
     * finite init wins a max or min, the result's cotangent goes to it, not to a.
     */
    private Val reduceWithInit(Val a) {
        long[] s = a.shape;
        int r = s.length;
        if (r < 1) return smooth(a);
        int d = rnd.nextInt(r);
        long[] o = new long[r - 1];
        for (int i = 0, j = 0; i < r; i++) if (i != d) o[j++] = s[i];
        List<Val> scalars = pool.stream().filter(v -> v.shape.length == 0 && v.et.equals(a.et)).toList();
        Val init = !scalars.isEmpty() && rnd.nextBoolean() ? scalars.get(rnd.nextInt(scalars.size())) : scalar(a.et, rnd.nextBoolean() ? 0 : 0.3);
        String[] fns = {"add", "multiply", "maximum", "minimum"};
        return emit("stablehlo.reduce", List.of(a, init), "dimensions = " + i64s(d), reducer(fns[rnd.nextInt(4)], a.et), o, a.et);
    }

    /**
     * A while loop carrying two float states (a and an outer b) and an i32 counter that starts at 0 or 1 and steps by
     * 1 or 2 (a step of 2 is not a fori loop: the backward recomputes), reading an outer value inside; both states are
     * results of the statement's op, one of them used.
     */
    private Val whileTwoCarries(Val a) {
        Val b = partner(a, a.shape), w = partner(a, a.shape);
        Val c0 = index(rnd.nextInt(2));
        String t = a.type(), name = fresh(), i = fresh(), s1 = fresh(), s2 = fresh();
        long step = 1 + rnd.nextInt(2);
        List<String> outer = out;
        out.add(name + ":3 = stablehlo.while(" + i + " = " + c0.name + ", " + s1 + " = " + a.name + ", " + s2 + " = " + b.name + ") : tensor<i32>, "
                + t + ", " + t);
        out.add(" cond {");
        out = new ArrayList<>();
        Val cond = emit("stablehlo.compare", List.of(new Val(i, new long[0], "i32"), index(2 + rnd.nextInt(3))),
                "comparison_direction = #stablehlo<comparison_direction LT>", "", new long[0], "i1");
        out.add("\"stablehlo.return\"(" + cond.name + ") : (tensor<i1>) -> ()");
        for (String l : out) outer.add("  " + l);
        outer.add("} do {");
        out = new ArrayList<>();
        Val x = new Val(s1, a.shape, a.et), y = new Val(s2, a.shape, a.et);
        Val nx;
        if (rnd.nextInt(3) == 0) { // the body calls a private function of two results, one its argument returned directly
            String fn = "@g" + next++;
            List<String> body = out;
            out = new ArrayList<>();
            Val p = new Val(fresh(), a.shape, a.et), q = new Val(fresh(), a.shape, a.et);
            Val res = binary("add", binary("multiply", smooth(p), q), p);
            StringBuilder f = new StringBuilder("  func.func private " + fn + "(" + p.name + ": " + t + ", " + q.name + ": " + t + ") -> (" + t + ", " + t + ") {\n");
            for (String l : out) f.append("    ").append(l).append('\n');
            f.append("    return ").append(res.name).append(", ").append(q.name).append(" : ").append(t).append(", ").append(t).append("\n  }\n");
            function = f.toString();
            out = body;
            String c = fresh();
            out.add(c + ":2 = func.call " + fn + "(" + y.name + ", " + w.name + ") : (" + t + ", " + t + ") -> (" + t + ", " + t + ")");
            nx = binary("add", new Val(c + "#0", a.shape, a.et), binary("multiply", x, new Val(c + "#1", a.shape, a.et)));
        } else {
            nx = binary("add", binary("multiply", smooth(y), constLike(x, 0.5)), binary("multiply", x, w));
        }
        Val ny = rnd.nextBoolean() ? x : unary("sine", binary("add", x, y));
        Val in = binary("add", new Val(i, new long[0], "i32"), index(step));
        out.add("\"stablehlo.return\"(" + in.name + ", " + nx.name + ", " + ny.name + ") : (tensor<i32>, " + t + ", " + t + ") -> ()");
        for (String l : out) outer.add("  " + l);
        outer.add("}");
        out = outer;
        return new Val(name + "#" + (1 + rnd.nextInt(2)), a.shape, a.et);
    }

    /** gather of rows (dim 0) at constant indices (repeats allowed), or scatter-add of updates into rows at such indices. */
    private Val gatherOrScatter(Val a) {
        long[] s = a.shape;
        int r = s.length;
        if (r < 1) return smooth(a);
        int k = 1 + rnd.nextInt(3);
        StringBuilder idx = new StringBuilder("[");
        for (int i = 0; i < k; i++) idx.append(i == 0 ? "" : ", ").append('[').append(rnd.nextInt((int) s[0])).append(']');
        Val ind = emit("stablehlo.constant", List.of(), "value = dense<" + idx + "]> : tensor<" + k + "x1xi64>", "", new long[] {k, 1}, "i64");
        long[] rows = s.clone();
        rows[0] = k;
        if (rnd.nextBoolean()) {
            long[] sizes = s.clone();
            sizes[0] = 1;
            return emit("stablehlo.gather", List.of(a, ind), "dimension_numbers = #stablehlo.gather<offset_dims = " + list(range(1, r))
                    + ", collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = " + i64s(sizes)
                    + ", indices_are_sorted = false", "", rows, a.et);
        }
        Val u = partner(a, rows);
        if (rnd.nextBoolean() && k <= s[0]) { // an overwriting scatter at unique indices (the rule assumes them unique, as JAX does)
            List<Integer> rowsAt = new ArrayList<>();
            for (int i = 0; i < s[0]; i++) rowsAt.add(i);
            Collections.shuffle(rowsAt, rnd);
            StringBuilder uniq = new StringBuilder("[");
            for (int i = 0; i < k; i++) uniq.append(i == 0 ? "" : ", ").append('[').append(rowsAt.get(i)).append(']');
            Val uind = emit("stablehlo.constant", List.of(), "value = dense<" + uniq + "]> : tensor<" + k + "x1xi64>", "", new long[] {k, 1}, "i64");
            String t = Val.type(new long[0], a.et);
            String overwrite = "{\n      ^bb0(%p: " + t + ", %q: " + t + "):\n        \"stablehlo.return\"(%q) : (" + t + ") -> ()\n    }";
            return emit("stablehlo.scatter", List.of(a, uind, u), "scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = " + list(range(1, r))
                    + ", inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = false, unique_indices = true",
                    overwrite, s, a.et);
        }
        return emit("stablehlo.scatter", List.of(a, ind, u), "scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = " + list(range(1, r))
                + ", inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = false, unique_indices = false",
                reducer("add", a.et), s, a.et);
    }

    /** dot_general of a with a partner: one contracting dim, sometimes a batch dim; the rhs dims in a random order. */
    Val dot(Val a) {
        long[] s = a.shape;
        int r = s.length;
        if (r < 1) return smooth(a);
        int c = rnd.nextInt(r), b = -1;
        if (r >= 2 && rnd.nextBoolean()) do b = rnd.nextInt(r); while (b == c);
        long free = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(3);
        List<long[]> parts = new ArrayList<>(); // {kind, size}: 0 batch, 1 contracting, 2 free
        if (b >= 0) parts.add(new long[] {0, s[b]});
        parts.add(new long[] {1, s[c]});
        if (free > 0) parts.add(new long[] {2, free});
        Collections.shuffle(parts, rnd);
        long[] rs = new long[parts.size()];
        long rb = -1, rc = -1;
        for (int i = 0; i < parts.size(); i++) {
            rs[i] = parts.get(i)[1];
            if (parts.get(i)[0] == 0) rb = i;
            if (parts.get(i)[0] == 1) rc = i;
        }
        Val rhs = partner(a, rs);
        List<Long> o = new ArrayList<>();
        if (b >= 0) o.add(s[b]);
        for (int i = 0; i < r; i++) if (i != b && i != c) o.add(s[i]);
        if (free > 0) o.add(free);
        long[] os = o.stream().mapToLong(Long::longValue).toArray();
        if (elements(os) > MAX_ELEMENTS * 2) return smooth(a);
        String dn = "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = " + (b >= 0 ? list(b) : "[]")
                + ", rhs_batching_dimensions = " + (b >= 0 ? list(rb) : "[]") + ", lhs_contracting_dimensions = " + list(c)
                + ", rhs_contracting_dimensions = " + list(rc) + ">";
        return emit("stablehlo.dot_general", List.of(a, rhs), dn, "", os, a.et);
    }

    /**
     * A while loop of 1 to 3 iterations (an i32 counter) carrying a float state, initially a, and reading an outer
     * value w of a's type: state' = tanh(state) * w + 0.5 * state.
     */
    private Val whileLoop(Val a) {
        Val w = partner(a, a.shape);
        Val c0 = index(0);
        String t = a.type(), name = fresh(), i = fresh(), st = fresh();
        List<String> outer = out;
        out.add(name + ":2 = stablehlo.while(" + i + " = " + c0.name + ", " + st + " = " + a.name + ") : tensor<i32>, " + t);
        out.add(" cond {");
        out = new ArrayList<>();
        Val n = index(1 + rnd.nextInt(3));
        Val cond = emit("stablehlo.compare", List.of(new Val(i, new long[0], "i32"), n), "comparison_direction = #stablehlo<comparison_direction LT>", "",
                new long[0], "i1");
        out.add("\"stablehlo.return\"(" + cond.name + ") : (tensor<i1>) -> ()");
        for (String l : out) outer.add("  " + l);
        outer.add("} do {");
        out = new ArrayList<>();
        Val s = new Val(st, a.shape, a.et);
        Val next = binary("add", binary("multiply", unary("tanh", s), w), binary("multiply", s, constLike(s, 0.5)));
        Val in = binary("add", new Val(i, new long[0], "i32"), index(1));
        out.add("\"stablehlo.return\"(" + in.name + ", " + next.name + ") : (tensor<i32>, " + t + ") -> ()");
        for (String l : out) outer.add("  " + l);
        outer.add("}");
        out = outer;
        return new Val(name + "#1", a.shape, a.et);
    }

    /** case on a constant index (sometimes out of range: the last branch) over 2 or 3 branches reading a and an outer b. */
    private Val caseOf(Val a) {
        Val b = partner(a, a.shape);
        int branches = 2 + rnd.nextInt(2);
        Val k = index(rnd.nextInt(branches + 1));
        List<String> outer = out;
        String name = fresh();
        StringBuilder regions = new StringBuilder();
        for (int j = 0; j < branches; j++) {
            out = new ArrayList<>();
            Val res = switch (rnd.nextInt(4)) {
                case 0 -> a; // an outer value returned directly
                case 1 -> binary("multiply", a, b);
                case 2 -> smooth(b);
                default -> binary("add", smooth(a), a);
            };
            out.add("\"stablehlo.return\"(" + res.name + ") : (" + a.type() + ") -> ()");
            regions.append(j == 0 ? "{\n" : ", {\n");
            for (String l : out) regions.append("      ").append(l).append('\n');
            regions.append("    }");
        }
        out = outer;
        out.add(name + " = \"stablehlo.case\"(" + k.name + ") (" + regions + ") : (tensor<i32>) -> " + a.type());
        return new Val(name, a.shape, a.et);
    }

    /**
     * case on an i32 argument (negative or too large: the last branch) with two results, each branch reading outer
     * values; the statement's value is one of them.
     */
    private Val caseTwoResults(Val a) {
        Val b = partner(a, a.shape);
        Val k = newArg(new long[0], "i32");
        List<String> outer = out;
        String name = fresh();
        StringBuilder regions = new StringBuilder();
        for (int j = 0, n = 2 + rnd.nextInt(2); j < n; j++) {
            out = new ArrayList<>();
            Val r0 = rnd.nextInt(3) == 0 ? b : smooth(a), r1 = rnd.nextBoolean() ? binary("multiply", a, b) : a;
            out.add("\"stablehlo.return\"(" + r0.name + ", " + r1.name + ") : (" + a.type() + ", " + a.type() + ") -> ()");
            regions.append(j == 0 ? "{\n" : ", {\n");
            for (String l : out) regions.append("      ").append(l).append('\n');
            regions.append("    }");
        }
        out = outer;
        out.add(name + ":2 = \"stablehlo.case\"(" + k.name + ") (" + regions + ") : (tensor<i32>) -> (" + a.type() + ", " + a.type() + ")");
        return new Val(name + "#" + rnd.nextInt(2), a.shape, a.et);
    }

    /** A private function f(p, q) = smooth(p) * q + p, called twice: f(f(a, b), a). */
    private Val call(Val a) {
        Val b = partner(a, a.shape);
        String fn = "@g" + next++, t = a.type();
        List<String> outer = out;
        out = new ArrayList<>();
        Val p = new Val(fresh(), a.shape, a.et), q = new Val(fresh(), a.shape, a.et);
        Val res = rnd.nextInt(4) == 0 ? q : binary("add", binary("multiply", smooth(p), q), p);
        StringBuilder f = new StringBuilder("  func.func private " + fn + "(" + p.name + ": " + t + ", " + q.name + ": " + t + ") -> " + t + " {\n");
        for (String l : out) f.append("    ").append(l).append('\n');
        f.append("    return ").append(res.name).append(" : ").append(t).append("\n  }\n");
        function = f.toString();
        out = outer;
        String first = fresh(), second = fresh();
        out.add(first + " = func.call " + fn + "(" + a.name + ", " + b.name + ") : (" + t + ", " + t + ") -> " + t);
        out.add(second + " = func.call " + fn + "(" + first + ", " + a.name + ") : (" + t + ", " + t + ") -> " + t);
        return new Val(second, a.shape, a.et);
    }
}
