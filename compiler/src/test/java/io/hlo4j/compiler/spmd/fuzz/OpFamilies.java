package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Val;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The op families of {@link ProgramGen} beyond its first version, what a MoE layer is made of: row gathers (a token
 * dispatch) and scatter-adds (the combine, into a value or into zeros) along any dimension with constant or argument
 * indices (some out of range: clamped, skipped); sort (one operand, or values with an iota: an argsort, sometimes sliced
 * to its first k, the DSL router's top-k) along any dimension; {@code chlo.top_k}; argmax/argmin as the DSL writes it (a
 * variadic reduce of values and an iota); cumulative sums and maxima (a reduce_window as wide as its dimension);
 * {@code while} loops of 1 to 3 trips carrying a value and capturing another; {@code case} with a constant or argument
 * index (out of range: the last branch); {@code func.call} of a private function (sometimes called twice);
 * {@code sdy.manual_computation} bodies with an all_reduce, all_gather, all_to_all or reduce_scatter over the manual
 * axes; {@code chlo.ragged_dot} with constant group sizes. Names inside regions and callees are {@code %t<n>_...}, never
 * a {@code %v} name, so the {@link Minimiser} sees only what the op captures.
 */
final class OpFamilies {
    private final ProgramGen g;
    private final Random rnd;
    /** Callees already written, by their type ("T,T->T"): a second call of the same type sometimes reuses one. */
    private final Map<String, String> callees = new HashMap<>();
    private int channel = 1;

    OpFamilies(ProgramGen g) {
        this.g = g;
        this.rnd = g.rnd;
    }

