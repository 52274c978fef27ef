package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SortRows}: {@code stablehlo.sort} and {@code chlo.top_k} of short rows by primitive keys. Each sort is checked
 * bit for bit against two oracles: the same sort with its comparator wrapped in two {@code not}s (which no fast path
 * recognises, so the merge sort evaluates the region), and, where the comparator is a strict weak order, Java's stable
 * {@code List.sort} with the comparator's meaning written out here. Keys are every integer width's extremes and ties,
 * floats with ties, both zeros, infinities and NaNs of both signs with several payloads (signalling ones included);
 * the key is any of the three operands; rows of every length 0..20 (17..20 past the fast path) along the last
 * dimension, and of a few lengths (33 among them) strided along the first dimension and along the middle one of a
 * rank-3 tensor.
 */
class SortRowsTest {
    private enum Body { PLAIN, CANONICAL }

    /** A comparator: {@code dir} of keys of type {@code et} held by operand {@code keyAt} (0..2) of the sort. */
    private record Case(ElementType et, String type, Body body, String dir, boolean swapped, int keyAt) {
        boolean isFloat() { return et instanceof FloatType; }

        boolean strict() { return dir.equals("LT") || dir.equals("GT"); }

        String t() { return et.toString(); }
    }

    private static final List<FloatType> FLOATS = List.of(FloatType.F32, FloatType.BF16, FloatType.F16, FloatType.F64);
    private static final List<IntegerType> INTS = List.of(IntegerType.I1, IntegerType.I8, IntegerType.UI8, IntegerType.I16,
            IntegerType.I32, IntegerType.I64, IntegerType.UI32, IntegerType.UI64);

