package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.i64s;
import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fused element-wise chains, reductions run with a chain, and outputs written into dead operands: the plan a block
 * gets, and every element's bits against float/double arithmetic done here (and against the same program with
 * every intermediate returned, which the interpreter cannot fuse).
 */
class ElementwiseFusionTest {

    private static double[] random(int n, long seed, double lo, double hi, boolean f32) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double d = r.nextDouble(lo, hi);
            v[i] = f32 ? (float) d : d;
        }
        return v;
    }

    private static void assertBits(double[] got, double[] want, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            assertThat(Double.doubleToRawLongBits(got[i])).as("%s element %d: %s vs %s", what, i, got[i], want[i])
                    .isEqualTo(Double.doubleToRawLongBits(want[i]));
        }
    }

    private static Block entry(Operation f) { return f.region(0).entry(); }

    /** The unit whose last op is {@code op}. */
    private static ElementwiseFusion.Unit unit(ElementwiseFusion.Plan p, Operation op) {
        for (ElementwiseFusion.Group g : p.groups().values()) for (ElementwiseFusion.Unit u : g.units()) if (u.last() == op) return u;
        throw new AssertionError("no unit ends at " + op);
    }

    /** The group holding {@code op}. */
    private static ElementwiseFusion.Group group(ElementwiseFusion.Plan p, Operation op) {
        for (ElementwiseFusion.Group g : p.groups().values()) for (ElementwiseFusion.Unit u : g.units()) if (u.ops().contains(op)) return g;
        throw new AssertionError("no group holds " + op);
    }

    private static Operation opNamed(Block b, String name, int nth) {
        int k = 0;
        for (Operation op : b.operations()) if (op.name().equals(name) && k++ == nth) return op;
        throw new AssertionError("no " + name + " #" + nth);
    }

    /** Softmax over the last axis as frontends lower it; {@code exposeAll} also returns every intermediate. */
    private static Operation softmax(FloatType ft, long rows, long cols, boolean exposeAll) {
        TensorType mat = t(ft, rows, cols), row = t(ft, rows), s = TensorType.scalar(ft);
        Ir ir = new Ir();
        Value x = ir.arg(mat);
        Value ninf = ir.arg(s), zero = ir.arg(s);
        Value m = ir.ops("stablehlo.reduce", List.of(x, ninf), List.of(row), List.of(Ir.combiner("stablehlo.maximum", ft)),
                "dimensions", i64s(1)).get(0);
        Value mb = ir.op("stablehlo.broadcast_in_dim", List.of(m), mat, "broadcast_dimensions", i64s(0));
        Value d = ir.op("stablehlo.subtract", List.of(x, mb), mat);
        Value e = ir.op("stablehlo.exponential", List.of(d), mat);
        Value sum = ir.ops("stablehlo.reduce", List.of(e, zero), List.of(row), List.of(Ir.combiner("stablehlo.add", ft)),
                "dimensions", i64s(1)).get(0);
        Value sb = ir.op("stablehlo.broadcast_in_dim", List.of(sum), mat, "broadcast_dimensions", i64s(0));
        Value r = ir.op("stablehlo.divide", List.of(e, sb), mat);
        return exposeAll ? ir.func("main", r, d, e, m, sum, mb, sb) : ir.func("main", r);
    }

    @Test
    void softmaxIsFusedAndBitIdentical() {
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            boolean f32 = ft == FloatType.F32;
            // [300, 257]: parallel chunks of whole rows, rows not a power of two; [3, 5]: serial; [40, 4096]: long rows
            for (long[] rc : List.of(shape(300, 257), shape(3, 5), shape(40, 4096))) {
                int rows = (int) rc[0], cols = (int) rc[1], n = rows * cols;
                double[] xs = random(n, 3 + rows, -6, 6, f32);
                Tensor x = Ir.reals(ft, shape(rows, cols), xs.clone());
                Tensor ninf = Ir.reals(ft, shape(), Double.NEGATIVE_INFINITY), zero = Ir.reals(ft, shape(), 0.0);

                Operation fused = softmax(ft, rows, cols, false);
                ElementwiseFusion.Plan plan = ElementwiseFusion.plan(entry(fused));
                Block b = entry(fused);
                Operation sub = opNamed(b, "stablehlo.subtract", 0), exp = opNamed(b, "stablehlo.exponential", 0);
                Operation div = opNamed(b, "stablehlo.divide", 0), sum = opNamed(b, "stablehlo.reduce", 1);
                Operation max = opNamed(b, "stablehlo.reduce", 0);
                // one pass: max, exp(x - max), sum, e / sum, over chunks of whole rows
                ElementwiseFusion.Group g = plan.groups().get(div);
                assertThat(plan.groups()).hasSize(1);
                assertThat(g.rowLength()).isEqualTo(cols);
                assertThat(g.units()).extracting(ElementwiseFusion.Unit::ops)
                        .containsExactly(List.of(max), List.of(sub, exp), List.of(sum), List.of(div));
                assertThat(unit(plan, exp).inPlace()).isEqualTo(-1); // x is an argument: never overwritten
                assertThat(unit(plan, div).inPlace()).as("e / sum(e) writes into e").isEqualTo(0);
                assertThat(plan.skipped()).containsExactlyInAnyOrder(max, sub, exp, sum);
                assertThat(plan.broadcasts()).hasSize(2);

                // the oracle: each step in float (f32) or double arithmetic, rounded as the spec says
                double[] want = new double[n];
                for (int i = 0; i < rows; i++) {
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < cols; j++) mx = Math.max(mx, xs[i * cols + j]);
                    double[] e = new double[cols];
                    double s = 0;
                    for (int j = 0; j < cols; j++) {
                        double dd = f32 ? (float) xs[i * cols + j] - (float) mx : xs[i * cols + j] - mx;
                        e[j] = f32 ? (float) Math.exp(dd) : Math.exp(dd);
                        s = f32 ? (float) s + (float) e[j] : s + e[j];
                    }
                    for (int j = 0; j < cols; j++) want[i * cols + j] = f32 ? (float) e[j] / (float) s : e[j] / s;
                }
                double[] got = ((Tensor) Ir.run(fused, x, ninf, zero).get(0)).re;
                assertBits(got, want, ft + " softmax " + rows + "x" + cols);

                // the same program with every intermediate returned: no chains, nothing in place, broadcasts materialised
                Operation plain = softmax(ft, rows, cols, true);
                ElementwiseFusion.Plan p2 = ElementwiseFusion.plan(entry(plain));
                assertThat(p2.broadcasts()).isEmpty();
                for (ElementwiseFusion.Group g2 : p2.groups().values()) {
                    for (ElementwiseFusion.Unit u : g2.units()) {
                        assertThat(u.ops()).hasSize(1);
                        assertThat(u.inPlace()).isEqualTo(-1);
                    }
                }
                List<RtValue> out = Ir.run(plain, x, ninf, zero);
                assertBits(((Tensor) out.get(0)).re, got, ft + " unfused vs fused");
                // the input was not written
                assertBits(x.re, xs, "input");
            }
        }
    }

    @Test
    void longChainsWithBroadcastsMatchArithmetic() {
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            boolean f32 = ft == FloatType.F32;
            int rows = 129, cols = 1031, n = rows * cols;
            TensorType mat = t(ft, rows, cols);
            double[] xs = random(n, 1, -3, 3, f32), ys = random(n, 2, -3, 3, f32), ss = random(rows, 5, 0.5, 2, f32);
            xs[5] = -0.0;
            ys[5] = 0.0;
            Ir ir = new Ir();
            Value x = ir.arg(mat), y = ir.arg(mat), s = ir.arg(t(ft, rows));
            Value t1 = ir.op("stablehlo.subtract", List.of(x, y), mat);
            Value t2 = ir.op("stablehlo.abs", List.of(t1), mat);
            Value t3 = ir.op("stablehlo.sqrt", List.of(t2), mat);
            Value sb = ir.op("stablehlo.broadcast_in_dim", List.of(s), mat, "broadcast_dimensions", i64s(0));
            Value t4 = ir.op("stablehlo.multiply", List.of(sb, t3), mat);
            Value t5 = ir.op("stablehlo.maximum", List.of(y, t4), mat);
            Value t6 = ir.op("stablehlo.negate", List.of(t5), mat);
            Operation f = ir.func("main", t6);
            ElementwiseFusion.Plan plan = ElementwiseFusion.plan(entry(f));
            Operation last = opNamed(entry(f), "stablehlo.negate", 0);
            assertThat(plan.groups()).containsOnlyKeys(last);
            assertThat(plan.groups().get(last).units()).hasSize(1);
            assertThat(unit(plan, last).ops()).extracting(Operation::name).containsExactly("stablehlo.subtract", "stablehlo.abs",
                    "stablehlo.sqrt", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.negate");
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                double v;
                if (f32) {
                    float a = (float) xs[i] - (float) ys[i];
                    a = Math.abs(a);
                    a = (float) Math.sqrt(a);
                    a = (float) ss[i / cols] * a;
                    a = Math.max((float) ys[i], a);
                    v = -a;
                } else {
                    v = -Math.max(ys[i], ss[i / cols] * Math.sqrt(Math.abs(xs[i] - ys[i])));
                }
                want[i] = v;
            }
            Tensor xt = Ir.reals(ft, shape(rows, cols), xs.clone()), yt = Ir.reals(ft, shape(rows, cols), ys.clone());
            double[] got = ((Tensor) Ir.run(f, xt, yt, Ir.reals(ft, shape(rows), ss.clone())).get(0)).re;
            assertBits(got, want, ft + " chain");
            assertBits(xt.re, xs, "x untouched");
            assertBits(yt.re, ys, "y untouched");
        }
    }

    /** v = x + y, then reduce(v) and w = v * z (v's last use): w takes v's array, and the reduce saw v before. */
    @Test
    void deadIntermediateIsOverwrittenOnlyWhenSafe() {
        FloatType ft = FloatType.F32;
        int rows = 64, cols = 2048, n = rows * cols;
        TensorType mat = t(ft, rows, cols), row = t(ft, rows), sc = TensorType.scalar(ft);
        double[] xs = random(n, 8, -2, 2, true), ys = random(n, 9, -2, 2, true), zs = random(n, 10, -2, 2, true);
        Tensor x = Ir.reals(ft, shape(rows, cols), xs), y = Ir.reals(ft, shape(rows, cols), ys), z = Ir.reals(ft, shape(rows, cols), zs);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) xs[i] + (float) ys[i];
        for (String variant : List.of("inPlace", "returned", "usedLater", "reshaped", "nested", "readTwice", "argument")) {
            Ir ir = new Ir();
            Value xv = ir.arg(mat), yv = ir.arg(mat), zv = ir.arg(mat), zero = ir.arg(sc);
            Value vv = variant.equals("argument") ? xv : ir.op("stablehlo.add", List.of(xv, yv), mat);
            Value s = ir.ops("stablehlo.reduce", List.of(vv, zero), List.of(row), List.of(Ir.combiner("stablehlo.add", ft)),
                    "dimensions", i64s(1)).get(0);
            Value ww = ir.op("stablehlo.multiply", List.of(vv, variant.equals("readTwice") ? vv : zv), mat);
            List<Value> results = new java.util.ArrayList<>(List.of(ww, s));
            switch (variant) {
                case "returned" -> results.add(vv);
                case "usedLater" -> results.add(ir.op("stablehlo.negate", List.of(vv), mat));
                case "reshaped" -> {
                    Value rv = ir.op("stablehlo.reshape", List.of(vv), t(ft, n));
                    results.add(ir.op("stablehlo.negate", List.of(rv), t(ft, n)));
                }
                case "nested" -> {
                    var region = Ir.region(List.of(), r -> List.of(r.op("stablehlo.negate", List.of(vv), mat)));
                    ir.ops("stablehlo.case", List.of(ir.arg(t(IntegerType.I32))), List.of(mat), List.of(region));
                }
                default -> { }
            }
            Operation f = ir.func("main", results.toArray(Value[]::new));
            Operation mul = opNamed(entry(f), "stablehlo.multiply", 0);
            int inPlace = unit(ElementwiseFusion.plan(entry(f)), mul).inPlace();
            assertThat(inPlace).as(variant).isEqualTo(variant.equals("inPlace") ? 0 : -1);
            if (variant.equals("nested")) continue; // the case op needs an index argument; the plan is what matters here
            Tensor x2 = Ir.reals(ft, shape(rows, cols), xs.clone());
            List<RtValue> out = Ir.run(f, x2, y, z, Ir.reals(ft, shape(), 0.0));
            double[] vWant = variant.equals("argument") ? xs : v;
            double[] wWant = new double[n], sWant = new double[rows];
            for (int i = 0; i < n; i++) {
                wWant[i] = (float) vWant[i] * (float) (variant.equals("readTwice") ? vWant[i] : zs[i]);
                sWant[i / cols] = (float) sWant[i / cols] + (float) vWant[i];
            }
            assertBits(((Tensor) out.get(0)).re, wWant, variant + " w");
            assertBits(((Tensor) out.get(1)).re, sWant, variant + " sum");
            if (variant.equals("returned")) assertBits(((Tensor) out.get(2)).re, v, "returned v");
            if (variant.equals("usedLater") || variant.equals("reshaped")) {
                double[] neg = new double[n];
                for (int i = 0; i < n; i++) neg[i] = -v[i];
                assertBits(((Tensor) out.get(2)).re, neg, variant + " -v");
            }
            assertBits(x2.re, xs, variant + " argument untouched");
        }
    }

    /** max/min/add reductions run with a chain, rows holding NaNs (payloads) and signed zeros, f32 and f64, rank 3. */
    @Test
    void fusedReductionsMatchSequentialOrder() {
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            boolean f32 = ft == FloatType.F32;
            long a = 6, bdim = 7, c = 33;
            int n = (int) (a * bdim * c), len = (int) (bdim * c);
            TensorType cube = t(ft, a, bdim, c), out = t(ft, a), sc = TensorType.scalar(ft);
            double[] xs = random(n, 21, -1, 1, f32);
            for (int i = len; i < 2 * len; i++) xs[i] = (i % 2 == 0) ? -0.0 : 0.0; // row 1: only signed zeros
            double nanA = Double.longBitsToDouble(0x7ff8000000000123L), nanB = Double.longBitsToDouble(0xfff8000000000456L);
            if (f32) {
                nanA = Float.intBitsToFloat(0x7fc00123);
                nanB = Float.intBitsToFloat(0xffc00456);
            }
            xs[2 * len + 40] = nanA; // row 2: two NaNs, the first one wins in order
            xs[2 * len + 100] = nanB;
            for (String comb : List.of("stablehlo.maximum", "stablehlo.minimum", "stablehlo.add")) {
                Ir ir = new Ir();
                Value x = ir.arg(cube), init = ir.arg(sc);
                Value neg = ir.op("stablehlo.negate", List.of(x), cube);
                Value r = ir.ops("stablehlo.reduce", List.of(neg, init), List.of(out), List.of(Ir.combiner(comb, ft)),
                        "dimensions", i64s(2, 1)).get(0);
                Operation f = ir.func("main", r, neg);
                Operation negOp = opNamed(entry(f), "stablehlo.negate", 0), red = opNamed(entry(f), "stablehlo.reduce", 0);
                ElementwiseFusion.Group g = group(ElementwiseFusion.plan(entry(f)), negOp);
                assertThat(g.units()).extracting(ElementwiseFusion.Unit::ops).containsExactly(List.of(negOp), List.of(red));
                assertThat(g.rowLength()).isEqualTo(len);
                double initV = comb.endsWith("maximum") ? Double.NEGATIVE_INFINITY : comb.endsWith("minimum") ? Double.POSITIVE_INFINITY : 0;
                double[] want = new double[(int) a];
                for (int o = 0; o < a; o++) {
                    double acc = initV;
                    for (int i = o * len; i < (o + 1) * len; i++) {
                        double v = -xs[i];
                        acc = switch (comb) {
                            // the first NaN as it is (Math.max returns "a NaN": which one depends on the JIT)
                            case "stablehlo.maximum" -> acc != acc ? acc : v != v ? v : Math.max(acc, v);
                            case "stablehlo.minimum" -> acc != acc ? acc : v != v ? v : Math.min(acc, v);
                            default -> f32 ? (float) acc + (float) v : acc + v;
                        };
                    }
                    want[o] = acc;
                }
                List<RtValue> res = Ir.run(f, Ir.reals(ft, shape(a, bdim, c), xs.clone()), Ir.reals(ft, shape(), initV));
                double[] got = ((Tensor) res.get(0)).re;
                for (int o = 0; o < a; o++) {
                    if (Double.isNaN(want[o])) assertThat(got[o]).as("%s %s row %d", ft, comb, o).isNaN();
                    else assertThat(Double.doubleToRawLongBits(got[o])).as("%s %s row %d: %s vs %s", ft, comb, o, got[o], want[o])
                            .isEqualTo(Double.doubleToRawLongBits(want[o]));
                }
                if (!comb.endsWith("add")) {
                    // the NaN row: the first NaN in row-major order, as the sequential loop returns it
                    assertThat(Double.doubleToRawLongBits(got[2])).as("%s %s NaN payload", ft, comb)
                            .isEqualTo(Double.doubleToRawLongBits(-nanA));
                }
            }
        }
    }

    @Test
    void aFusedMaxOrMinReductionKeepsTheFirstNaNAfterTheJitCompilesIt() {
        // C2's Math.max/min intrinsic returns the canonical NaN where the interpreted method returns its NaN operand:
        // 600 runs in one JVM get the loops compiled; every run must give the first NaN's bits (negated) in rows 1
        // and 3, and the plain maximum/minimum elsewhere
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            boolean f32 = ft == FloatType.F32;
            int rows = 4, len = 4096, n = rows * len;
            TensorType mat = t(ft, rows, len), out = t(ft, rows), sc = TensorType.scalar(ft);
            double nanA = f32 ? Float.intBitsToFloat(0x7fc00123) : Double.longBitsToDouble(0x7ff8000000000123L);
            double nanB = f32 ? Float.intBitsToFloat(0xffc00456) : Double.longBitsToDouble(0xfff8000000000456L);
            double[] xs = new double[n];
            for (int i = 0; i < n; i++) xs[i] = (i * 7919L) % 1000 / 8.0 - 60;
            xs[len + 5] = nanA;
            xs[len + 4000] = nanB;
            xs[3 * len + 17] = nanB;
            xs[3 * len + 18] = nanA;
            for (String comb : List.of("stablehlo.maximum", "stablehlo.minimum")) {
                Ir ir = new Ir();
                Value x = ir.arg(mat), init = ir.arg(sc);
                Value neg = ir.op("stablehlo.negate", List.of(x), mat);
                Value r = ir.ops("stablehlo.reduce", List.of(neg, init), List.of(out), List.of(Ir.combiner(comb, ft)),
                        "dimensions", i64s(1)).get(0);
                Operation f = ir.func("main", r);
                double initV = comb.endsWith("maximum") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                double[] plain = new double[rows];
                for (int o = 0; o < rows; o += 2) {
                    double acc = initV;
                    for (int i = o * len; i < (o + 1) * len; i++) acc = comb.endsWith("maximum") ? Math.max(acc, -xs[i]) : Math.min(acc, -xs[i]);
                    plain[o] = acc;
                }
                Interpreter interp = new Interpreter(Ir.module(f));
                for (int run = 0; run < 600; run++) {
                    double[] got = ((Tensor) interp.run(List.of(Ir.reals(ft, shape(rows, len), xs.clone()), Ir.reals(ft, shape(), initV))).get(0)).re;
                    assertThat(Double.doubleToRawLongBits(got[1])).as("%s %s run %d row 1", ft, comb, run).isEqualTo(Double.doubleToRawLongBits(-nanA));
                    assertThat(Double.doubleToRawLongBits(got[3])).as("%s %s run %d row 3", ft, comb, run).isEqualTo(Double.doubleToRawLongBits(-nanB));
                    assertThat(got[0]).as("%s %s run %d row 0", ft, comb, run).isEqualTo(plain[0]);
                    assertThat(got[2]).as("%s %s run %d row 2", ft, comb, run).isEqualTo(plain[2]);
                }
            }
        }
    }

    @Test
    void reductionsNotOverTrailingDimensionsStandAlone() {
        FloatType ft = FloatType.F32;
        TensorType mat = t(ft, 8, 16);
        Ir ir = new Ir();
        Value x = ir.arg(mat), init = ir.arg(TensorType.scalar(ft));
        Value e = ir.op("stablehlo.exponential", List.of(x), mat);
        Value r = ir.ops("stablehlo.reduce", List.of(e, init), List.of(t(ft, 16)), List.of(Ir.combiner("stablehlo.add", ft)),
                "dimensions", i64s(0)).get(0);
        Operation f = ir.func("main", r);
        Operation exp = opNamed(entry(f), "stablehlo.exponential", 0);
        ElementwiseFusion.Group g = group(ElementwiseFusion.plan(entry(f)), exp);
        assertThat(g.units()).hasSize(1);
        assertThat(g.rowLength()).isZero();
        // a full reduction of a large tensor (one row) stays out of the pass, which would run on one core
        Ir big = new Ir();
        Value bx = big.arg(t(ft, 512, 512)), binit = big.arg(TensorType.scalar(ft));
        Value be = big.op("stablehlo.exponential", List.of(bx), t(ft, 512, 512));
        Value bs = big.ops("stablehlo.reduce", List.of(be, binit), List.of(TensorType.scalar(ft)), List.of(Ir.combiner("stablehlo.add", ft)),
                "dimensions", i64s(0, 1)).get(0);
        Operation bf = big.func("main", bs);
        assertThat(group(ElementwiseFusion.plan(entry(bf)), opNamed(entry(bf), "stablehlo.exponential", 0)).units()).hasSize(1);
        double[] xs = random(128, 4, -1, 1, true);
        double[] got = ((Tensor) Ir.run(f, Ir.reals(ft, shape(8, 16), xs), Ir.reals(ft, shape(), 0)).get(0)).re;
        for (int j = 0; j < 16; j++) {
            float s = 0;
            for (int i = 0; i < 8; i++) s += (float) Math.exp(xs[i * 16 + j]);
            assertThat(got[j]).isEqualTo(s);
        }
    }

    /** A group's value read by an op outside it before the group's last member: the group stops there. */
    @Test
    void aValueReadBeforeTheGroupRunsEndsTheGroup() {
        FloatType ft = FloatType.F32;
        int rows = 50, cols = 3000, n = rows * cols;
        TensorType mat = t(ft, rows, cols), row = t(ft, rows);
        for (boolean early : List.of(true, false)) {
            Ir ir = new Ir();
            Value x = ir.arg(mat), zero = ir.arg(TensorType.scalar(ft));
            Value e = ir.op("stablehlo.exponential", List.of(x), mat);
            Value s = ir.ops("stablehlo.reduce", List.of(e, zero), List.of(row), List.of(Ir.combiner("stablehlo.add", ft)),
                    "dimensions", i64s(1)).get(0);
            Value s2 = early ? ir.op("stablehlo.reshape", List.of(s), t(ft, rows, 1)) : null; // reads s before the divide
            Value sb = ir.op("stablehlo.broadcast_in_dim", List.of(s), mat, "broadcast_dimensions", i64s(0));
            Value w = ir.op("stablehlo.divide", List.of(e, sb), mat);
            if (!early) s2 = ir.op("stablehlo.reshape", List.of(s), t(ft, rows, 1)); // after: the group may include the divide
            Operation f = ir.func("main", w, s2);
            ElementwiseFusion.Plan plan = ElementwiseFusion.plan(entry(f));
            Operation exp = opNamed(entry(f), "stablehlo.exponential", 0), div = opNamed(entry(f), "stablehlo.divide", 0);
            assertThat(group(plan, exp) == group(plan, div)).as("one group, early=%s", early).isEqualTo(!early);
            double[] xs = random(n, 31, -3, 3, true);
            List<RtValue> out = Ir.run(f, Ir.reals(ft, shape(rows, cols), xs), Ir.reals(ft, shape(), 0));
            double[] ew = new double[n], sw = new double[rows], ww = new double[n];
            for (int i = 0; i < n; i++) {
                ew[i] = (float) Math.exp(xs[i]);
                sw[i / cols] = (float) sw[i / cols] + (float) ew[i];
            }
            for (int i = 0; i < n; i++) ww[i] = (float) ew[i] / (float) sw[i / cols];
            assertBits(((Tensor) out.get(0)).re, ww, "e / sum, early=" + early);
            assertBits(((Tensor) out.get(1)).re, sw, "sum, early=" + early);
        }
    }

    /** A reduction of a value that an earlier group produced (not as that group's last op) starts a group of its own. */
    @Test
    void reductionOfAnEarlierGroupsValue() {
        FloatType ft = FloatType.F32;
        int rows = 40, cols = 1000, n = rows * cols;
        TensorType mat = t(ft, rows, cols);
        Ir ir = new Ir();
        Value x = ir.arg(mat), zero = ir.arg(TensorType.scalar(ft));
        Value a = ir.op("stablehlo.exponential", List.of(x), mat);
        Value b = ir.op("stablehlo.negate", List.of(a), mat);
        Value c = ir.op("stablehlo.reshape", List.of(b), t(ft, n)); // reads b: the first group ends before the reduce
        Value s = ir.ops("stablehlo.reduce", List.of(a, zero), List.of(t(ft, rows)), List.of(Ir.combiner("stablehlo.add", ft)),
                "dimensions", i64s(1)).get(0);
        Value sb = ir.op("stablehlo.broadcast_in_dim", List.of(s), mat, "broadcast_dimensions", i64s(0));
        Value d = ir.op("stablehlo.divide", List.of(a, sb), mat);
        Operation f = ir.func("main", d, c);
        Block blk = entry(f);
        ElementwiseFusion.Plan plan = ElementwiseFusion.plan(blk);
        Operation exp = opNamed(blk, "stablehlo.exponential", 0), red = opNamed(blk, "stablehlo.reduce", 0);
        Operation div = opNamed(blk, "stablehlo.divide", 0);
        assertThat(group(plan, exp).units()).hasSize(2); // exp, negate
        assertThat(group(plan, red)).isSameAs(group(plan, div));
        assertThat(group(plan, red).rowLength()).isEqualTo(cols);
        assertThat(unit(plan, div).inPlace()).as("a is read by the negate of the earlier group only before").isEqualTo(0);
        double[] xs = random(n, 41, -2, 2, true);
        List<RtValue> out = Ir.run(f, Ir.reals(ft, shape(rows, cols), xs), Ir.reals(ft, shape(), 0));
        double[] av = new double[n], sum = new double[rows], dw = new double[n], cw = new double[n];
        for (int i = 0; i < n; i++) {
            av[i] = (float) Math.exp(xs[i]);
            cw[i] = -av[i];
            sum[i / cols] = (float) sum[i / cols] + (float) av[i];
        }
        for (int i = 0; i < n; i++) dw[i] = (float) av[i] / (float) sum[i / cols];
        assertBits(((Tensor) out.get(0)).re, dw, "a / sum(a)");
        assertBits(((Tensor) out.get(1)).re, cw, "reshape(-a)");
    }

    /** Softmax in a while body, three iterations: the carried value is a block argument, never overwritten. */
    @Test
    void groupsInALoopBody() {
        FloatType ft = FloatType.F32;
        int rows = 70, cols = 600, n = rows * cols;
        TensorType i32 = t(IntegerType.I32), mat = t(ft, rows, cols), row = t(ft, rows), sc = TensorType.scalar(ft);
        Ir ir = new Ir();
        Value i0 = ir.arg(i32), x0 = ir.arg(mat);
        var cond = Ir.region(List.of(i32, mat), r -> {
            Value three = r.op("stablehlo.constant", List.of(), i32, "value",
                    io.hlo4j.mlir.attr.DenseElementsAttr.of(i32, new byte[] {3, 0, 0, 0}));
            return List.of(r.op("stablehlo.compare", List.of(r.blockArg(0), three), t(IntegerType.I1),
                    "comparison_direction", Ir.text("#stablehlo<comparison_direction LT>")));
        });
        var body = Ir.region(List.of(i32, mat), r -> {
            Value one = r.op("stablehlo.constant", List.of(), i32, "value", io.hlo4j.mlir.attr.DenseElementsAttr.of(i32, new byte[] {1, 0, 0, 0}));
            Value ninf = r.op("stablehlo.constant", List.of(), sc, "value",
                    io.hlo4j.mlir.attr.DenseElementsAttr.of(sc, new byte[] {0, 0, (byte) 0x80, (byte) 0xFF}));
            Value zero = r.op("stablehlo.constant", List.of(), sc, "value", io.hlo4j.mlir.attr.DenseElementsAttr.of(sc, new byte[4]));
            Value x = r.blockArg(1);
            Value m = r.ops("stablehlo.reduce", List.of(x, ninf), List.of(row), List.of(Ir.combiner("stablehlo.maximum", ft)),
                    "dimensions", i64s(1)).get(0);
            Value mb = r.op("stablehlo.broadcast_in_dim", List.of(m), mat, "broadcast_dimensions", i64s(0));
            Value e = r.op("stablehlo.exponential", List.of(r.op("stablehlo.subtract", List.of(x, mb), mat)), mat);
            Value s = r.ops("stablehlo.reduce", List.of(e, zero), List.of(row), List.of(Ir.combiner("stablehlo.add", ft)),
                    "dimensions", i64s(1)).get(0);
            Value sb = r.op("stablehlo.broadcast_in_dim", List.of(s), mat, "broadcast_dimensions", i64s(0));
            return List.of(r.op("stablehlo.add", List.of(r.blockArg(0), one), i32), r.op("stablehlo.divide", List.of(e, sb), mat));
        });
        ElementwiseFusion.Plan bodyPlan = ElementwiseFusion.plan(body.entry());
        assertThat(bodyPlan.groups()).hasSize(1); // the softmax, one group of 4 units (the i32 counter is not fused)
        Operation div = opNamed(body.entry(), "stablehlo.divide", 0);
        assertThat(bodyPlan.groups().get(div).units()).hasSize(4);
        assertThat(unit(bodyPlan, div).inPlace()).isEqualTo(0);
        List<? extends Value> w = ir.ops("stablehlo.while", List.of(i0, x0), List.of(i32, mat), List.of(cond, body));
        Operation f = ir.func("main", w.get(1));
        double[] xs = random(n, 51, -5, 5, true);
        Tensor x = Ir.reals(ft, shape(rows, cols), xs.clone());
        double[] got = ((Tensor) Ir.run(f, Tensor.scalarInt(IntegerType.I32, 0), x).get(0)).re;
        double[] want = xs.clone();
        for (int it = 0; it < 3; it++) {
            double[] next = new double[n];
            for (int r = 0; r < rows; r++) {
                float mx = Float.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < cols; j++) mx = Math.max(mx, (float) want[r * cols + j]);
                float[] e = new float[cols];
                for (int j = 0; j < cols; j++) {
                    e[j] = (float) Math.exp((float) want[r * cols + j] - mx);
                    sum += e[j];
                }
                for (int j = 0; j < cols; j++) next[r * cols + j] = e[j] / sum;
            }
            want = next;
        }
        assertBits(got, want, "three softmax iterations");
        assertBits(x.re, xs, "input untouched");
    }
}