    private static String ints(List<Integer> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) sb.append(i == 0 ? "" : ", ").append(xs.get(i));
        return sb.append(']').toString();
    }

    private static List<Integer> allBut(int rank, int d) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) if (i != d) out.add(i);
        return out;
    }

    private static String cmp(String dir) { return "comparison_direction = #stablehlo<comparison_direction " + dir + ">"; }

    private static String scalar(String et) { return "tensor<" + et + ">"; }

    private static String lowest(String et) { return et.equals("f32") ? "0xFF800000" : "-2147483648"; }

    /**
     * Row indices {@code [k, 1]} into a dimension of size n: a constant (mostly in range, sometimes -1 or n), or an i32
     * argument (values in [-3, 3]), split or not like any argument.
     */
    private Val indices(long k, long n) {
        long[] shape = {k, 1};
        if (rnd.nextInt(3) == 0) return g.partner(shape, "i32");
        StringBuilder lit = new StringBuilder("[");
        for (long i = 0; i < k; i++) {
            long v = rnd.nextInt(8) == 0 ? (rnd.nextBoolean() ? -1 : n) : rnd.nextInt((int) n);
            lit.append(i == 0 ? "[" : ", [").append(v).append(']');
        }
        return g.emit("stablehlo.constant", List.of(), "value = dense<" + lit + "]> : tensor<" + k + "x1xi32>", "", shape, "i32");
    }

    /** {@code jnp.take(a, idx, axis=d)}: a gather of k slices along d. */
    void gather(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) { g.fallback(a); return; }
        int d = rnd.nextInt(r);
        long k = g.randomDim();
        long[] out = s.clone(), sizes = s.clone();
        out[d] = k;
        sizes[d] = 1;
        if (ProgramGen.elements(out) > ProgramGen.MAX_ELEMENTS * 2) { g.fallback(a); return; }
        Val idx = indices(k, s[d]);
        g.add(g.emit("stablehlo.gather", List.of(a, idx), "dimension_numbers = #stablehlo.gather<offset_dims = " + ints(allBut(r, d))
                + ", collapsed_slice_dims = [" + d + "], start_index_map = [" + d + "], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = "
                + ProgramGen.i64s(sizes), "", out, a.et()));
    }

    /**
     * A scatter of k slices along d with add (or max): into a (updates another value), or, as a MoE combine does, of a
     * as the updates into zeros of another size along d.
     */
    void scatter(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) { g.fallback(a); return; }
        int d = rnd.nextInt(r);
        Val table, upd;
        if (rnd.nextInt(3) == 0) { // a's slices combined into zeros
            long[] ts = s.clone();
            ts[d] = g.randomDim();
            if (ProgramGen.elements(ts) > ProgramGen.MAX_ELEMENTS) { g.fallback(a); return; }
            table = g.emit("stablehlo.constant", List.of(), "value = dense<" + (a.et().equals("f32") ? "0.0" : "0") + "> : " + Val.type(ts, a.et()), "",
                    ts, a.et());
            upd = a;
        } else {
            long[] us = s.clone();
            us[d] = g.randomDim();
            if (ProgramGen.elements(us) > ProgramGen.MAX_ELEMENTS) { g.fallback(a); return; }
            table = a;
            upd = g.partner(us, a.et());
        }
        Val idx = indices(upd.shape()[d], table.shape()[d]);
        String fn = rnd.nextInt(4) == 0 ? "maximum" : "add";
        g.add(g.emit("stablehlo.scatter", List.of(table, idx, upd), "indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<"
                + "update_window_dims = " + ints(allBut(r, d)) + ", inserted_window_dims = [" + d + "], scatter_dims_to_operand_dims = [" + d
                + "], index_vector_dim = 1>, unique_indices = false", ProgramGen.reducer(fn, a.et()), table.shape(), a.et()));
    }

    /** A sort along d: of a alone, or of a with an iota (an argsort, stable), sometimes sliced to its first k (top-k). */
    void sort(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) { g.fallback(a); return; }
        int d = rnd.nextInt(r);
        String dir = rnd.nextBoolean() ? "GT" : "LT", t = scalar(a.et()), n = "%t" + g.fresh() + "_";
        // the DSL's router sorts floats in total order (argsortTotalOrder); plain FLOAT comparisons too
        String order = a.et().equals("f32") && rnd.nextBoolean() ? "compare_type = #stablehlo<comparison_type TOTALORDER>, " : "";
        if (rnd.nextInt(3) == 0) {
            String region = "{\n      ^bb0(" + n + "p: " + t + ", " + n + "q: " + t + "):\n        " + n + "c = \"stablehlo.compare\"(" + n + "p, " + n + "q) <{"
                    + order + cmp(dir) + "}> : (" + t + ", " + t + ") -> tensor<i1>\n        \"stablehlo.return\"(" + n + "c) : (tensor<i1>) -> ()\n    }";
            g.add(g.emit("stablehlo.sort", List.of(a), "dimension = " + d + " : i64, is_stable = " + rnd.nextBoolean(), region, s, a.et()));
            return;
        }
        Val io = g.emit("stablehlo.iota", List.of(), "iota_dimension = " + d + " : i64", "", s, "i32");
        String i = scalar("i32");
        String region = "{\n      ^bb0(" + n + "p: " + t + ", " + n + "q: " + t + ", " + n + "i: " + i + ", " + n + "j: " + i + "):\n        " + n
                + "c = \"stablehlo.compare\"(" + n + "p, " + n + "q) <{" + order + cmp(dir) + "}> : (" + t + ", " + t + ") -> tensor<i1>\n        \"stablehlo.return\"("
                + n + "c) : (tensor<i1>) -> ()\n    }";
        List<Val> sorted = g.emitN("stablehlo.sort", List.of(a, io), "dimension = " + d + " : i64, is_stable = true", region, List.of(s, s),
                List.of(a.et(), "i32"));
        if (rnd.nextBoolean()) { // the router's form: the first k of each row
            long k = 1 + rnd.nextInt((int) s[d]);
            long[] lo = new long[r], hi = s.clone(), st = new long[r], out = s.clone();
            java.util.Arrays.fill(st, 1);
            hi[d] = k;
            out[d] = k;
            String props = "start_indices = " + ProgramGen.i64s(lo) + ", limit_indices = " + ProgramGen.i64s(hi) + ", strides = " + ProgramGen.i64s(st);
            g.add(g.emit("stablehlo.slice", List.of(sorted.get(0)), props, "", out, a.et()));
            g.add(g.emit("stablehlo.slice", List.of(sorted.get(1)), props, "", out, "i32"));
        } else {
            g.add(sorted.get(0));
            g.add(sorted.get(1));
        }
    }

    /** {@code chlo.top_k} along the last dimension: values and i32 indices. */
    void topK(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) { g.fallback(a); return; }
        long k = 1 + rnd.nextInt((int) s[r - 1]);
        long[] out = s.clone();
        out[r - 1] = k;
        List<Val> vs = g.emitN("chlo.top_k", List.of(a), "k = " + k + " : i64", "", List.of(out, out), List.of(a.et(), "i32"));
        g.add(vs.get(0));
        g.add(vs.get(1));
    }

    /** argmax (or argmin) along d as the DSL writes it: a reduce of (a, iota) from (lowest, 0), ties to the lower index. */
    void argmax(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) { g.fallback(a); return; }
        int d = rnd.nextInt(r);
        boolean max = rnd.nextBoolean();
        String dir = max ? "GT" : "LT", t = scalar(a.et()), i = scalar("i32"), n = "%t" + g.fresh() + "_";
        Val io = g.emit("stablehlo.iota", List.of(), "iota_dimension = " + d + " : i64", "", s, "i32");
        Val iv = g.constantOf(a, max ? lowest(a.et()) : (a.et().equals("f32") ? "0x7F800000" : "2147483647"));
        Val ii = g.emit("stablehlo.constant", List.of(), "value = dense<0> : tensor<i32>", "", new long[0], "i32");
        String b = "tensor<i1>";
        String region = "{\n      ^bb0(" + n + "av: " + t + ", " + n + "ai: " + i + ", " + n + "bv: " + t + ", " + n + "bi: " + i + "):\n"
                + "        " + n + "g = \"stablehlo.compare\"(" + n + "bv, " + n + "av) <{" + cmp(dir) + "}> : (" + t + ", " + t + ") -> " + b + "\n"
                + "        " + n + "e = \"stablehlo.compare\"(" + n + "bv, " + n + "av) <{" + cmp("EQ") + "}> : (" + t + ", " + t + ") -> " + b + "\n"
                + "        " + n + "l = \"stablehlo.compare\"(" + n + "bi, " + n + "ai) <{" + cmp("LT") + "}> : (" + i + ", " + i + ") -> " + b + "\n"
                + "        " + n + "x = \"stablehlo.and\"(" + n + "e, " + n + "l) : (" + b + ", " + b + ") -> " + b + "\n"
                + "        " + n + "o = \"stablehlo.or\"(" + n + "g, " + n + "x) : (" + b + ", " + b + ") -> " + b + "\n"
                + "        " + n + "v = \"stablehlo.select\"(" + n + "o, " + n + "bv, " + n + "av) : (" + b + ", " + t + ", " + t + ") -> " + t + "\n"
                + "        " + n + "w = \"stablehlo.select\"(" + n + "o, " + n + "bi, " + n + "ai) : (" + b + ", " + i + ", " + i + ") -> " + i + "\n"
                + "        \"stablehlo.return\"(" + n + "v, " + n + "w) : (" + t + ", " + i + ") -> ()\n    }";
        long[] out = new long[r - 1];
        for (int k = 0, j = 0; k < r; k++) if (k != d) out[j++] = s[k];
        List<Val> vs = g.emitN("stablehlo.reduce", List.of(a, io, iv, ii), "dimensions = array<i64: " + d + ">", region, List.of(out, out),
                List.of(a.et(), "i32"));
        if (rnd.nextBoolean()) g.add(vs.get(0));
        g.add(vs.get(1));
    }

    /** A cumulative sum (or max) along d, forward or reverse: a reduce_window as wide as the dimension, padded on one side. */
    void cumsum(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) { g.fallback(a); return; }
        int d = rnd.nextInt(r);
        long[] win = new long[r], one = new long[r];
        java.util.Arrays.fill(win, 1);
        java.util.Arrays.fill(one, 1);
        win[d] = s[d];
        boolean reverse = rnd.nextInt(3) == 0;
        StringBuilder pad = new StringBuilder("dense<[");
        for (int i = 0; i < r; i++) {
            pad.append(i == 0 ? "" : ", ").append(i != d ? "[0, 0]" : reverse ? "[0, " + (s[d] - 1) + "]" : "[" + (s[d] - 1) + ", 0]");
        }
        pad.append("]> : tensor<").append(r).append("x2xi64>");
        boolean max = rnd.nextInt(3) == 0;
        Val iv = g.constantOf(a, max ? lowest(a.et()) : (a.et().equals("f32") ? "0.0" : "0"));
        g.add(g.emit("stablehlo.reduce_window", List.of(a, iv), "window_dimensions = " + ProgramGen.i64s(win) + ", window_strides = "
                + ProgramGen.i64s(one) + ", padding = " + pad + ", base_dilations = " + ProgramGen.i64s(one) + ", window_dilations = "
                + ProgramGen.i64s(one), ProgramGen.reducer(max ? "maximum" : "add", a.et()), s, a.et()));
    }

    /**
     * One step of a loop or branch body on x (a region's value of a's type): with a captured value w of that type (add,
     * maximum, subtract), or a matmul by a captured square matrix along the last dimension. Returns the lines and the
     * name of the result; {@code n} prefixes the names.
     */
    private String[] step(Val a, String x, String n) {
        long[] s = a.shape();
        String t = a.type();
        int kind = rnd.nextInt(4);
        if (kind == 3 && s.length >= 1) {
            long c = s[s.length - 1];
            Val w = g.partner(new long[] {c, c}, a.et());
            String dn = "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = ["
                    + (s.length - 1) + "], rhs_contracting_dimensions = [0]>";
            return new String[] {n + "s = \"stablehlo.dot_general\"(" + x + ", " + w.name() + ") <{" + dn + "}> : (" + t + ", " + w.type() + ") -> " + t, n + "s"};
        }
        String[] ops = {"add", "maximum", "subtract", "add"};
        Val w = g.partner(s, a.et());
        return new String[] {n + "s = \"stablehlo." + ops[kind] + "\"(" + x + ", " + w.name() + ") : (" + t + ", " + t + ") -> " + t, n + "s"};
    }

    /** A while loop of 1 to 3 trips carrying (counter, a), its body one {@link #step} on the carried value. */
    void whileLoop(Val a) {
        String t = a.type(), i = scalar("i32"), n = "%t" + g.fresh() + "_";
        int trips = 1 + rnd.nextInt(3);
        Val c0 = g.emit("stablehlo.constant", List.of(), "value = dense<0> : tensor<i32>", "", new long[0], "i32");
        String[] st = step(a, n + "y", n);
        String region = "{\n      ^bb0(" + n + "i: " + i + ", " + n + "x: " + t + "):\n"
                + "        " + n + "n = \"stablehlo.constant\"() <{value = dense<" + trips + "> : tensor<i32>}> : () -> " + i + "\n"
                + "        " + n + "p = \"stablehlo.compare\"(" + n + "i, " + n + "n) <{" + cmp("LT") + "}> : (" + i + ", " + i + ") -> tensor<i1>\n"
                + "        \"stablehlo.return\"(" + n + "p) : (tensor<i1>) -> ()\n    }, {\n"
                + "      ^bb0(" + n + "j: " + i + ", " + n + "y: " + t + "):\n"
                + "        " + n + "o = \"stablehlo.constant\"() <{value = dense<1> : tensor<i32>}> : () -> " + i + "\n"
                + "        " + n + "k = \"stablehlo.add\"(" + n + "j, " + n + "o) : (" + i + ", " + i + ") -> " + i + "\n"
                + "        " + st[0] + "\n"
                + "        \"stablehlo.return\"(" + n + "k, " + st[1] + ") : (" + i + ", " + t + ") -> ()\n    }";
        List<Val> vs = g.emitN("stablehlo.while", List.of(c0, a), "", region, List.of(new long[0], a.shape()), List.of("i32", a.et()));
        g.add(vs.get(1));
    }

    /** A case of 2 or 3 branches on a's type; the index a constant (maybe out of range) or an i32 scalar argument. */
    void caseOp(Val a) {
        String t = a.type(), n = "%t" + g.fresh() + "_";
        Val idx = rnd.nextBoolean() ? g.partner(new long[0], "i32")
                : g.emit("stablehlo.constant", List.of(), "value = dense<" + (rnd.nextInt(5) - 1) + "> : tensor<i32>", "", new long[0], "i32");
        int branches = 2 + rnd.nextInt(2);
        StringBuilder region = new StringBuilder();
        for (int b = 0; b < branches; b++) {
            String[] st = b == 0 ? new String[] {n + "s = \"stablehlo.negate\"(" + a.name() + ") : (" + t + ") -> " + t, n + "s"} : step(a, a.name(), n);
            String line = st[0].replace(n + "s", n + "b" + b), res = n + "b" + b;
            region.append(b == 0 ? "{\n" : ", {\n").append("        ").append(line).append("\n        \"stablehlo.return\"(").append(res).append(") : (")
                    .append(t).append(") -> ()\n    }");
        }
        g.add(g.emit("stablehlo.case", List.of(idx), "", region.toString(), a.shape(), a.et()));
    }

    /** A call of a private function of (a's type, a's type) -> a's type; one of that type already written is sometimes called again. */
    void call(Val a) {
        String t = a.type(), key = t + "," + t + "->" + t;
        Val w = g.partner(a.shape(), a.et());
        String callee = callees.get(key);
        if (callee == null || rnd.nextBoolean()) {
            int id = g.fresh();
            String n = "%t" + id + "_";
            callee = "@f" + id;
            // a callee sees only its arguments: x * y, then with x again
            String op = new String[] {"add", "maximum", "subtract"}[rnd.nextInt(3)];
            g.funcs.add("  func.func private " + callee + "(" + n + "x: " + t + ", " + n + "y: " + t + ") -> " + t + " {\n"
                    + "    " + n + "m = \"stablehlo.multiply\"(" + n + "x, " + n + "y) : (" + t + ", " + t + ") -> " + t + "\n"
                    + "    " + n + "s = \"stablehlo." + op + "\"(" + n + "m, " + n + "x) : (" + t + ", " + t + ") -> " + t + "\n"
                    + "    \"func.return\"(" + n + "s) : (" + t + ") -> ()\n  }\n");
            callees.put(key, callee);
        }
        g.add(g.emit("func.call", List.of(a, w), "callee = " + callee, "", a.shape(), a.et()));
    }

    /** The replica groups of a collective over {@code axes} (mesh order) as partition ids: one group per combination of the other axes. */
    private String groups(List<Integer> axes) {
        ShardingGen sh = g.sh;
        int n = sh.axes.size();
        long total = sh.devices(), inGroup = 1;
        for (int ax : axes) inGroup *= sh.sizes.get(ax);
        Map<String, List<Long>> byRest = new java.util.LinkedHashMap<>();
        for (long pos = 0; pos < total; pos++) {
            long rem = pos;
            long[] c = new long[n];
            for (int ax = n - 1; ax >= 0; ax--) { c[ax] = rem % sh.sizes.get(ax); rem /= sh.sizes.get(ax); }
            StringBuilder key = new StringBuilder();
            for (int ax = 0; ax < n; ax++) if (!axes.contains(ax)) key.append(c[ax]).append(',');
            long id = sh.deviceIds == null ? pos : sh.deviceIds.get((int) pos);
            byRest.computeIfAbsent(key.toString(), k -> new ArrayList<>()).add(id); // row-major over the group's axes
        }
        StringBuilder sb = new StringBuilder("dense<[");
        int gi = 0;
        for (List<Long> grp : byRest.values()) {
            sb.append(gi++ == 0 ? "[" : ", [");
            for (int i = 0; i < grp.size(); i++) sb.append(i == 0 ? "" : ", ").append(grp.get(i));
            sb.append(']');
        }
        return sb.append("]> : tensor<").append(byRest.size()).append('x').append(inGroup).append("xi64>").toString();
    }

    private String channel() { return "channel_handle = #stablehlo.channel_handle<handle = " + channel++ + ", type = 1>"; }

    /**
     * An {@code sdy.manual_computation} manual on a non-empty set of the mesh's axes (the others free), a split on
     * dimension d over them (mesh order), the other dimensions open; its body maybe negates its block, then runs one
     * collective over the manual axes: an all_reduce (result replicated over them, or still split), an all_gather along
     * d (the whole a back), an all_to_all from d to another dimension, or a reduce_scatter along another dimension.
     */
    void manual(Val a) {
        long[] s = a.shape();
        int r = s.length;
        ShardingGen sh = g.sh;
        List<Integer> cand = new ArrayList<>();
        for (int ax = 0; ax < sh.axes.size(); ax++) if (sh.sizes.get(ax) > 1) cand.add(ax);
        if (r < 1 || cand.isEmpty()) { g.fallback(a); return; }
        List<Integer> manual = new ArrayList<>();
        for (int ax : cand) if (rnd.nextBoolean()) manual.add(ax);
        if (manual.isEmpty()) manual.add(cand.get(rnd.nextInt(cand.size())));
        long m = 1;
        for (int ax : manual) m *= sh.sizes.get(ax);
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < r; d++) if (s[d] % m == 0) dims.add(d);
        if (dims.isEmpty()) { g.fallback(a); return; }
        int d = dims.get(rnd.nextInt(dims.size()));
        StringBuilder axesText = new StringBuilder(), manualSet = new StringBuilder("{");
        for (int i = 0; i < manual.size(); i++) {
            String q = "\"" + sh.axes.get(manual.get(i)) + "\"";
            axesText.append(i == 0 ? "" : ", ").append(q);
            manualSet.append(i == 0 ? "" : ", ").append(q);
        }
        manualSet.append('}');
        long[] local = s.clone();
        local[d] = s[d] / m;
        String n = "%t" + g.fresh() + "_", lt = Val.type(local, a.et()), t = scalar(a.et());
        String x = n + "x", pre = "";
        if (rnd.nextBoolean()) {
            pre = "        " + n + "a = \"stablehlo.negate\"(" + x + ") : (" + lt + ") -> " + lt + "\n";
            x = n + "a";
        }
        List<Integer> others = new ArrayList<>();
        for (int k = 0; k < r; k++) if (k != d && local[k] % m == 0) others.add(k);
        int kind = rnd.nextInt(4);
        if (kind >= 2 && others.isEmpty()) kind = rnd.nextInt(2);
        int e = others.isEmpty() ? -1 : others.get(rnd.nextInt(others.size()));
        String grp = groups(manual), op;
        long[] res = local.clone();
        int outDim; // the dimension out_shardings splits over the manual axes, -1: none (the value agrees on every manual coordinate)
        switch (kind) {
            case 0 -> {
                op = "\"stablehlo.all_reduce\"(" + x + ") <{" + channel() + ", replica_groups = " + grp + ", use_global_device_ids}> (" + reducer(t, n) + ")";
                outDim = rnd.nextBoolean() ? -1 : d;
            }
            case 1 -> {
                res[d] = s[d];
                op = "\"stablehlo.all_gather\"(" + x + ") <{all_gather_dim = " + d + " : i64, " + channel() + ", replica_groups = " + grp
                        + ", use_global_device_ids}>";
                outDim = -1;
            }
            case 2 -> {
                res[d] = s[d];
                res[e] = local[e] / m;
                op = "\"stablehlo.all_to_all\"(" + x + ") <{" + channel() + ", concat_dimension = " + d + " : i64, replica_groups = " + grp
                        + ", split_count = " + m + " : i64, split_dimension = " + e + " : i64}>";
                outDim = e;
            }
            default -> {
                res[e] = local[e] / m;
                op = "\"stablehlo.reduce_scatter\"(" + x + ") <{" + channel() + ", replica_groups = " + grp + ", scatter_dimension = " + e
                        + " : i64, use_global_device_ids}> (" + reducer(t, n) + ")";
                outDim = e;
            }
        }
        String rt = Val.type(res, a.et());
        long[] global = res.clone();
        if (outDim >= 0) global[outDim] = res[outDim] * m;
        if (ProgramGen.elements(global) > ProgramGen.MAX_ELEMENTS * 2) { g.fallback(a); return; }
        Val v = g.newVal(global, a.et());
        String manualText = v.name() + " = sdy.manual_computation(" + a.name() + ") in_shardings=[" + spec(r, d, axesText.toString()) + "] out_shardings=["
                + spec(r, outDim, axesText.toString()) + "] manual_axes=" + manualSet + " (" + n + "x: " + lt + ") {\n" + pre
                + "        " + n + "r = " + op + " : (" + lt + ") -> " + rt + "\n"
                + "        sdy.return " + n + "r : " + rt + "\n    } : (" + a.type() + ") -> " + v.type();
        g.line(manualText + ProgramGen.Program.GLOBAL + globalForm(a, v, pre.isEmpty() ? a.name() : n + "gx", !pre.isEmpty(), kind, d, outDim, m, n));
        g.add(v);
    }

    /**
     * What the manual computation computes, written on the global value for the unpartitioned run (the oracle): the
     * all_gather and all_to_all give a back (negated when the body negates); the all_reduce and reduce_scatter give the sum
     * of a's m blocks along d (a reshape that splits d, a reduce from -0.0, the identity of an f32 sum: from 0.0, a
     * sum of negative zeros would be 0.0 where the all_reduce gives -0.0), the all_reduce split along d again its tiles.
     */
    private static String globalForm(Val a, Val v, String x, boolean negate, int kind, int d, int outDim, long m, String n) {
        long[] s = a.shape();
        String t = a.type();
        StringBuilder sb = new StringBuilder();
        if (negate) sb.append(n).append("gx = \"stablehlo.negate\"(").append(a.name()).append(") : (").append(t).append(") -> ").append(t).append('\n');
        if (kind == 1 || kind == 2) {
            return sb.append(v.name()).append(" = \"stablehlo.reshape\"(").append(x).append(") : (").append(t).append(") -> ").append(v.type()).toString();
        }
        long[] split = new long[s.length + 1], sum = s.clone();
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == d) { split[j++] = m; split[j++] = s[i] / m; } else split[j++] = s[i];
        }
        sum[d] = s[d] / m;
        String st = Val.type(split, a.et()), sumT = Val.type(sum, a.et()), sc = scalar(a.et());
        sb.append(n).append("g1 = \"stablehlo.reshape\"(").append(x).append(") : (").append(t).append(") -> ").append(st).append('\n');
        sb.append(n).append("g0 = \"stablehlo.constant\"() <{value = dense<").append(a.et().equals("f32") ? "-0.0" : "0").append("> : ").append(sc)
                .append("}> : () -> ").append(sc).append('\n');
        String sumName = kind == 0 && outDim >= 0 ? n + "g2" : v.name();
        sb.append(sumName).append(" = \"stablehlo.reduce\"(").append(n).append("g1, ").append(n).append("g0) <{dimensions = array<i64: ").append(d)
                .append(">}> ").append("(").append(reducer(sc, n + "s")).append(") : (").append(st).append(", ").append(sc).append(") -> ").append(sumT);
        if (sumName.equals(v.name())) return sb.toString();
        long[] bdims = new long[s.length];
        for (int i = 0, j = 0; i < s.length + 1; i++) if (i != d) bdims[j++] = i;
        sb.append('\n').append(n).append("g3 = \"stablehlo.broadcast_in_dim\"(").append(n).append("g2) <{broadcast_dimensions = ")
                .append(ProgramGen.i64s(bdims)).append("}> : (").append(sumT).append(") -> ").append(st).append('\n');
        return sb.append(v.name()).append(" = \"stablehlo.reshape\"(").append(n).append("g3) : (").append(st).append(") -> ").append(v.type()).toString();
    }

    /** {@code <@mesh, [{?}, {"x", "y", ?}, ...]>}: the manual axes on dimension d (none when d < 0), every dimension open. */
    private static String spec(int rank, int d, String axes) {
        StringBuilder sb = new StringBuilder("<@mesh, [");
        for (int k = 0; k < rank; k++) sb.append(k == 0 ? "" : ", ").append(k == d ? "{" + axes + ", ?}" : "{?}");
        return sb.append("]>").toString();
    }

    private static String reducer(String t, String n) {
        return "{\n      ^bb0(" + n + "p: " + t + ", " + n + "q: " + t + "):\n        " + n + "z = \"stablehlo.add\"(" + n + "p, " + n + "q) : (" + t + ", " + t
                + ") -> " + t + "\n        \"stablehlo.return\"(" + n + "z) : (" + t + ") -> ()\n      }";
    }

    /**
     * A grouped matmul of a [m, k] by kernels [g, k, n] with constant group sizes (their sum at most m: later rows are
     * zeros). When {@code a} is not a rank-2 f32, the lhs is another value or a new argument that is.
     */
    void raggedDot(Val a) {
        if (a.shape().length != 2 || !a.et().equals("f32")) a = g.partner(new long[] {g.randomDim(), g.randomDim()}, "f32");
        long[] s = a.shape();
        long m = s[0], k = s[1], groups = 1 + rnd.nextInt(4), n = g.randomDim();
        if (m * n > ProgramGen.MAX_ELEMENTS || groups * k * n > ProgramGen.MAX_ELEMENTS * 2) { g.fallback(a); return; }
        Val w = g.partner(new long[] {groups, k, n}, "f32");
        StringBuilder sizes = new StringBuilder("[");
        long left = m;
        for (long i = 0; i < groups; i++) {
            long z = i == groups - 1 && rnd.nextBoolean() ? left : rnd.nextInt((int) left + 1);
            left -= z;
            sizes.append(i == 0 ? "" : ", ").append(z);
        }
        Val gs = g.emit("stablehlo.constant", List.of(), "value = dense<" + sizes + "]> : tensor<" + groups + "xi32>", "", new long[] {groups}, "i32");
        g.add(g.emit("chlo.ragged_dot", List.of(a, w, gs), "ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], "
                + "rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], "
                + "rhs_group_dimensions = [0]>", "", new long[] {m, n}, "f32"));
    }
}
