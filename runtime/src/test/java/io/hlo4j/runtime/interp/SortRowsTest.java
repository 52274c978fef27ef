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
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SortRows}: {@code stablehlo.sort} and {@code chlo.top_k} of short rows by primitive keys. Each sort is checked
 * bit for bit against two oracles: the same sort with its comparator wrapped in two {@code not}s (which no fast path
 * recognises, so the merge sort evaluates the region), and, where the comparator is a strict weak order, Java's stable
 * {@code List.sort} with the comparator's meaning written out here. Rows hold ties, NaNs of both signs, both zeros and
 * infinities; every length 0..20 and one past the fast path's limit; rows along the last dimension and strided along the
 * first.
 */
class SortRowsTest {
    private static final long NEG_NAN = 0xFFF8_0000_0000_0000L;

    private enum Body { PLAIN, CANONICAL }

    private record Case(ElementType et, String type, Body body, String dir, boolean swapped) {
        boolean isFloat() { return et instanceof FloatType; }

        String t() { return et.toString(); }
    }

    private static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        for (String dir : List.of("LT", "GT", "GE")) for (boolean sw : List.of(false, true)) {
            for (FloatType ft : List.of(FloatType.F32, FloatType.BF16, FloatType.F64)) {
                cs.add(new Case(ft, "TOTALORDER", Body.PLAIN, dir, sw));
                cs.add(new Case(ft, "FLOAT", Body.PLAIN, dir, sw));
                cs.add(new Case(ft, "TOTALORDER", Body.CANONICAL, dir, sw));
            }
            cs.add(new Case(IntegerType.I32, "SIGNED", Body.PLAIN, dir, sw));
            cs.add(new Case(IntegerType.I64, "SIGNED", Body.PLAIN, dir, sw));
            cs.add(new Case(IntegerType.UI32, "UNSIGNED", Body.PLAIN, dir, sw));
            cs.add(new Case(IntegerType.UI64, "UNSIGNED", Body.PLAIN, dir, sw));
        }
        // GE (not strict: the merge sort keeps it) on one float and one integer type only, to keep the test short
        cs.removeIf(c -> c.dir.equals("GE") && c.et != FloatType.F32 && c.et != IntegerType.I32);
        return cs;
    }

    /** The sort of (key, i32 index, f32 payload) along {@code dim}; {@code general} wraps the comparator's result in two nots. */
    private static String module(Case c, long[] shape, int dim, boolean stable, boolean general) {
        String sh = shape[0] + "x" + shape[1] + "x";
        String kt = "tensor<" + sh + c.t() + ">", it = "tensor<" + sh + "i32>", pt = "tensor<" + sh + "f32>";
        String s = "tensor<" + c.t() + ">";
        String x = c.swapped ? "%b" : "%a", y = c.swapped ? "%a" : "%b";
        StringBuilder b = new StringBuilder();
        b.append("func.func @main(%k: ").append(kt).append(", %i: ").append(it).append(", %p: ").append(pt).append(") -> (")
                .append(kt).append(", ").append(it).append(", ").append(pt).append(") {\n");
        b.append("  %0:3 = \"stablehlo.sort\"(%k, %i, %p) <{dimension = ").append(dim).append(" : i64, is_stable = ").append(stable).append("}> ({\n");
        b.append("  ^bb0(%a: ").append(s).append(", %b: ").append(s).append(", %c: tensor<i32>, %d: tensor<i32>, %e: tensor<f32>, %f: tensor<f32>):\n");
        if (c.body == Body.CANONICAL) {
            for (String v : List.of("a", "b")) {
                b.append("    %z").append(v).append(" = stablehlo.constant dense<0.0> : ").append(s).append('\n');
                b.append("    %e").append(v).append(" = stablehlo.compare EQ, %").append(v).append(", %z").append(v).append(", FLOAT : (")
                        .append(s).append(", ").append(s).append(") -> tensor<i1>\n");
                b.append("    %s").append(v).append(" = stablehlo.select %e").append(v).append(", %z").append(v).append(", %").append(v)
                        .append(" : tensor<i1>, ").append(s).append('\n');
                b.append("    %n").append(v).append(" = stablehlo.compare NE, %").append(v).append(", %").append(v).append(", FLOAT : (")
                        .append(s).append(", ").append(s).append(") -> tensor<i1>\n");
                b.append("    %q").append(v).append(" = stablehlo.constant dense<").append(quietNan(c.et)).append("> : ").append(s).append('\n');
                b.append("    %k").append(v).append(" = stablehlo.select %n").append(v).append(", %q").append(v).append(", %s").append(v)
                        .append(" : tensor<i1>, ").append(s).append('\n');
            }
            x = c.swapped ? "%kb" : "%ka";
            y = c.swapped ? "%ka" : "%kb";
        }
        b.append("    %r = stablehlo.compare ").append(c.dir).append(", ").append(x).append(", ").append(y).append(", ").append(c.type)
                .append(" : (").append(s).append(", ").append(s).append(") -> tensor<i1>\n");
        String ret = "%r";
        if (general) {
            b.append("    %r1 = stablehlo.not %r : tensor<i1>\n    %r2 = stablehlo.not %r1 : tensor<i1>\n");
            ret = "%r2";
        }
        b.append("    stablehlo.return ").append(ret).append(" : tensor<i1>\n");
        b.append("  }) : (").append(kt).append(", ").append(it).append(", ").append(pt).append(") -> (").append(kt).append(", ").append(it)
                .append(", ").append(pt).append(")\n");
        b.append("  return %0#0, %0#1, %0#2 : ").append(kt).append(", ").append(it).append(", ").append(pt).append("\n}\n");
        return b.toString();
    }

    private static String quietNan(ElementType et) {
        return et == FloatType.F64 ? "0x7FF8000000000000" : et == FloatType.BF16 ? "0x7FC0" : "0x7FC00000";
    }

    /** A key drawn from few values (ties), with both zeros, both NaN signs and both infinities among them. */
    private static double floatKey(SplittableRandom rng, ElementType et) {
        return switch (rng.nextInt(10)) {
            case 0 -> 0.0;
            case 1 -> -0.0;
            case 2 -> Double.NaN;
            case 3 -> Double.longBitsToDouble(NEG_NAN);
            case 4 -> Double.POSITIVE_INFINITY;
            case 5 -> Double.NEGATIVE_INFINITY;
            default -> et == FloatType.F64 ? (rng.nextInt(9) - 4) * 0.1 : (rng.nextInt(9) - 4) * 0.25; // exact in bf16
        };
    }

    private static long intKey(SplittableRandom rng, ElementType et) {
        IntegerType it = (IntegerType) et;
        long v = rng.nextInt(7) - 3;
        if (it.width() == 64) return v * (1L << 61) + rng.nextInt(2); // ui64: values past 2^63 (negative longs)
        return it.isUnsigned() ? (v + 3) * 700_000_000L : v * 700_000_000L; // ui32 up to 4.2e9, past 2^31
    }

    @Test
    void shortRowsSortAsTheRegionEvaluatedComparatorAndAStableListSort() {
        SplittableRandom rng = new SplittableRandom(20261130);
        int checkedByList = 0, fast = 0;
        for (Case c : cases()) {
            for (int len = 0; len <= SortRows.MAX_LEN + 5; len++) {
                int n = len <= 20 ? len : 33; // 17..20, and 33: past the fast path's limit
                if (len > 21) break;
                for (int dim : new int[] {1, 0}) {
                    long[] shape = dim == 1 ? new long[] {7, n} : new long[] {n, 3};
                    int size = (int) (shape[0] * shape[1]);
                    boolean stable = (n + dim) % 2 == 0;
                    double[] kf = new double[size];
                    long[] ki = new long[size], idx = new long[size];
                    double[] pay = new double[size];
                    for (int i = 0; i < size; i++) {
                        if (c.isFloat()) kf[i] = floatKey(rng, c.et);
                        else ki[i] = intKey(rng, c.et);
                        idx[i] = i;
                        pay[i] = i * 0.5;
                    }
                    TensorType kt = TensorType.of(c.et, shape);
                    List<Tensor> in = List.of(c.isFloat() ? Tensor.ofDoubles(kt, kf) : Tensor.ofInts(kt, ki),
                            Tensor.ofInts(TensorType.of(IntegerType.I32, shape), idx), Tensor.ofDoubles(TensorType.of(FloatType.F32, shape), pay));
                    Module m = MlirParser.parseModule(module(c, shape, dim, stable, false), "fast.mlir");
                    Module g = MlirParser.parseModule(module(c, shape, dim, stable, true), "general.mlir");
                    Operation sort = m.functions().get(0).region(0).entry().operations().get(0);
                    Operation gsort = g.functions().get(0).region(0).entry().operations().get(0);
                    assertThat(SortKernels.direct(gsort.region(0))).as("the oracle's comparator is not recognised").isNull();
                    boolean strict = c.dir.equals("LT") || c.dir.equals("GT");
                    SortRows rows = SortRows.of(SortKernels.direct(sort.region(0)), in.toArray(Tensor[]::new));
                    assertThat(rows != null).as("%s: SortRows takes LT and GT", c).isEqualTo(strict);
                    if (rows != null && n <= SortRows.MAX_LEN) fast++;
                    List<RtValue> got = new Interpreter(m).run(in), want = new Interpreter(g).run(in);
                    String what = c + " shape " + shape[0] + "x" + shape[1] + " dim " + dim;
                    for (int r = 0; r < 3; r++) assertBits((Tensor) got.get(r), (Tensor) want.get(r), what + " result " + r);
                    if (strict) checkedByList += checkAgainstListSort(c, shape, dim, kf, ki, ((Tensor) got.get(1)).ints, what);
                }
            }
        }
        assertThat(fast).as("sorts through the fast path").isGreaterThan(300);
        assertThat(checkedByList).as("rows checked against List.sort").isGreaterThan(3000);
    }

    /** Each row's permutation against Java's stable List.sort by the comparator's meaning; rows an IEEE NaN makes unordered are skipped. */
    private static int checkAgainstListSort(Case c, long[] shape, int dim, double[] kf, long[] ki, long[] perm, String what) {
        int len = (int) shape[dim], stride = dim == 1 ? 1 : (int) shape[1], rowsN = (int) shape[1 - dim];
        int checked = 0;
        for (int r = 0; r < rowsN; r++) {
            int base = dim == 1 ? r * len : r;
            List<Integer> want = new ArrayList<>();
            boolean unordered = false;
            for (int i = 0; i < len; i++) {
                want.add(i);
                if (c.isFloat() && c.type.equals("FLOAT") && Double.isNaN(kf[base + i * stride])) unordered = true;
            }
            if (unordered) continue;
            Comparator<Integer> byKey;
            if (!c.isFloat()) {
                boolean unsigned = ((IntegerType) c.et).isUnsigned();
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
                assertThat(perm[base + i * stride] - base).as("%s row %d position %d", what, r, i)
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
        for (int i = 0; i < got.size; i++) {
            if (want.ints != null) assertThat(got.ints[i]).as("%s element %d", what, i).isEqualTo(want.ints[i]);
            else assertThat(Double.doubleToRawLongBits(got.re[i])).as("%s element %d", what, i).isEqualTo(Double.doubleToRawLongBits(want.re[i]));
        }
    }

    @Test
    void aNanRowUnderAnIeeeComparatorIsLeftToTheMergeSort() {
        String text = module(new Case(FloatType.F32, "FLOAT", Body.PLAIN, "LT", false), new long[] {1, 4}, 1, true, false);
        Operation sort = MlirParser.parseModule(text, "ieee.mlir").functions().get(0).region(0).entry().operations().get(0);
        TensorType kt = TensorType.of(FloatType.F32, 1, 4);
        Tensor[] xs = {Tensor.ofDoubles(kt, new double[] {2, Double.NaN, 1, 0}), null, null};
        SortRows rows = SortRows.of(SortKernels.direct(sort.region(0)), xs);
        assertThat(rows).isNotNull();
        long[] keys = new long[4];
        int[] perm = new int[4];
        assertThat(rows.order(0, 1, 4, keys, perm)).isFalse();
        Tensor[] ys = {Tensor.ofDoubles(kt, new double[] {2, -0.0, 1, 0.0}), null, null};
        assertThat(SortRows.of(SortKernels.direct(sort.region(0)), ys).order(0, 1, 4, keys, perm)).isTrue();
        assertThat(perm).containsExactly(1, 3, 2, 0); // -0.0 and 0.0 tie: input order
    }

    @Test
    void topKOfShortRowsRanksInTotalOrderTiesToTheLowerIndex() {
        SplittableRandom rng = new SplittableRandom(77);
        for (ElementType et : List.of(FloatType.F32, FloatType.BF16, FloatType.F64, IntegerType.I32, IntegerType.UI32, IntegerType.I64, IntegerType.UI64)) {
            for (int len = 1; len <= 21; len++) {
                int n = len <= 20 ? len : 33, rows = 9, size = rows * n;
                boolean isFloat = et instanceof FloatType;
                double[] kf = new double[size];
                long[] ki = new long[size];
                for (int i = 0; i < size; i++) {
                    if (isFloat) kf[i] = floatKey(rng, et);
                    else ki[i] = intKey(rng, et);
                }
                int k = Math.max(1, n - 1 - len % 3);
                String t = et.toString();
                String text = "func.func @main(%x: tensor<" + rows + "x" + n + "x" + t + ">) -> (tensor<" + rows + "x" + k + "x" + t + ">, tensor<"
                        + rows + "x" + k + "xi32>) {\n  %v, %i = chlo.top_k(%x, k = " + k + ") : tensor<" + rows + "x" + n + "x" + t
                        + "> -> (tensor<" + rows + "x" + k + "x" + t + ">, tensor<" + rows + "x" + k + "xi32>)\n  return %v, %i : tensor<"
                        + rows + "x" + k + "x" + t + ">, tensor<" + rows + "x" + k + "xi32>\n}\n";
                TensorType xt = TensorType.of(et, rows, n);
                Tensor x = isFloat ? Tensor.ofDoubles(xt, kf) : Tensor.ofInts(xt, ki);
                List<RtValue> out = new Interpreter(MlirParser.parseModule(text, "topk.mlir")).run(List.of(x));
                Tensor vals = (Tensor) out.get(0), idx = (Tensor) out.get(1);
                for (int r = 0; r < rows; r++) {
                    int base = r * n;
                    List<Integer> want = new ArrayList<>();
                    for (int i = 0; i < n; i++) want.add(i);
                    Comparator<Integer> byKey = isFloat ? Comparator.comparingLong(p -> totalOrder(kf[base + p], false))
                            : ((IntegerType) et).isUnsigned() ? (p, q) -> Long.compareUnsigned(ki[base + p], ki[base + q])
                            : Comparator.comparingLong(p -> ki[base + p]);
                    want.sort(byKey.reversed()); // stable: equal keys keep the lower index first
                    for (int j = 0; j < k; j++) {
                        String what = et + " len " + n + " row " + r + " rank " + j;
                        assertThat(idx.ints[r * k + j]).as(what).isEqualTo((long) want.get(j));
                        if (isFloat) {
                            assertThat(Double.doubleToRawLongBits(vals.re[r * k + j])).as(what)
                                    .isEqualTo(Double.doubleToRawLongBits(kf[base + want.get(j)]));
                        } else {
                            assertThat(vals.ints[r * k + j]).as(what).isEqualTo(ki[base + want.get(j)]);
                        }
                    }
                }
            }
        }
    }
}
