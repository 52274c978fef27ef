package io.hlo4j.compiler.spmd.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Random well-typed StableHLO programs of 2 to 12 ops in generic form over f32 and i32 tensors of rank 0 to 3 (dims
 * mostly 2, 4, 8, sometimes 1, 3, 6): element-wise unary and binary ops, compare + select, clamp, broadcast_in_dim,
 * reshape (split or merge), transpose, dot_general (batch and contracting dims), reduce (sum, max), concatenate,
 * slice, pad, reduce_window, reverse, iota, convert, constant, dynamic_slice and dynamic_update_slice (constant indices,
 * some clamped); random {@code sdy.sharding} on arguments and results (some absent), {@code sdy.sharding_constraint} on some
 * intermediate values. In {@link #exact} mode values are small integers and only exact ops are drawn (results compare
 * bit for bit); otherwise f32 with exp (of a tanh: exponentials do not compound), tanh and sine too.
 */
final class ProgramGen {
    /** A value of the program: its SSA name, shape and element type ("f32", "i32"). */
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
    }

    /**
     * A generated program: the module's head (attributes and mesh), its arguments with their declared shardings (null:
     * none), its ops (one line each, regions included), its results with their declared shardings, and the mode. Which
     * annotations do not divide their dimensions is read from these ({@link FuzzOracle#nonDividing}), so it stays true of
     * a minimised program.
     */
    record Program(String head, List<Val> args, List<String> argShardings, List<String> body, List<Val> results,
                   List<String> resultShardings, boolean exact, List<String> funcs) {
        /** A program of @main alone. */
        Program(String head, List<Val> args, List<String> argShardings, List<String> body, List<Val> results, List<String> resultShardings,
                boolean exact) {
            this(head, args, argShardings, body, results, resultShardings, exact, List.of());
        }

        /**
         * Separates, in a body line, what the partitioner gets from what the unpartitioned run (the oracle) gets in its
         * place: an {@code sdy.manual_computation} has no global semantics the interpreter runs, so its line carries the
         * same computation written on global values.
         */
        static final String GLOBAL = "\n// global form:\n";

        /** The part of a body line the partitioned program holds. */
        static String shown(String line) {
            int at = line.indexOf(GLOBAL);
            return at < 0 ? line : line.substring(0, at);
        }

        /** The text the partitioner gets. */
        String text() { return text(false); }

        /** The text the unpartitioned run gets: each line's global form where it has one. */
        String oracleText() { return text(true); }

        private String text(boolean global) {
            StringBuilder sb = new StringBuilder(head).append("  func.func @main(");
            for (int i = 0; i < args.size(); i++) {
                Val a = args.get(i);
                sb.append(i == 0 ? "" : ", ").append(a.name).append(": ").append(a.type());
                if (argShardings.get(i) != null) sb.append(" {sdy.sharding = #sdy.sharding").append(argShardings.get(i)).append('}');
            }
            sb.append(") -> (");
            for (int i = 0; i < results.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(results.get(i).type());
                if (resultShardings.get(i) != null) sb.append(" {sdy.sharding = #sdy.sharding").append(resultShardings.get(i)).append('}');
            }
            sb.append(") {\n");
            for (String l : body) {
                int at = l.indexOf(GLOBAL);
                sb.append("    ").append(at < 0 ? l : global ? l.substring(at + GLOBAL.length()) : l.substring(0, at)).append('\n');
            }
            sb.append("    return ").append(String.join(", ", results.stream().map(Val::name).toList())).append(" : ")
                    .append(String.join(", ", results.stream().map(Val::type).toList())).append("\n  }\n");
            // callees after @main, so the lines FuzzOracle counts through @main stay where they are
            for (String f : funcs) sb.append(f);
            return sb.append("}\n").toString();
        }
    }

    static final long MAX_ELEMENTS = 256;
    final Random rnd;
    final boolean exact;
    final ShardingGen sh;
    private final List<Val> args = new ArrayList<>(), pool = new ArrayList<>();
    private final List<String> body = new ArrayList<>();
    /** Functions @main calls ({@link OpFamilies#call}), each its whole text. */
    final List<String> funcs = new ArrayList<>();
    /** The op families whose ops this program emitted, in the order first drawn (printed with a failure: which family failed). */
    final java.util.LinkedHashSet<Family> drawn = new java.util.LinkedHashSet<>();
    private final OpFamilies families;
    private final int[] weights = Family.weights();
    /** The declared sharding of each argument and result ({@code <@mesh, [...]>}), null where none is declared. */
    private final List<String> argShardings = new ArrayList<>(), resultShardings = new ArrayList<>();
    private int next;

    /** A fresh number for names inside regions and callees ({@code %t<n>_x}, {@code @f<n>}): never a {@code %v} name. */
    int fresh() { return next++; }

    ProgramGen(Random rnd, boolean exact) {
        this.rnd = rnd;
        this.exact = exact;
        this.sh = new ShardingGen(rnd);
        this.families = new OpFamilies(this);
    }

    static Program generate(long seed, boolean exact) {
        return new ProgramGen(new Random(seed), exact).program();
    }

    Program program() {
        int nArgs = 1 + rnd.nextInt(2);
        for (int i = 0; i < nArgs; i++) newArg(randomShape(1 + rnd.nextInt(3)), randomEt());
        int ops = 2 + rnd.nextInt(11);
        for (int k = 0; k < ops; k++) op();
        List<Val> results = new ArrayList<>();
        results.add(pool.getLast());
        for (int i = 0, n = rnd.nextInt(3); i < n; i++) {
            Val v = pool.get(rnd.nextInt(pool.size()));
            if (!results.contains(v)) results.add(v);
        }
        for (Val r : results) resultShardings.add(rnd.nextInt(4) == 0 ? null : sh.sharding(r.shape, true));
        String head = "module @fuzz attributes {mhlo.num_partitions = " + sh.devices() + " : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = " + sh.meshBody() + "\n";
        return new Program(head, List.copyOf(args), Collections.unmodifiableList(argShardings), List.copyOf(body), List.copyOf(results),
                Collections.unmodifiableList(resultShardings), exact, List.copyOf(funcs));
    }

    String randomEt() { return exact && rnd.nextBoolean() ? "i32" : "f32"; }

    long randomDim() {
        return rnd.nextInt(7) == 0 ? new long[] {1, 3, 6}[rnd.nextInt(3)] : new long[] {2, 4, 8}[rnd.nextInt(3)];
    }

    long[] randomShape(int rank) {
        long[] s = new long[rank];
        for (int i = 0; i < rank; i++) s[i] = randomDim();
        while (elements(s) > MAX_ELEMENTS) s[rnd.nextInt(rank)] = 2;
        return s;
    }

    static long elements(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        return n;
    }

    Val newArg(long[] shape, String et) {
        Val v = new Val("%arg" + args.size(), shape, et);
        String s = rnd.nextInt(5) == 0 ? null : sh.sharding(shape, true);
        argShardings.add(s);
        args.add(v);
        pool.add(v);
        return v;
    }

    /** Appends {@code "name"(operands) <{props}> ({region}) : (types) -> result} and returns the new value. */
    Val emit(String name, List<Val> operands, String props, String region, long[] shape, String et) {
        Val v = new Val("%v" + next++, shape, et);
        StringBuilder sb = new StringBuilder(v.name + " = \"" + name + "\"(" + String.join(", ", operands.stream().map(Val::name).toList()) + ")");
        if (!props.isEmpty()) sb.append(" <{").append(props).append("}>");
        if (!region.isEmpty()) sb.append(" (").append(region).append(")");
        sb.append(" : (").append(String.join(", ", operands.stream().map(Val::type).toList())).append(") -> ").append(v.type());
        body.add(sb.toString());
        return v;
    }

    void add(Val v) {
        pool.add(v);
        if (rnd.nextInt(5) == 0) { // a sharding_constraint on an intermediate value
            Val c = new Val("%v" + next++, v.shape, v.et);
            body.add(c.name + " = sdy.sharding_constraint " + v.name + " " + sh.sharding(v.shape, true) + " : " + v.type());
            pool.add(c);
        }
    }

    /** A value of the pool, the recent ones more likely (deeper programs). */
    Val pick() {
        int n = pool.size();
        int i = rnd.nextInt(3) == 0 ? rnd.nextInt(n) : n - 1 - rnd.nextInt(Math.min(n, 3));
        return pool.get(i);
    }

    /** Another value of this shape and type from the pool, else a new argument. */
    Val partner(long[] shape, String et) {
        List<Val> same = pool.stream().filter(v -> Arrays.equals(v.shape, shape) && v.et.equals(et)).toList();
        if (!same.isEmpty() && rnd.nextInt(3) != 0) return same.get(rnd.nextInt(same.size()));
        return newArg(shape, et);
    }

    static String i64s(long... xs) {
        StringBuilder sb = new StringBuilder("array<i64");
        for (int i = 0; i < xs.length; i++) sb.append(i == 0 ? ": " : ", ").append(xs[i]);
        return sb.append('>').toString();
    }

    private static String list(List<Long> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) sb.append(i == 0 ? "" : ", ").append(xs.get(i));
        return sb.append(']').toString();
    }

    private String scalarConst(String et, long value) {
        Val c = emit("stablehlo.constant", List.of(), "value = dense<" + (et.equals("f32") ? value + ".0" : value) + "> : " + Val.type(new long[0], et),
                "", new long[0], et);
        return c.name;
    }

    Val constantOf(Val x, String literal) {
        return emit("stablehlo.constant", List.of(), "value = dense<" + literal + "> : " + Val.type(new long[0], x.et), "", new long[0], x.et);
    }

    static String reducer(String fn, String et) {
        String t = "tensor<" + et + ">";
        return "{\n      ^bb0(%p: " + t + ", %q: " + t + "):\n        %r = \"stablehlo." + fn + "\"(%p, %q) : (" + t + ", " + t + ") -> " + t
                + "\n        \"stablehlo.return\"(%r) : (" + t + ") -> ()\n    }";
    }

    /**
     * Families of ops, each drawn with its own weight, so that a failure is attributable and a family can be fuzzed
     * alone: {@code -Dspmdfuzz.weight.<name>=N} (0 leaves it out; {@code base} is every op of the first version).
     */
    enum Family {
        BASE(21), GATHER(2), SCATTER(2), SORT(2), TOP_K(1), ARGMAX(1), CUMSUM(1), WHILE(1), CASE(1), CALL(1), MANUAL(2), RAGGED_DOT(1);

        final int weight;

        Family(int weight) { this.weight = weight; }

        String key() { return name().toLowerCase(java.util.Locale.ROOT); }

        static int[] weights() {
            int[] w = new int[values().length];
            for (Family f : values()) w[f.ordinal()] = Integer.getInteger("spmdfuzz.weight." + f.key(), f.weight);
            return w;
        }
    }

    void op() {
        int total = Arrays.stream(weights).sum(), x = rnd.nextInt(total);
        Family f = Family.BASE;
        for (Family c : Family.values()) {
            if (x < weights[c.ordinal()]) { f = c; break; }
            x -= weights[c.ordinal()];
        }
        Val a = pick();
        fellBack = false;
        switch (f) {
            case BASE -> baseOp(a);
            case GATHER -> families.gather(a);
            case SCATTER -> families.scatter(a);
            case SORT -> families.sort(a);
            case TOP_K -> families.topK(a);
            case ARGMAX -> families.argmax(a);
            case CUMSUM -> families.cumsum(a);
            case WHILE -> families.whileLoop(a);
            case CASE -> families.caseOp(a);
            case CALL -> families.call(a);
            case MANUAL -> families.manual(a);
            case RAGGED_DOT -> families.raggedDot(a);
        }
        // a family that fell back to a negate emitted none of its ops: naming it with a failure would mislead
        if (!fellBack) drawn.add(f);
    }

    /** Whether the family of the current {@link #op} fell back (set by {@link #fallback}). */
    private boolean fellBack;

    /** An op of a family that does not fit {@code a} (its rank or size): one that always does. */
    void fallback(Val a) {
        fellBack = true;
        add(emit("stablehlo.negate", List.of(a), "", "", a.shape, a.et));
    }

    /** Appends an op with several results ({@code %vN:k = ...}) and returns them ({@code %vN#i}). */
    List<Val> emitN(String name, List<Val> operands, String props, String region, List<long[]> shapes, List<String> ets) {
        String base = "%v" + next++;
        List<Val> out = new ArrayList<>();
        for (int i = 0; i < shapes.size(); i++) out.add(new Val(base + "#" + i, shapes.get(i), ets.get(i)));
        StringBuilder sb = new StringBuilder(base + ":" + shapes.size() + " = \"" + name + "\"(" + String.join(", ", operands.stream().map(Val::name).toList()) + ")");
        if (!props.isEmpty()) sb.append(" <{").append(props).append("}>");
        if (!region.isEmpty()) sb.append(" (").append(region).append(")");
        sb.append(" : (").append(String.join(", ", operands.stream().map(Val::type).toList())).append(") -> (")
                .append(String.join(", ", out.stream().map(Val::type).toList())).append(')');
        body.add(sb.toString());
        return out;
    }

    /** Appends a line written whole by a family (a pretty-form op) defining {@code v}. */
    void line(String text) { body.add(text); }

    Val newVal(long[] shape, String et) { return new Val("%v" + next++, shape, et); }

    void baseOp(Val a) {
        long[] s = a.shape;
        int r = s.length;
        switch (rnd.nextInt(21)) {
            case 0, 1 -> { // unary element-wise
                List<String> ops = new ArrayList<>(List.of("negate", "abs"));
                if (!exact && a.et.equals("f32")) ops.addAll(List.of("exponential", "tanh", "sine"));
                String op = ops.get(rnd.nextInt(ops.size()));
                // exponential of a tanh, in [1/e, e]: exponentials never compound into values of 1e29, whose rounding
                // differences after a partitioned sum exceed any per-element tolerance
                Val x = op.equals("exponential") ? emit("stablehlo.tanh", List.of(a), "", "", s, a.et) : a;
                add(emit("stablehlo." + op, List.of(x), "", "", s, a.et));
            }
            case 2, 3 -> { // binary element-wise
                String[] ops = {"add", "subtract", "multiply", "maximum", "minimum"};
                Val b = partner(s, a.et);
                add(emit("stablehlo." + ops[rnd.nextInt(ops.length)], List.of(a, b), "", "", s, a.et));
            }
            case 4 -> { // compare + select (exact mode only: a rounding difference would flip a comparison)
                if (!exact) { add(emit("stablehlo.maximum", List.of(a, partner(s, a.et)), "", "", s, a.et)); return; }
                Val b = partner(s, a.et);
                String[] dirs = {"GT", "LT", "EQ", "GE"};
                Val c = emit("stablehlo.compare", List.of(a, b), "comparison_direction = #stablehlo<comparison_direction " + dirs[rnd.nextInt(4)] + ">",
                        "", s, "i1");
                add(emit("stablehlo.select", List.of(c, b, a), "", "", s, a.et));
            }
            case 5 -> { // broadcast_in_dim: one new dimension anywhere
                if (r >= 3) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                int at = rnd.nextInt(r + 1);
                long[] out = new long[r + 1];
                long[] dims = new long[r];
                for (int i = 0, j = 0; j < r + 1; j++) {
                    if (j == at) out[j] = randomDim();
                    else { out[j] = s[i]; dims[i++] = j; }
                }
                if (elements(out) > MAX_ELEMENTS) out[at] = 1;
                // sometimes a size-1 dim broadcast to a larger one
                add(emit("stablehlo.broadcast_in_dim", List.of(a), "broadcast_dimensions = " + i64s(dims), "", out, a.et));
            }
            case 6 -> { // reshape: merge two adjacent dims or split one
                long[] out;
                if (r >= 2 && (r == 3 || rnd.nextBoolean())) {
                    int d = rnd.nextInt(r - 1);
                    out = new long[r - 1];
                    for (int i = 0, j = 0; i < r; i++) {
                        if (i == d) { out[j++] = s[i] * s[i + 1]; i++; } else out[j++] = s[i];
                    }
                } else if (r >= 1) {
                    int d = rnd.nextInt(r);
                    long f = s[d] % 2 == 0 && s[d] > 2 ? 2 : s[d] % 3 == 0 && s[d] > 3 ? 3 : 1;
                    if (rnd.nextBoolean() && f != 1) f = s[d] / f;
                    out = new long[r + 1];
                    for (int i = 0, j = 0; i < r; i++) {
                        if (i == d) { out[j++] = f; out[j++] = s[i] / f; } else out[j++] = s[i];
                    }
                } else {
                    out = new long[] {1};
                }
                add(emit("stablehlo.reshape", List.of(a), "", "", out, a.et));
            }
            case 7 -> { // transpose
                if (r < 2) { add(emit("stablehlo.abs", List.of(a), "", "", s, a.et)); return; }
                List<Integer> perm = new ArrayList<>();
                for (int i = 0; i < r; i++) perm.add(i);
                Collections.shuffle(perm, rnd);
                long[] p = new long[r], out = new long[r];
                for (int i = 0; i < r; i++) { p[i] = perm.get(i); out[i] = s[perm.get(i)]; }
                add(emit("stablehlo.transpose", List.of(a), "permutation = " + i64s(p), "", out, a.et));
            }
            case 8, 9 -> dot(a);
            case 10 -> { // reduce (sum or max) over one or two dims
                if (r < 1) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                List<Integer> ds = new ArrayList<>();
                for (int i = 0; i < r; i++) ds.add(i);
                Collections.shuffle(ds, rnd);
                int k = r >= 2 && rnd.nextBoolean() ? 2 : 1;
                List<Integer> red = ds.subList(0, k).stream().sorted().toList();
                long[] out = new long[r - k];
                for (int i = 0, j = 0; i < r; i++) if (!red.contains(i)) out[j++] = s[i];
                boolean max = rnd.nextBoolean();
                String init = max ? (a.et.equals("f32") ? "0xFF800000" : "-2147483648") : (a.et.equals("f32") ? "0.0" : "0");
                Val iv = constantOf(a, init);
                long[] dims = red.stream().mapToLong(Integer::longValue).toArray();
                add(emit("stablehlo.reduce", List.of(a, iv), "dimensions = " + i64s(dims), reducer(max ? "maximum" : "add", a.et), out, a.et));
            }
            case 11 -> { // concatenate with another value of the same type but that dimension
                if (r < 1) { add(emit("stablehlo.abs", List.of(a), "", "", s, a.et)); return; }
                int d = rnd.nextInt(r);
                long[] bs = s.clone();
                bs[d] = rnd.nextBoolean() ? s[d] : randomDim();
                Val b = partner(bs, a.et);
                long[] out = s.clone();
                out[d] = s[d] + bs[d];
                if (elements(out) > MAX_ELEMENTS * 2) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                boolean first = rnd.nextBoolean();
                add(emit("stablehlo.concatenate", first ? List.of(a, b) : List.of(b, a), "dimension = " + d + " : i64", "", out, a.et));
            }
            case 12 -> { // slice with random bounds and strides
                long[] lo = new long[r], hi = new long[r], st = new long[r], out = new long[r];
                for (int i = 0; i < r; i++) {
                    lo[i] = rnd.nextInt((int) s[i]);
                    hi[i] = lo[i] + 1 + rnd.nextInt((int) (s[i] - lo[i]));
                    if (rnd.nextBoolean()) { lo[i] = 0; hi[i] = s[i]; }
                    st[i] = rnd.nextInt(4) == 0 ? 2 : 1;
                    out[i] = (hi[i] - lo[i] + st[i] - 1) / st[i];
                }
                add(emit("stablehlo.slice", List.of(a), "start_indices = " + i64s(lo) + ", limit_indices = " + i64s(hi) + ", strides = " + i64s(st),
                        "", out, a.et));
            }
            case 13 -> { // pad: low/high in [-1, 2], interior 0 or 1
                long[] lo = new long[r], hi = new long[r], in = new long[r], out = new long[r];
                for (int i = 0; i < r; i++) {
                    in[i] = rnd.nextInt(4) == 0 ? 1 : 0;
                    lo[i] = rnd.nextInt(4) - 1;
                    hi[i] = rnd.nextInt(4) - 1;
                    long base = s[i] + (s[i] - 1) * in[i];
                    if (base + lo[i] + hi[i] < 1) { lo[i] = 0; hi[i] = 0; }
                    out[i] = base + lo[i] + hi[i];
                }
                if (elements(out) > MAX_ELEMENTS * 2) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                Val pv = constantOf(a, a.et.equals("f32") ? "2.0" : "2");
                add(emit("stablehlo.pad", List.of(a, pv), "edge_padding_low = " + i64s(lo) + ", edge_padding_high = " + i64s(hi)
                        + ", interior_padding = " + i64s(in), "", out, a.et));
            }
            case 14 -> { // iota of a's shape, combined with a
                if (r < 1) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                Val io = emit("stablehlo.iota", List.of(), "iota_dimension = " + rnd.nextInt(r) + " : i64", "", s, a.et);
                add(emit(rnd.nextBoolean() ? "stablehlo.add" : "stablehlo.multiply", List.of(a, io), "", "", s, a.et));
            }
            case 15 -> { // convert between f32 and i32 (exact mode), or a dense constant combined with a
                if (exact) {
                    add(emit("stablehlo.convert", List.of(a), "", "", s, a.et.equals("f32") ? "i32" : "f32"));
                } else {
                    StringBuilder lit = new StringBuilder("[");
                    String dot = a.et.equals("f32") ? ".0" : "";
                    for (long i = 0, n = a.elements(); i < n; i++) lit.append(i == 0 ? "" : ", ").append(rnd.nextInt(5) - 2).append(dot);
                    String literal = r == 0 ? (a.et.equals("f32") ? "1.5" : "1") : lit.append(']').toString();
                    Val c = r == 0 ? constantOf(a, literal) : emit("stablehlo.constant", List.of(), "value = dense<" + nested(literal, s) + "> : "
                            + a.type(), "", s, a.et);
                    add(emit("stablehlo.add", List.of(a, c), "", "", s, a.et));
                }
            }
            case 16 -> { // reduce_window (sum or max) of 1 to 3 elements along one dimension, stride 1 or 2, some padded
                if (r < 1) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                int d = rnd.nextInt(r);
                long[] win = new long[r], st = new long[r], one = new long[r], out = s.clone();
                Arrays.fill(win, 1);
                Arrays.fill(st, 1);
                Arrays.fill(one, 1);
                long lo = rnd.nextInt(3) == 0 ? 1 : 0, hi = rnd.nextInt(3) == 0 ? 1 : 0;
                win[d] = 1 + rnd.nextInt((int) Math.min(3, s[d] + lo + hi));
                st[d] = rnd.nextInt(3) == 0 ? 2 : 1;
                out[d] = (s[d] + lo + hi - win[d]) / st[d] + 1;
                StringBuilder pad = new StringBuilder("dense<[");
                for (int i = 0; i < r; i++) pad.append(i == 0 ? "" : ", ").append(i == d ? "[" + lo + ", " + hi + "]" : "[0, 0]");
                pad.append("]> : tensor<").append(r).append("x2xi64>");
                boolean max = rnd.nextBoolean();
                Val iv = constantOf(a, max ? (a.et.equals("f32") ? "0xFF800000" : "-2147483648") : (a.et.equals("f32") ? "0.0" : "0"));
                add(emit("stablehlo.reduce_window", List.of(a, iv), "window_dimensions = " + i64s(win) + ", window_strides = " + i64s(st)
                        + ", padding = " + pad + ", base_dilations = " + i64s(one) + ", window_dilations = " + i64s(one),
                        reducer(max ? "maximum" : "add", a.et), out, a.et));
            }
            case 17 -> { // reverse some dimensions
                if (r < 1) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
                List<Long> ds = new ArrayList<>();
                for (long d = 0; d < r; d++) if (rnd.nextBoolean()) ds.add(d);
                if (ds.isEmpty()) ds.add((long) rnd.nextInt(r));
                add(emit("stablehlo.reverse", List.of(a), "dimensions = " + i64s(ds.stream().mapToLong(Long::longValue).toArray()), "", s, a.et));
            }
            case 18 -> { // clamp between a scalar and a tensor of a's shape
                Val hi = partner(s, a.et);
                Val lo = constantOf(a, a.et.equals("f32") ? "-1.0" : "-1");
                add(emit("stablehlo.clamp", List.of(lo, a, hi), "", "", s, a.et));
            }
            case 19 -> { // dynamic_update_slice of an update of a's type into a, at constant (maybe clamped) indices
                if (r < 1) { add(emit("stablehlo.abs", List.of(a), "", "", s, a.et)); return; }
                long[] size = new long[r];
                for (int i = 0; i < r; i++) size[i] = 1 + rnd.nextInt((int) s[i]);
                Val u = partner(size, a.et);
                List<Val> ops = new ArrayList<>(List.of(a, u));
                for (int i = 0; i < r; i++) {
                    ops.add(emit("stablehlo.constant", List.of(), "value = dense<" + (rnd.nextInt((int) s[i] + 2) - 1) + "> : tensor<i32>", "",
                            new long[0], "i32"));
                }
                add(emit("stablehlo.dynamic_update_slice", ops, "", "", s, a.et));
            }
            default -> { // dynamic_slice at constant (maybe out-of-range: clamped) indices
                if (r < 1) { add(emit("stablehlo.abs", List.of(a), "", "", s, a.et)); return; }
                long[] size = new long[r];
                List<Val> ops = new ArrayList<>(List.of(a));
                for (int i = 0; i < r; i++) {
                    size[i] = 1 + rnd.nextInt((int) s[i]);
                    ops.add(emit("stablehlo.constant", List.of(), "value = dense<" + (rnd.nextInt((int) s[i] + 2) - 1) + "> : tensor<i32>", "",
                            new long[0], "i32"));
                }
                add(emit("stablehlo.dynamic_slice", ops, "slice_sizes = " + i64s(size), "", size, a.et));
            }
        }
    }

    /** A flat "[x, y, ...]" literal nested to {@code shape}. */
    static String nested(String flat, long[] shape) {
        String[] xs = flat.substring(1, flat.length() - 1).split(", ");
        int[] pos = {0};
        return nest(xs, shape, 0, pos);
    }

    private static String nest(String[] xs, long[] shape, int d, int[] pos) {
        if (d == shape.length) return xs[pos[0]++];
        StringBuilder sb = new StringBuilder("[");
        for (long i = 0; i < shape[d]; i++) sb.append(i == 0 ? "" : ", ").append(nest(xs, shape, d + 1, pos));
        return sb.append(']').toString();
    }

    /**
     * dot_general of a (rank >= 1) with a value or new argument: one contracting dim, and with rank >= 2 sometimes a
     * batch dim; the rhs has [batch, contracting, free] in a random order.
     */
    private void dot(Val a) {
        long[] s = a.shape;
        int r = s.length;
        if (r < 1) { add(emit("stablehlo.negate", List.of(a), "", "", s, a.et)); return; }
        int c = rnd.nextInt(r);
        int b = -1;
        if (r >= 2 && rnd.nextBoolean()) do b = rnd.nextInt(r); while (b == c);
        long free = rnd.nextInt(4) == 0 ? 0 : randomDim();
        // rhs dims: batch (if any), contracting, free (if any), shuffled
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
        Val rhs = partner(rs, a.et);
        List<Long> out = new ArrayList<>();
        if (b >= 0) out.add(s[b]);
        for (int i = 0; i < r; i++) if (i != b && i != c) out.add(s[i]);
        if (free > 0) out.add(free);
        long[] os = out.stream().mapToLong(Long::longValue).toArray();
        if (elements(os) > MAX_ELEMENTS * 2) { add(emit("stablehlo.abs", List.of(a), "", "", s, a.et)); return; }
        String dn = "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = " + list(b >= 0 ? List.of((long) b) : List.of())
                + ", rhs_batching_dimensions = " + list(b >= 0 ? List.of(rb) : List.of()) + ", lhs_contracting_dimensions = " + list(List.of((long) c))
                + ", rhs_contracting_dimensions = " + list(List.of(rc)) + ">";
        boolean swap = rnd.nextInt(4) == 0 && b < 0;
        if (swap) { // rhs first: out = rhs free dims, then a's
            List<Long> o2 = new ArrayList<>();
            if (free > 0) o2.add(free);
            for (int i = 0; i < r; i++) if (i != c) o2.add(s[i]);
            String dn2 = "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = "
                    + list(List.of(rc)) + ", rhs_contracting_dimensions = " + list(List.of((long) c)) + ">";
            add(emit("stablehlo.dot_general", List.of(rhs, a), dn2, "", o2.stream().mapToLong(Long::longValue).toArray(), a.et));
            return;
        }
        add(emit("stablehlo.dot_general", List.of(a, rhs), dn, "", os, a.et));
    }
}