    /**
     * Every comparator sorts both ways (LT and GT); it reads (lhs, rhs) or (rhs, lhs) by turns, so both readings meet
     * every direction, body and key operand. GE (not strict: the merge sort keeps it, through the direct test) on
     * f32 (IEEE, and JAX's keys in total order), i32 and ui64 only.
     */
    private static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        List<Case> comparators = new ArrayList<>();
        for (FloatType ft : FLOATS) {
            for (String type : List.of("TOTALORDER", "FLOAT")) comparators.add(new Case(ft, type, Body.PLAIN, "", false, 0));
            comparators.add(new Case(ft, "TOTALORDER", Body.CANONICAL, "", false, 0));
        }
        for (IntegerType it : INTS) comparators.add(new Case(it, it.isUnsigned() || it.isBool() ? "UNSIGNED" : "SIGNED", Body.PLAIN, "", false, 0));
        for (int i = 0; i < comparators.size(); i++) {
            Case c = comparators.get(i);
            for (String dir : List.of("LT", "GT")) cs.add(new Case(c.et, c.type, c.body, dir, (i / 2) % 2 == 1, cs.size() % 3));
            boolean ge = c.et == FloatType.F32 ? !c.type.equals("TOTALORDER") || c.body == Body.CANONICAL
                    : c.et == IntegerType.I32 || c.et == IntegerType.UI64;
            if (ge) cs.add(new Case(c.et, c.type, c.body, "GE", cs.size() % 2 == 1, cs.size() % 3));
        }
        return cs;
    }

    /** Rows of {@code shape} along {@code dim}. */
    private record Layout(long[] shape, int dim) {
        int len() { return (int) shape[dim]; }

        int stride() {
            int s = 1;
            for (int d = dim + 1; d < shape.length; d++) s *= (int) shape[d];
            return s;
        }

        int size() { return (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b); }

        /** The first element of each row. */
        int[] bases() {
            int len = len(), stride = stride(), rows = len == 0 ? 0 : size() / len;
            int[] bs = new int[rows];
            for (int s = 0; s < rows; s++) bs[s] = (s / stride) * stride * len + s % stride;
            return bs;
        }

        @Override public String toString() { return "shape " + Arrays.toString(shape) + " dim " + dim; }
    }

    /**
     * Lengths 0..20 along the last dimension (17..20 past the fast path's limit), 0, 1, 8, 16, 17, 33 along the first,
     * and 0, 1, 8, 16, 17 along the middle one of a rank-3 tensor. The region-evaluated oracle's comparisons are most
     * of the test's time, so each comparator's LT and GT twins share the layouts: LT takes the even lengths and the
     * first dimension, GT the odd lengths and the middle one, GE all.
     */
    private static List<Layout> layouts(Case c) {
        boolean lt = !c.dir.equals("GT"), gt = !c.dir.equals("LT");
        List<Layout> ls = new ArrayList<>();
        // a second row up to length 8 only (each row costs the oracle about n log n region evaluations); the strided
        // layouts have several rows of every length
        for (int n = 0; n <= 20; n++) if (n % 2 == 0 ? lt : gt) ls.add(new Layout(new long[] {n <= 8 ? 2 : 1, n}, 1));
        for (int n : new int[] {0, 1, 8, 16, 17, 33}) {
            if (lt) ls.add(new Layout(new long[] {n, 2}, 0));
            if (gt && n != 33) ls.add(new Layout(new long[] {2, n, 2}, 1)); // 4 rows
        }
        return ls;
    }

    /**
     * The sort of the key, an i32 index and an f32 payload (the key at operand {@code keyAt}, the others after it in
     * turn) along {@code dim}; {@code general} wraps the comparator's result in two nots.
     */
    private static String function(String name, Case c, Layout l, boolean stable, boolean general) {
        StringBuilder sh = new StringBuilder();
        for (long d : l.shape) sh.append(d).append('x');
        String[] names = new String[3], elems = new String[3];
        for (int j = 0; j < 3; j++) {
            int role = Math.floorMod(j - c.keyAt, 3); // 0 key, 1 index, 2 payload
            names[j] = new String[] {"%k", "%i", "%p"}[role];
            elems[j] = new String[] {c.t(), "i32", "f32"}[role];
        }
        String types = "";
        for (int j = 0; j < 3; j++) types += (j == 0 ? "" : ", ") + "tensor<" + sh + elems[j] + ">";
        String s = "tensor<" + c.t() + ">";
        String a = "%a" + c.keyAt, b = "%b" + c.keyAt;
        String x = c.swapped ? b : a, y = c.swapped ? a : b;
        StringBuilder m = new StringBuilder("func.func @" + name + "(");
        for (int j = 0; j < 3; j++) m.append(j == 0 ? "" : ", ").append(names[j]).append(": tensor<").append(sh).append(elems[j]).append('>');
        m.append(") -> (").append(types).append(") {\n");
        m.append("  %0:3 = \"stablehlo.sort\"(").append(String.join(", ", names)).append(") <{dimension = ").append(l.dim)
                .append(" : i64, is_stable = ").append(stable).append("}> ({\n  ^bb0(");
        for (int j = 0; j < 3; j++) {
            m.append(j == 0 ? "" : ", ").append("%a").append(j).append(": tensor<").append(elems[j]).append(">, %b").append(j)
                    .append(": tensor<").append(elems[j]).append('>');
        }
        m.append("):\n");
        if (c.body == Body.CANONICAL) {
            for (String v : List.of(a, b)) {
                String w = v.substring(1);
                m.append("    %z").append(w).append(" = stablehlo.constant dense<0.0> : ").append(s).append('\n');
                m.append("    %e").append(w).append(" = stablehlo.compare EQ, ").append(v).append(", %z").append(w).append(", FLOAT : (")
                        .append(s).append(", ").append(s).append(") -> tensor<i1>\n");
                m.append("    %s").append(w).append(" = stablehlo.select %e").append(w).append(", %z").append(w).append(", ").append(v)
                        .append(" : tensor<i1>, ").append(s).append('\n');
                m.append("    %n").append(w).append(" = stablehlo.compare NE, ").append(v).append(", ").append(v).append(", FLOAT : (")
                        .append(s).append(", ").append(s).append(") -> tensor<i1>\n");
                m.append("    %q").append(w).append(" = stablehlo.constant dense<").append(quietNan(c.et)).append("> : ").append(s).append('\n');
                m.append("    %k").append(w).append(" = stablehlo.select %n").append(w).append(", %q").append(w).append(", %s").append(w)
                        .append(" : tensor<i1>, ").append(s).append('\n');
            }
            String ka = "%k" + a.substring(1), kb = "%k" + b.substring(1);
            x = c.swapped ? kb : ka;
            y = c.swapped ? ka : kb;
        }
        m.append("    %r = stablehlo.compare ").append(c.dir).append(", ").append(x).append(", ").append(y).append(", ").append(c.type)
                .append(" : (").append(s).append(", ").append(s).append(") -> tensor<i1>\n");
        String ret = "%r";
        if (general) {
            m.append("    %r1 = stablehlo.not %r : tensor<i1>\n    %r2 = stablehlo.not %r1 : tensor<i1>\n");
            ret = "%r2";
        }
        m.append("    stablehlo.return ").append(ret).append(" : tensor<i1>\n");
        m.append("  }) : (").append(types).append(") -> (").append(types).append(")\n");
        m.append("  return %0#0, %0#1, %0#2 : ").append(types).append("\n}\n");
        return m.toString();
    }

    private static String quietNan(ElementType et) {
        return et == FloatType.F64 ? "0x7FF8000000000000" : et == FloatType.BF16 ? "0x7FC0" : et == FloatType.F16 ? "0x7E00" : "0x7FC00000";
    }

    /**
     * NaNs as doubles, rounded to each format on the way in: quiet ones of both signs, signalling ones and payloads
     * (the high payload bits survive in f32; a format may quieten or drop the rest, the oracles then see what it kept).
     */
    private static final long[] NANS = {0x7FF8_0000_0000_0000L, 0xFFF8_0000_0000_0000L, 0x7FF0_0000_0000_0001L, 0xFFF4_0000_0000_0000L,
            0x7FF8_0000_0000_0ABCL, 0x7FFA_BCDE_0000_0000L, 0xFFFF_FFFF_FFFF_FFFFL, 0x7FF0_8000_0000_0000L};

    /** A key drawn from few values (ties), with both zeros, NaNs and both infinities among them. */
    private static double floatKey(SplittableRandom rng, ElementType et) {
        return switch (rng.nextInt(10)) {
            case 0 -> 0.0;
            case 1 -> -0.0;
            case 2, 3 -> Double.longBitsToDouble(NANS[rng.nextInt(NANS.length)]);
            case 4 -> Double.POSITIVE_INFINITY;
            case 5 -> Double.NEGATIVE_INFINITY;
            default -> et == FloatType.F64 ? (rng.nextInt(9) - 4) * 0.1 : (rng.nextInt(9) - 4) * 0.25; // exact in bf16 and f16
        };
    }

    /** A key of the type's range: its extremes and their neighbours, 0 and -1 (ties), or any value. */
    private static long intKey(SplittableRandom rng, IntegerType it) {
        long min = Elem.minInt(it), max = Elem.maxInt(it);
        return switch (rng.nextInt(8)) {
            case 0 -> min; // Long.MIN_VALUE for i64, 0 for ui64
            case 1 -> max; // Long.MAX_VALUE for i64, 2^64 - 1 for ui64
            case 2 -> min + 1;
            case 3 -> max - 1;
            case 4 -> 0;
            case 5 -> -1; // wrapped to the width: the unsigned maximum
            default -> it.width() == 64 ? rng.nextLong() : min + rng.nextLong(1L << it.width());
        };
    }

    @Test
    void shortRowsSortAsTheRegionEvaluatedComparatorAndAStableListSort() {
        SplittableRandom rng = new SplittableRandom(20261130);
        int checkedByList = 0, fast = 0;
        int[] keyAt = new int[3];
        for (Case c : cases()) {
            List<Layout> layouts = layouts(c);
            // one module per comparator and oracle, a function per layout: parsing is a good part of the cost
            StringBuilder fastText = new StringBuilder(), generalText = new StringBuilder();
            for (int li = 0; li < layouts.size(); li++) {
                Layout l = layouts.get(li);
                boolean stable = (l.len() + l.dim) % 2 == 0;
                fastText.append(function("f" + li, c, l, stable, false));
                generalText.append(function("f" + li, c, l, stable, true));
            }
            Module m = MlirParser.parseModule(fastText.toString(), "fast.mlir");
            Module g = MlirParser.parseModule(generalText.toString(), "general.mlir");
            Interpreter fastRun = new Interpreter(m), generalRun = new Interpreter(g);
            for (int li = 0; li < layouts.size(); li++) {
                Layout l = layouts.get(li);
                int size = l.size(), n = l.len();
                double[] kf = new double[size];
                long[] ki = new long[size], idx = new long[size];
                double[] pay = new double[size];
                for (int i = 0; i < size; i++) {
                    if (c.isFloat()) kf[i] = floatKey(rng, c.et);
                    else ki[i] = intKey(rng, (IntegerType) c.et);
                    idx[i] = i;
                    pay[i] = i * 0.5;
                }
                TensorType kt = TensorType.of(c.et, l.shape);
                Tensor key = c.isFloat() ? Tensor.ofDoubles(kt, kf) : Tensor.ofInts(kt, ki); // kf, ki: as stored
                Tensor index = Tensor.ofInts(TensorType.of(IntegerType.I32, l.shape), idx);
                Tensor payload = Tensor.ofDoubles(TensorType.of(FloatType.F32, l.shape), pay);
                List<Tensor> in = new ArrayList<>();
                for (int j = 0; j < 3; j++) in.add(List.of(key, index, payload).get(Math.floorMod(j - c.keyAt, 3)));
                Operation sort = m.functions().get(li).region(0).entry().operations().get(0);
                Operation gsort = g.functions().get(li).region(0).entry().operations().get(0);
                assertThat(SortKernels.direct(gsort.region(0))).as("the oracle's comparator is not recognised").isNull();
                SortKernels.Plan plan = SortKernels.plan(SortKernels.direct(sort.region(0)), in.toArray(Tensor[]::new));
                assertThat(plan).as("%s: a direct comparator", c).isNotNull();
                assertThat(plan.t()).as("%s: the key operand", c).isSameAs(key);
                SortRows rows = SortRows.of(plan);
                assertThat(rows != null).as("%s: SortRows takes LT and GT", c).isEqualTo(c.strict());
                if (rows != null && n <= SortRows.MAX_LEN && n > 1) {
                    fast++;
                    keyAt[c.keyAt]++;
                }
                List<RtValue> got = fastRun.run("f" + li, in), want = generalRun.run("f" + li, in);
                String what = c + " " + l;
                for (int r = 0; r < 3; r++) assertBits((Tensor) got.get(r), (Tensor) want.get(r), what + " result " + r);
                long[] perm = ((Tensor) got.get(Math.floorMod(1 + c.keyAt, 3))).ints; // the index operand's result
                if (c.strict()) checkedByList += checkAgainstListSort(c, l, kf, ki, perm, what);
            }
        }
        assertThat(fast).as("sorts through the fast path").isGreaterThan(300);
        for (int j = 0; j < 3; j++) assertThat(keyAt[j]).as("fast sorts with the key at operand %d", j).isGreaterThan(100);
        assertThat(checkedByList).as("rows checked against List.sort").isGreaterThan(800);
    }

    /** Each row's permutation against Java's stable List.sort by the comparator's meaning; rows an IEEE NaN makes unordered are skipped. */
    private static int checkAgainstListSort(Case c, Layout l, double[] kf, long[] ki, long[] perm, String what) {
        int len = l.len(), stride = l.stride();
        int checked = 0;
        for (int base : l.bases()) {
            List<Integer> want = new ArrayList<>();
            boolean unordered = false;
            for (int i = 0; i < len; i++) {
                want.add(i);
                if (c.isFloat() && c.type.equals("FLOAT") && Double.isNaN(kf[base + i * stride])) unordered = true;
            }
            if (unordered) continue;
            Comparator<Integer> byKey;
            if (!c.isFloat()) {
                boolean unsigned = c.type.equals("UNSIGNED");
                byKey = (p, q) -> unsigned ? Long.compareUnsigned(ki[base + p * stride], ki[base + q * stride])
                        : Long.compare(ki[base + p * stride], ki[base + q * stride]);
            } else if (c.type.equals("FLOAT")) {
                byKey = Comparator.comparingDouble(p -> kf[base + p * stride] + 0.0); // IEEE, no NaN: -0.0 and 0.0 tie
            } else {
                boolean canon = c.body == Body.CANONICAL;
                byKey = Comparator.comparingLong(p -> totalOrder(kf[base + p * stride], canon));
            }
            boolean ascending = c.dir.equals("LT") != c.swapped;
            want.sort(ascending ? byKey : byKey.reversed());
            for (int i = 0; i < len; i++) {
                if (perm[base + i * stride] - base == (long) want.get(i) * stride) continue;
                assertThat(perm[base + i * stride] - base).as("%s row at %d position %d", what, base, i)
                        .isEqualTo((long) (want.get(i) * stride));
            }
            checked++;
        }
        return checked;
    }

    /** IEEE total order as a signed long: -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN; JAX's canonical keys first when asked. */
    private static long totalOrder(double v, boolean canonical) {
        if (canonical) v = Double.isNaN(v) ? Double.longBitsToDouble(0x7FF8_0000_0000_0000L) : v == 0 ? 0.0 : v;
        long bits = Double.doubleToRawLongBits(v);
        return bits < 0 ? bits ^ Long.MAX_VALUE : bits;
    }

    private static void assertBits(Tensor got, Tensor want, String what) {
        assertThat(got.size).isEqualTo(want.size);
        boolean same = want.ints != null ? Arrays.equals(got.ints, want.ints) : Arrays.equals(bits(got.re), bits(want.re));
        if (same) return; // else the first differing element, named
        for (int i = 0; i < got.size; i++) {
            if (want.ints != null) assertThat(got.ints[i]).as("%s element %d", what, i).isEqualTo(want.ints[i]);
            else assertThat(Double.doubleToRawLongBits(got.re[i])).as("%s element %d", what, i).isEqualTo(Double.doubleToRawLongBits(want.re[i]));
        }
    }

    private static long[] bits(double[] xs) { return Arrays.stream(xs).mapToLong(Double::doubleToRawLongBits).toArray(); }

    @Test
    void aNanRowUnderAnIeeeComparatorIsLeftToTheMergeSort() {
        Layout l = new Layout(new long[] {1, 4}, 1);
        String text = function("main", new Case(FloatType.F32, "FLOAT", Body.PLAIN, "LT", false, 0), l, true, false);
        Operation sort = MlirParser.parseModule(text, "ieee.mlir").functions().get(0).region(0).entry().operations().get(0);
        TensorType kt = TensorType.of(FloatType.F32, 1, 4);
        Tensor[] xs = {Tensor.ofDoubles(kt, new double[] {2, Double.NaN, 1, 0}), null, null};
        SortRows rows = SortRows.of(SortKernels.plan(SortKernels.direct(sort.region(0)), xs));
        assertThat(rows).isNotNull();
        long[] keys = new long[4];
        int[] perm = new int[4];
        assertThat(rows.order(0, 1, 4, keys, perm)).isFalse();
        Tensor[] ys = {Tensor.ofDoubles(kt, new double[] {2, -0.0, 1, 0.0}), null, null};
        assertThat(SortRows.of(SortKernels.plan(SortKernels.direct(sort.region(0)), ys)).order(0, 1, 4, keys, perm)).isTrue();
        assertThat(perm).containsExactly(1, 3, 2, 0); // -0.0 and 0.0 tie: input order
    }

    /** {@code chlo.top_k} of {@code k} from rows of {@code n}, its indices of type {@code index} (the verifier allows i32 only). */
    private static String topK(ElementType et, int rows, int n, int k, IntegerType index) {
        String t = et.toString(), in = "tensor<" + rows + "x" + n + "x" + t + ">";
        String vt = "tensor<" + rows + "x" + k + "x" + t + ">", it = "tensor<" + rows + "x" + k + "x" + index + ">";
        return "func.func @main(%x: " + in + ") -> (" + vt + ", " + it + ") {\n  %v, %i = chlo.top_k(%x, k = " + k + ") : " + in
                + " -> (" + vt + ", " + it + ")\n  return %v, %i : " + vt + ", " + it + "\n}\n";
    }

    @Test
    void topKOfShortRowsRanksInTotalOrderTiesToTheLowerIndex() {
        SplittableRandom rng = new SplittableRandom(77);
        int checked = 0;
        List<ElementType> types = new ArrayList<>(FLOATS);
        types.addAll(INTS);
        for (ElementType et : types) {
            for (int len = 0; len <= 21; len++) {
                int n = len <= 20 ? len : 33, rows = 9, size = rows * n;
                boolean isFloat = et instanceof FloatType;
                double[] kf = new double[size];
                long[] ki = new long[size];
                for (int i = 0; i < size; i++) {
                    if (isFloat) kf[i] = floatKey(rng, et);
                    else ki[i] = intKey(rng, (IntegerType) et);
                }
                TensorType xt = TensorType.of(et, rows, n);
                Tensor x = isFloat ? Tensor.ofDoubles(xt, kf) : Tensor.ofInts(xt, ki); // kf, ki: as stored
                // every row in order, its top k as computed for them: none, all, and one in between
                List<Integer> want = new ArrayList<>();
                for (int k : new int[] {0, n, n / 2}) {
                    // i64 indices on an unverified module: the kernel writes any integer index type
                    IntegerType index = k == n && n % 2 == 1 ? IntegerType.I64 : IntegerType.I32;
                    List<RtValue> out = new Interpreter(MlirParser.parseModule(topK(et, rows, n, k, index), "topk.mlir")).run(List.of(x));
                    Tensor vals = (Tensor) out.get(0), idx = (Tensor) out.get(1);
                    assertThat(idx.elementType).isEqualTo(index);
                    assertThat(vals.size).isEqualTo(rows * k);
                    for (int r = 0; r < rows; r++) {
                        int base = r * n;
                        want.clear();
                        for (int i = 0; i < n; i++) want.add(i);
                        Comparator<Integer> byKey = isFloat ? Comparator.comparingLong(p -> totalOrder(kf[base + p], false))
                                : ((IntegerType) et).isUnsigned() || ((IntegerType) et).isBool()
                                ? (p, q) -> Long.compareUnsigned(ki[base + p], ki[base + q])
                                : Comparator.comparingLong(p -> ki[base + p]);
                        want.sort(byKey.reversed()); // stable: equal keys keep the lower index first
                        for (int j = 0; j < k; j++) {
                            String what = et + " len " + n + " k " + k + " row " + r + " rank " + j;
                            assertThat(idx.ints[r * k + j]).as(what).isEqualTo((long) want.get(j));
                            if (isFloat) {
                                assertThat(Double.doubleToRawLongBits(vals.re[r * k + j])).as(what)
                                        .isEqualTo(Double.doubleToRawLongBits(kf[base + want.get(j)]));
                            } else {
                                assertThat(vals.ints[r * k + j]).as(what).isEqualTo(ki[base + want.get(j)]);
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertThat(checked).as("ranks checked").isGreaterThan(20_000);
    }

    /**
     * A module run without verification reaches the kernel with any k: it refuses one outside 0..last dimension by
     * name, with the verifier's words and values, on short rows and on long ones (the merge sort), before reading a row.
     */
    @Test
    void topKRefusesAKOutsideTheRowByNameWithoutVerification() {
        for (int n : new int[] {8, 33}) {
            Tensor x = Tensor.ofDoubles(TensorType.of(FloatType.F32, 2, n), new double[2 * n]);
            for (int k : new int[] {n + 1, -1}) {
                Module m = MlirParser.parseModule(topK(FloatType.F32, 2, n, Math.max(k, 0), IntegerType.I32)
                        .replace("k = " + Math.max(k, 0), "k = " + k), "topk.mlir");
                String want = k < 0 ? "chlo.top_k: k must be non-negative, got -1; operand tensor<2x" + n + "xf32>, k = -1"
                        : "chlo.top_k: operand's last dimension must be at least " + k + "; operand tensor<2x" + n + "xf32>, k = " + k;
                assertThatThrownBy(() -> new Interpreter(m).run(List.of(x))).isInstanceOf(InterpreterException.class)
                        .hasMessageContaining(want).hasNoCause();
            }
            // results that do not fit the operand and k (an unverified module's types) are refused too
            Module wrong = MlirParser.parseModule(topK(FloatType.F32, 2, n, 2, IntegerType.I32).replace("tensor<2x2xf32>", "tensor<2x3xf32>"), "topk.mlir");
            assertThatThrownBy(() -> new Interpreter(wrong).run(List.of(x))).isInstanceOf(InterpreterException.class)
                    .hasMessageContaining("chlo.top_k: results tensor<2x3xf32>, tensor<2x2xi32> do not fit: values tensor<2x2xf32>");
            // a dynamic result dimension takes the operand's and k's
            Module dynamic = MlirParser.parseModule(topK(FloatType.F32, 2, n, 2, IntegerType.I32).replace("tensor<2x2x", "tensor<2x?x"), "topk.mlir");
            List<RtValue> out = new Interpreter(dynamic).run(List.of(x));
            assertThat(((Tensor) out.get(0)).type).isEqualTo(TensorType.of(FloatType.F32, 2, 2));
            assertThat(((Tensor) out.get(1)).type).isEqualTo(TensorType.of(IntegerType.I32, 2, 2));
        }
    }
}
