package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.i64s;
import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TransposeFolding}: a transpose whose one reader is a dot runs inside the dot. Oracles: the same program with
 * a second reader of the transpose (so nothing folds, asserted on the plan), bit for bit, and for f32, f64 and i32 a
 * dot written here over the transposed indices (f32: one fma per contracting index, ascending from +0; f64: a product
 * then a sum; i32: wrapping).
 */
class TransposeFoldingTest {
    static String dot(long[] lb, long[] rb, long[] lc, long[] rc) {
        return "#stablehlo.dot<lhs_batching_dimensions = " + Arrays.toString(lb) + ", rhs_batching_dimensions = " + Arrays.toString(rb)
                + ", lhs_contracting_dimensions = " + Arrays.toString(lc) + ", rhs_contracting_dimensions = " + Arrays.toString(rc) + ">";
    }

    static List<long[]> permutations(int n) {
        List<long[]> out = new ArrayList<>();
        permute(new long[n], new boolean[n], 0, out);
        return out;
    }

    private static void permute(long[] p, boolean[] used, int at, List<long[]> out) {
        if (at == p.length) { out.add(p.clone()); return; }
        for (int d = 0; d < p.length; d++) {
            if (used[d]) continue;
            used[d] = true;
            p[at] = d;
            permute(p, used, at + 1, out);
            used[d] = false;
        }
    }

    static long[] permuted(long[] shape, long[] perm) {
        long[] o = new long[perm.length];
        for (int i = 0; i < perm.length; i++) o[i] = shape[(int) perm[i]];
        return o;
    }

    static long[] inverse(long[] perm) {
        long[] inv = new long[perm.length];
        for (int i = 0; i < perm.length; i++) inv[(int) perm[i]] = i;
        return inv;
    }

    /** One case: the dot's operands (after the transposes) have these shapes and dimension numbers. */
    record Case(long[] lshape, long[] rshape, long[] lb, long[] rb, long[] lc, long[] rc, long[] outShape) {}

    /** Random dimension numbers for a lhs of rank {@code lr} and rhs of rank {@code rr}: 0-1 batch, 1-2 contracting. */
    static Case randomCase(SplittableRandom rng, int lr, int rr) {
        int nb = Math.min(rng.nextInt(2), Math.min(lr, rr) - 1), nc = 1 + rng.nextInt(Math.min(2, Math.min(lr, rr) - nb));
        long[] lperm = permutations(lr).get(rng.nextInt(permutations(lr).size())), rperm = permutations(rr).get(rng.nextInt(permutations(rr).size()));
        long[] lshape = new long[lr], rshape = new long[rr];
        for (int d = 0; d < lr; d++) lshape[d] = 1 + rng.nextInt(4);
        for (int d = 0; d < rr; d++) rshape[d] = 1 + rng.nextInt(4);
        long[] lb = Arrays.copyOfRange(lperm, 0, nb), lc = Arrays.copyOfRange(lperm, nb, nb + nc);
        long[] rb = Arrays.copyOfRange(rperm, 0, nb), rc = Arrays.copyOfRange(rperm, nb, nb + nc);
        for (int i = 0; i < nb; i++) rshape[(int) rb[i]] = lshape[(int) lb[i]];
        for (int i = 0; i < nc; i++) rshape[(int) rc[i]] = lshape[(int) lc[i]];
        List<Long> out = new ArrayList<>();
        for (long d : lb) out.add(lshape[(int) d]);
        for (int d : DotKernels.free(lr, lb, lc)) out.add(lshape[d]);
        for (int d : DotKernels.free(rr, rb, rc)) out.add(rshape[d]);
        return new Case(lshape, rshape, lb, rb, lc, rc, out.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * Builds x -> transpose(x, lp) (or x itself when lp is null), the same for y, then the dot; with {@code extraReader},
     * the transposes' results are returned too (a second reader: nothing folds). Returns the dot's result.
     */
    static Tensor run(ElementType et, Case c, long[] lp, long[] rp, Tensor x, Tensor y, boolean extraReader, int expectFolds) {
        Ir ir = new Ir();
        Value xa = ir.arg(x.type), ya = ir.arg(y.type);
        Value l = lp == null ? xa : ir.op("stablehlo.transpose", List.of(xa), t(et, c.lshape), "permutation", i64s(lp));
        Value r = rp == null ? ya : ir.op("stablehlo.transpose", List.of(ya), t(et, c.rshape), "permutation", i64s(rp));
        Value d = ir.op("stablehlo.dot_general", List.of(l, r), t(et, c.outShape), "dot_dimension_numbers", Ir.text(dot(c.lb, c.rb, c.lc, c.rc)));
        Operation f = extraReader ? ir.func("main", d, l, r) : ir.func("main", d);
        assertThat(TransposeFolding.plan(f.region(0).entry())).hasSize(expectFolds);
        return (Tensor) Ir.run(f, x, y).get(0);
    }

    /** Every permutation of a rank-2, 3 or 4 lhs, each with a rank-2, 3 and 4 rhs (itself transposed in every other case). */
    @Test
    void everyPermutationOfRank2To4OperandsGivesTheUnfoldedBits() {
        SplittableRandom rng = new SplittableRandom(11);
        ElementType[] types = {FloatType.F32, FloatType.F64, IntegerType.I32, FloatType.BF16, ComplexType.C64};
        int cases = 0;
        for (int lr = 2; lr <= 4; lr++) {
            for (int rr = 2; rr <= 4; rr++) {
                for (long[] perm : permutations(lr)) {
                    ElementType et = types[cases % types.length];
                    Case c = randomCase(rng, lr, rr);
                    // the lhs transposed by perm (x holds the untransposed values); the rhs transposed by a random one on odd cases
                    long[] rp = cases % 2 == 1 ? permutations(rr).get(rng.nextInt(permutations(rr).size())) : null;
                    // special values (NaN, infinities, signed zeros) on every third case: then only the unfolded bits are the oracle
                    boolean special = cases % 3 == 0;
                    Tensor x = fill(rng, Tensor.zeros(TensorType.of(et, permuted(c.lshape, inverse(perm)))), et, special);
                    Tensor y = fill(rng, Tensor.zeros(TensorType.of(et, rp == null ? c.rshape : permuted(c.rshape, inverse(rp)))), et, special);
                    int folds = rp == null ? 1 : 2;
                    Tensor got = run(et, c, perm, rp, x, y, false, folds);
                    Tensor want = run(et, c, perm, rp, x, y, true, 0);
                    String what = et + " " + Arrays.toString(perm) + " " + c;
                    assertBits(got, want, what);
                    if (!special && (et == FloatType.F32 || et == FloatType.F64 || et == IntegerType.I32)) {
                        assertBits(got, byHand(et, c, ShapeKernels.transpose(x, TensorType.of(et, c.lshape), perm),
                                rp == null ? y : ShapeKernels.transpose(y, TensorType.of(et, c.rshape), rp)), what + " by hand");
                    }
                    cases++;
                }
            }
        }
        assertThat(cases).isEqualTo(3 * (2 + 6 + 24));
    }

    @Test
    void rhsOnlyAndTheMoeShapesFold() {
        SplittableRandom rng = new SplittableRandom(3);
        // the gradient dots' forms: [k, m]^T x [k, n] and x [n, k]^T, wide enough for the f32 kernels' tiles and NarrowMatmul
        Case c = new Case(shape(70, 40), shape(40, 9), shape(), shape(), shape(1), shape(0), shape(70, 9));
        ElementType et = FloatType.F32;
        Tensor x = fill(rng, Tensor.zeros(TensorType.of(et, shape(40, 70))), et, false);
        Tensor y = fill(rng, Tensor.zeros(TensorType.of(et, shape(9, 40))), et, false);
        long[] swap = {1, 0};
        for (long[][] p : new long[][][] {{swap, null}, {null, swap}, {swap, swap}}) {
            Tensor xx = p[0] == null ? ShapeKernels.transpose(x, TensorType.of(et, shape(70, 40)), swap) : x;
            Tensor yy = p[1] == null ? ShapeKernels.transpose(y, TensorType.of(et, shape(40, 9)), swap) : y;
            int folds = (p[0] == null ? 0 : 1) + (p[1] == null ? 0 : 1);
            Tensor got = run(et, c, p[0], p[1], xx, yy, false, folds);
            assertBits(got, run(et, c, p[0], p[1], xx, yy, true, 0), "moe form");
            assertBits(got, byHand(et, c, ShapeKernels.transpose(x, TensorType.of(et, shape(70, 40)), swap),
                    ShapeKernels.transpose(y, TensorType.of(et, shape(40, 9)), swap)), "moe form by hand");
        }
    }

    /**
     * Four transposes of x, none of which folds: one read by two dots, one read by both operands of a dot, one read
     * only inside a {@code case} branch, and one read by a top-level dot and inside the branch (the top level sees one
     * reader, a dot: only the region read, counted by {@link TransposeFolding#plan}, keeps the transpose, whose value
     * the branch needs). Every result is x^T x: checked by hand and against the same program also returning the
     * transposes.
     */
    @Test
    void aTransposeWithTwoReadersOrReadInARegionOrByBothOperandsDoesNotFold() {
        Tensor xv = Ir.reals(FloatType.F32, shape(3, 4), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        List<RtValue> out = notFolding(xv, false);
        assertThat(out).hasSize(6);
        List<RtValue> unfolded = notFolding(xv, true);
        // x^T x by hand: entry (i, j) = sum_r x[r][i] x[r][j], integers: exact in any order
        double[] want = new double[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) for (int r = 0; r < 3; r++) want[i * 4 + j] += xv.re[r * 4 + i] * xv.re[r * 4 + j];
        for (int i = 0; i < out.size(); i++) {
            assertThat(((Tensor) out.get(i)).re).as("result %d", i).containsExactly(want);
            assertBits((Tensor) out.get(i), (Tensor) unfolded.get(i), "result " + i + " against the program returning the transposes");
        }
    }

    /** {@link #aTransposeWithTwoReadersOrReadInARegionOrByBothOperandsDoesNotFold}'s program; {@code alsoTransposes}: returns them too. */
    private static List<RtValue> notFolding(Tensor xv, boolean alsoTransposes) {
        FloatType ft = FloatType.F32;
        Ir ir = new Ir();
        Value x = ir.arg(t(ft, 3, 4));
        Value tr = ir.op("stablehlo.transpose", List.of(x), t(ft, 4, 3), "permutation", i64s(1, 0));
        String mm = dot(shape(), shape(), shape(1), shape(0));
        Value d1 = ir.op("stablehlo.dot_general", List.of(tr, x), t(ft, 4, 4), "dot_dimension_numbers", Ir.text(mm));
        Value d2 = ir.op("stablehlo.dot_general", List.of(tr, x), t(ft, 4, 4), "dot_dimension_numbers", Ir.text(mm));
        Value both = ir.op("stablehlo.transpose", List.of(x), t(ft, 4, 3), "permutation", i64s(1, 0));
        Value sq = ir.op("stablehlo.dot_general", List.of(both, both), t(ft, 4, 4), "dot_dimension_numbers",
                Ir.text(dot(shape(), shape(), shape(1), shape(1))));
        Value inRegion = ir.op("stablehlo.transpose", List.of(x), t(ft, 4, 3), "permutation", i64s(1, 0));
        Value mixed = ir.op("stablehlo.transpose", List.of(x), t(ft, 4, 3), "permutation", i64s(1, 0));
        Value top = ir.op("stablehlo.dot_general", List.of(mixed, x), t(ft, 4, 4), "dot_dimension_numbers", Ir.text(mm));
        var region = Ir.region(List.of(), r -> List.of(
                r.op("stablehlo.dot_general", List.of(inRegion, x), t(ft, 4, 4), "dot_dimension_numbers", Ir.text(mm)),
                r.op("stablehlo.dot_general", List.of(mixed, x), t(ft, 4, 4), "dot_dimension_numbers", Ir.text(mm))));
        List<? extends Value> cs = ir.ops("stablehlo.case", List.of(ir.arg(t(IntegerType.I32))), List.of(t(ft, 4, 4), t(ft, 4, 4)), List.of(region));
        Operation f = alsoTransposes ? ir.func("main", d1, d2, sq, top, cs.get(0), cs.get(1), tr, both, inRegion, mixed)
                : ir.func("main", d1, d2, sq, top, cs.get(0), cs.get(1));
        Block b = f.region(0).entry();
        assertThat(TransposeFolding.plan(b)).isEmpty();
        return Ir.run(f, xv, Ir.ints(IntegerType.I32, shape(), 0)).subList(0, 6);
    }

    @Test
    void aFoldedTransposeReadInsideARegionBlockFoldsThere() {
        // the transpose and its dot both in a case branch: the branch's own plan folds it
        FloatType ft = FloatType.F32;
        Ir ir = new Ir();
        Value x = ir.arg(t(ft, 3, 4));
        var region = Ir.region(List.of(), r -> {
            Value tr = r.op("stablehlo.transpose", List.of(x), t(ft, 4, 3), "permutation", i64s(1, 0));
            return List.of(r.op("stablehlo.dot_general", List.of(tr, x), t(ft, 4, 4), "dot_dimension_numbers",
                    Ir.text(dot(shape(), shape(), shape(1), shape(0)))));
        });
        assertThat(TransposeFolding.plan(region.entry())).hasSize(1);
        Value cs = ir.ops("stablehlo.case", List.of(ir.arg(t(IntegerType.I32))), List.of(t(ft, 4, 4)), List.of(region)).get(0);
        Tensor xv = Ir.reals(ft, shape(3, 4), 1, -2, 3, 4, 5, 6, -7, 8, 9, 10, 11, 0.5);
        Tensor got = (Tensor) Ir.run(ir.func("main", cs), xv, Ir.ints(IntegerType.I32, shape(), 0)).get(0);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                float s = 0;
                for (int r = 0; r < 3; r++) s = Math.fma((float) xv.re[r * 4 + i], (float) xv.re[r * 4 + j], s);
                assertThat(got.re[i * 4 + j]).isEqualTo((double) s);
            }
        }
    }

    static final String WHILE = """
        func.func @main(%x: tensor<3x3xf32>, %w0: tensor<3x3xf32>) -> tensor<3x3xf32> {
          %zero = stablehlo.constant dense<0> : tensor<i64>
          %one = stablehlo.constant dense<1> : tensor<i64>
          %lim = stablehlo.constant dense<3> : tensor<i64>
          %r:2 = stablehlo.while(%i = %zero, %w = %w0) : tensor<i64>, tensor<3x3xf32>
            cond {
              %lt = stablehlo.compare LT, %i, %lim : (tensor<i64>, tensor<i64>) -> tensor<i1>
              stablehlo.return %lt : tensor<i1>
            } do {
              %j = stablehlo.add %i, %one : tensor<i64>
              %t = stablehlo.transpose %w, dims = [1, 0] : (tensor<3x3xf32>) -> tensor<3x3xf32>
              %tx = stablehlo.transpose %x, dims = [1, 0] : (tensor<3x3xf32>) -> tensor<3x3xf32>
              EXTRA
              %d = stablehlo.dot_general %t, %tx, contracting_dims = [1] x [0] : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
              %s = stablehlo.negate %d : tensor<3x3xf32>
              stablehlo.return %j, %s : tensor<i64>, tensor<3x3xf32>
            }
          func.return %r#1 : tensor<3x3xf32>
        }""";

    /** Parses {@code src}, asserts how many transposes the plan of {@code block(module)} folds, and runs it. */
    private static List<RtValue> runText(String src, java.util.function.Function<Operation, Block> block, int expectFolds, RtValue... in) {
        io.hlo4j.mlir.ir.Module m = io.hlo4j.mlir.parse.MlirParser.parseModule(src, "fold.mlir");
        assertThat(TransposeFolding.plan(block.apply(m.entryFunction()))).hasSize(expectFolds);
        return new Interpreter(m).run(List.of(in));
    }

    private static Operation opNamed(Block b, String name) {
        return b.operations().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aWhileBodyFoldsTransposesOfALoopCarriedAndAnOuterValueEveryIteration() {
        // w <- -(w^T x^T) three times: the body's plan folds both transposes, each iteration binds them afresh
        SplittableRandom rng = new SplittableRandom(5);
        FloatType ft = FloatType.F32;
        Tensor x = fill(rng, Tensor.zeros(t(ft, 3, 3)), ft, false), w = fill(rng, Tensor.zeros(t(ft, 3, 3)), ft, false);
        java.util.function.Function<Operation, Block> body = f -> opNamed(f.region(0).entry(), "stablehlo.while").region(1).entry();
        Tensor got = (Tensor) runText(WHILE.replace("EXTRA", ""), body, 2, x, w).get(0);
        Tensor want = (Tensor) runText(WHILE.replace("EXTRA", """
                %e1 = stablehlo.negate %t : tensor<3x3xf32>
                %e2 = stablehlo.negate %tx : tensor<3x3xf32>"""), body, 0, x, w).get(0);
        assertBits(got, want, "while");
        float[] cur = new float[9];
        for (int i = 0; i < 9; i++) cur[i] = (float) w.re[i];
        for (int it = 0; it < 3; it++) {
            float[] next = new float[9];
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++) {
                    float s = 0; // (w^T x^T)[a][b] = sum_k w[k][a] x[b][k], one fma per k from +0
                    for (int k = 0; k < 3; k++) s = Math.fma(cur[k * 3 + a], (float) x.re[b * 3 + k], s);
                    next[a * 3 + b] = -s;
                }
            }
            cur = next;
        }
        for (int i = 0; i < 9; i++) {
            assertThat(Double.doubleToRawLongBits(got.re[i])).as("element %d", i).isEqualTo(Double.doubleToRawLongBits(cur[i]));
        }
    }

    static final String FUSED = """
        func.func @main(%x: tensor<8x16xf32>, %v: tensor<8x4xf32>) -> (tensor<16x4xf32>, tensor<8x16xf32>) {
          %y = stablehlo.multiply %x, %x : tensor<8x16xf32>
          %z = stablehlo.add %y, %x : tensor<8x16xf32>
          %t = stablehlo.transpose %z, dims = [1, 0] : (tensor<8x16xf32>) -> tensor<16x8xf32>
          EXTRA
          %d = stablehlo.dot_general %t, %v, contracting_dims = [1] x [0] : (tensor<16x8xf32>, tensor<8x4xf32>) -> tensor<16x4xf32>
          %u = stablehlo.subtract %z, %x : tensor<8x16xf32>
          %u2 = stablehlo.negate %u : tensor<8x16xf32>
          func.return %d, %u2 : tensor<16x4xf32>, tensor<8x16xf32>
        }""";

    @Test
    void aTransposeOfAFusedChainsValueFolds() {
        // z ends the fused chain multiply -> add, and is read by the transpose and by a later chain
        SplittableRandom rng = new SplittableRandom(6);
        FloatType ft = FloatType.F32;
        Tensor x = fill(rng, Tensor.zeros(t(ft, 8, 16)), ft, false), v = fill(rng, Tensor.zeros(t(ft, 8, 4)), ft, false);
        java.util.function.Function<Operation, Block> entry = f -> f.region(0).entry();
        Block b = entry.apply(io.hlo4j.mlir.parse.MlirParser.parseModule(FUSED.replace("EXTRA", ""), "fold.mlir").entryFunction());
        assertThat(ElementwiseFusion.plan(b).skipped()).as("multiply runs with add's chain").contains(opNamed(b, "stablehlo.multiply"));
        List<RtValue> got = runText(FUSED.replace("EXTRA", ""), entry, 1, x, v);
        List<RtValue> want = runText(FUSED.replace("EXTRA", "%e = stablehlo.negate %t : tensor<16x8xf32>"), entry, 0, x, v);
        assertBits((Tensor) got.get(0), (Tensor) want.get(0), "d");
        assertBits((Tensor) got.get(1), (Tensor) want.get(1), "u2");
        float[] z = new float[8 * 16];
        for (int i = 0; i < z.length; i++) z[i] = (float) x.re[i] * (float) x.re[i] + (float) x.re[i];
        Tensor d = (Tensor) got.get(0), u2 = (Tensor) got.get(1);
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 4; j++) {
                float s = 0; // (z^T v)[i][j] = sum_r z[r][i] v[r][j]
                for (int r = 0; r < 8; r++) s = Math.fma(z[r * 16 + i], (float) v.re[r * 4 + j], s);
                assertThat(Double.doubleToRawLongBits(d.re[i * 4 + j])).as("d %d %d", i, j).isEqualTo(Double.doubleToRawLongBits(s));
            }
        }
        for (int i = 0; i < z.length; i++) {
            assertThat(Double.doubleToRawLongBits(u2.re[i])).as("u2 %d", i).isEqualTo(Double.doubleToRawLongBits(-(z[i] - (float) x.re[i])));
        }
    }

    static final String RAGGED_MODE2 = "#chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], "
            + "lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0], lhs_ragged_dimensions = [1], rhs_group_dimensions = []>";

    /** ragged_dot of transpose(x) (or x) and transpose(y) (or y); extraReader returns the transposes too. */
    static Tensor ragged(String dn, TensorType lt, TensorType rt, TensorType out, Tensor x, long[] lp, Tensor y, long[] rp, Tensor gs,
                         boolean extraReader, int expectFolds) {
        Ir ir = new Ir();
        Value xa = ir.arg(x.type), ya = ir.arg(y.type), g = ir.arg(gs.type);
        Value l = lp == null ? xa : ir.op("stablehlo.transpose", List.of(xa), lt, "permutation", i64s(lp));
        Value r = rp == null ? ya : ir.op("stablehlo.transpose", List.of(ya), rt, "permutation", i64s(rp));
        Value d = ir.op("chlo.ragged_dot", List.of(l, r, g), out, "ragged_dot_dimension_numbers", Ir.text(dn));
        Operation f = extraReader ? ir.func("main", d, l, r) : ir.func("main", d);
        assertThat(TransposeFolding.plan(f.region(0).entry())).hasSize(expectFolds);
        return (Tensor) Ir.run(f, x, y, gs).get(0);
    }

    @Test
    void raggedDotWeightGradientsReadTheirTransposedOperandsInPlace() {
        // mode 2 as a MoE's weight gradient: lhs [k, m] = transpose of activations [m, k], rhs [m, n] (or transposed [n, m]);
        // groups of rows, one empty, rows past the last group; an rhs with an infinity takes the general path
        SplittableRandom rng = new SplittableRandom(21);
        FloatType ft = FloatType.F32;
        int m = 150, k = 37, n = 70;
        long[] sizes = {40, 0, 61, 30};
        Tensor gs = Ir.ints(IntegerType.I32, shape(4), sizes);
        for (int trial = 0; trial < 4; trial++) {
            Tensor x = fill(rng, Tensor.zeros(t(ft, m, k)), ft, false);
            boolean rhsT = trial % 2 == 1;
            Tensor y = fill(rng, Tensor.zeros(rhsT ? t(ft, n, m) : t(ft, m, n)), ft, false);
            if (trial >= 2) y.re[5] = trial == 2 ? Double.POSITIVE_INFINITY : -0.0;
            long[] rp = rhsT ? shape(1, 0) : null;
            TensorType out = t(ft, 4, k, n);
            Tensor got = ragged(RAGGED_MODE2, t(ft, k, m), t(ft, m, n), out, x, shape(1, 0), y, rp, gs, false, rhsT ? 2 : 1);
            Tensor want = ragged(RAGGED_MODE2, t(ft, k, m), t(ft, m, n), out, x, shape(1, 0), y, rp, gs, true, 0);
            assertBits(got, want, "mode 2, trial " + trial);
            if (trial == 2) continue; // 0 x inf in the masked rows: NaN by the general path's definition
            Tensor yy = rhsT ? ShapeKernels.transpose(y, t(ft, m, n), shape(1, 0)) : y;
            for (int g = 0, lo = 0; g < 4; lo += (int) sizes[g], g++) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < n; j++) {
                        float s = 0; // the general path: every row of m, zero outside the group
                        for (int r = 0; r < m; r++) {
                            float a = r >= lo && r < lo + sizes[g] ? (float) x.re[r * k + i] : 0f;
                            s = Math.fma(a, (float) yy.re[r * n + j], s);
                        }
                        assertThat(Double.doubleToRawLongBits(got.re[(g * k + i) * n + j])).as("g %d i %d j %d", g, i, j)
                                .isEqualTo(Double.doubleToRawLongBits(s));
                    }
                }
            }
        }
    }

    @Test
    void raggedDotRowGroupsReadATransposedExpertMatrixInPlace() {
        // mode 1 as a MoE's input gradient: lhs [m, k] in row groups, rhs [groups, k, n] = transpose of [groups, n, k]
        SplittableRandom rng = new SplittableRandom(22);
        FloatType ft = FloatType.F32;
        int m = 90, k = 67, n = 131, groups = 3;
        long[] sizes = {30, 0, 41};
        Tensor gs = Ir.ints(IntegerType.I32, shape(groups), sizes);
        Tensor x = fill(rng, Tensor.zeros(t(ft, m, k)), ft, false), w = fill(rng, Tensor.zeros(t(ft, groups, n, k)), ft, false);
        TensorType out = t(ft, m, n), rt = t(ft, groups, k, n);
        Tensor got = ragged(MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), rt, out, x, null, w, shape(0, 2, 1), gs, false, 1);
        assertBits(got, ragged(MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), rt, out, x, null, w, shape(0, 2, 1), gs, true, 0), "mode 1");
        for (int g = 0, row = 0; g <= groups; g++) {
            int end = g < groups ? row + (int) sizes[g] : m;
            for (; row < end; row++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    if (g < groups) for (int q = 0; q < k; q++) s = Math.fma((float) x.re[row * k + q], (float) w.re[(g * n + j) * k + q], s);
                    assertThat(got.re[row * n + j]).as("row %d col %d", row, j).isEqualTo((double) s);
                }
            }
        }
    }

    /** Mode 2 with the ragged dimension 0 of lhs [m, k]. */
    static final String RAGGED_MODE2_R0 = "#chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], "
            + "lhs_contracting_dimensions = [0], rhs_contracting_dimensions = [0], lhs_ragged_dimensions = [0], rhs_group_dimensions = []>";

    @Test
    void raggedDotFormsReadInPlaceOrMaterializedGiveTheUnfoldedBits() {
        // the forms the two tests above do not take: folded operands that materialize (mode 1 lhs, rhs by (1, 0, 2), both,
        // f64), mode 2 with only rhs folded or with ragged dimension 0 after the transpose, special values in either operand
        SplittableRandom rng = new SplittableRandom(7);
        FloatType ft = FloatType.F32;
        int m = 45, k = 19, n = 23, g = 3;
        Tensor gs = Ir.ints(IntegerType.I32, shape(g), 10, 0, 30); // 5 rows past the last group
        TensorType out1 = t(ft, m, n), out2 = t(ft, g, k, n);
        record Form(String what, String dn, TensorType lt, TensorType rt, TensorType out, Tensor x, long[] lp, Tensor y, long[] rp) {}
        List<Form> forms = List.of(
                new Form("mode 1, lhs [k, m] folded", MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), t(ft, g, k, n), out1,
                        fill(rng, Tensor.zeros(t(ft, k, m)), ft, false), shape(1, 0), fill(rng, Tensor.zeros(t(ft, g, k, n)), ft, false), null),
                new Form("mode 1, lhs [k, m] folded, special values", MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), t(ft, g, k, n), out1,
                        TransposeTilesTest.fill(rng, Tensor.zeros(t(ft, k, m)), ft), shape(1, 0), fill(rng, Tensor.zeros(t(ft, g, k, n)), ft, false), null),
                new Form("mode 1, rhs [k, g, n] by (1, 0, 2)", MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), t(ft, g, k, n), out1,
                        fill(rng, Tensor.zeros(t(ft, m, k)), ft, false), null, fill(rng, Tensor.zeros(t(ft, k, g, n)), ft, false), shape(1, 0, 2)),
                new Form("mode 1, both folded", MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), t(ft, g, k, n), out1,
                        fill(rng, Tensor.zeros(t(ft, k, m)), ft, false), shape(1, 0), fill(rng, Tensor.zeros(t(ft, g, n, k)), ft, false), shape(0, 2, 1)),
                new Form("mode 1, row groups, special values", MoeKernelsTest.RAGGED_MODE1, t(ft, m, k), t(ft, g, k, n), out1,
                        TransposeTilesTest.fill(rng, Tensor.zeros(t(ft, m, k)), ft), null, TransposeTilesTest.fill(rng, Tensor.zeros(t(ft, g, n, k)), ft), shape(0, 2, 1)),
                new Form("mode 2, rhs [n, m] folded only", RAGGED_MODE2, t(ft, k, m), t(ft, m, n), out2,
                        fill(rng, Tensor.zeros(t(ft, k, m)), ft, false), null, fill(rng, Tensor.zeros(t(ft, n, m)), ft, false), shape(1, 0)),
                new Form("mode 2, ragged dimension 0 after the transpose", RAGGED_MODE2_R0, t(ft, m, k), t(ft, m, n), out2,
                        fill(rng, Tensor.zeros(t(ft, k, m)), ft, false), shape(1, 0), fill(rng, Tensor.zeros(t(ft, n, m)), ft, false), shape(1, 0)),
                new Form("mode 2, special values in both", RAGGED_MODE2, t(ft, k, m), t(ft, m, n), out2,
                        TransposeTilesTest.fill(rng, Tensor.zeros(t(ft, m, k)), ft), shape(1, 0), TransposeTilesTest.fill(rng, Tensor.zeros(t(ft, m, n)), ft), null),
                new Form("mode 2, f64", RAGGED_MODE2, t(FloatType.F64, k, m), t(FloatType.F64, m, n), t(FloatType.F64, g, k, n),
                        fill(rng, Tensor.zeros(t(FloatType.F64, m, k)), FloatType.F64, false), shape(1, 0),
                        fill(rng, Tensor.zeros(t(FloatType.F64, m, n)), FloatType.F64, false), null));
        for (Form c : forms) {
            int folds = (c.lp == null ? 0 : 1) + (c.rp == null ? 0 : 1);
            Tensor got = ragged(c.dn, c.lt, c.rt, c.out, c.x, c.lp, c.y, c.rp, gs, false, folds);
            assertBits(got, ragged(c.dn, c.lt, c.rt, c.out, c.x, c.lp, c.y, c.rp, gs, true, 0), c.what);
        }
    }

    @Test
    void toFloatsTransposedIsTheTransposeConverted() {
        SplittableRandom rng = new SplittableRandom(23);
        int[][] shapes = {{1, 1, 1}, {2, 7, 9}, {3, 65, 129}, {1, 130, 257}, {2, 8, 128}, {1, 0, 5}};
        for (int[] sh : shapes) {
            int g = sh[0], rows = sh[1], cols = sh[2];
            double[] s = new double[g * rows * cols];
            for (int i = 0; i < s.length; i++) s[i] = (float) (rng.nextDouble() * 2 - 1);
            float[] d = TransposeTiles.toFloatsTransposed(s, g, rows, cols);
            assertThat(d).hasSize(s.length);
            for (int p = 0; p < g; p++) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        assertThat(d[(p * cols + c) * rows + r]).isEqualTo((float) s[(p * rows + r) * cols + c]);
                    }
                }
            }
        }
    }

    /** The dot of the transposed operands written out: result index = [batch, lhs free, rhs free], sums in lc order. */
    static Tensor byHand(ElementType et, Case c, Tensor l, Tensor r) {
        Tensor out = Tensor.zeros(TensorType.of(et, c.outShape));
        int[] lf = DotKernels.free(c.lshape.length, c.lb, c.lc), rf = DotKernels.free(c.rshape.length, c.rb, c.rc);
        long[] ci = new long[c.lc.length];
        long kn = DotKernels.prod(c.lshape, c.lc);
        int[] ls = Tensor.strides(c.lshape), rs = Tensor.strides(c.rshape);
        long[] oi = new long[c.outShape.length];
        for (int o = 0; o < out.size; o++) {
            Layout.unflatten(o, c.outShape, oi);
            int lo = 0, ro = 0, at = 0;
            for (int i = 0; i < c.lb.length; i++, at++) {
                lo += (int) oi[at] * ls[(int) c.lb[i]];
                ro += (int) oi[at] * rs[(int) c.rb[i]];
            }
            for (int d : lf) lo += (int) oi[at++] * ls[d];
            for (int d : rf) ro += (int) oi[at++] * rs[d];
            float sf = 0;
            double sd = 0;
            long si = 0;
            for (int k = 0; k < kn; k++) {
                Layout.unflatten(k, DotKernels.concat(new long[0], new int[0], dimsOf(c.lshape, c.lc)), ci);
                int lk = lo, rk = ro;
                for (int i = 0; i < ci.length; i++) {
                    lk += (int) ci[i] * ls[(int) c.lc[i]];
                    rk += (int) ci[i] * rs[(int) c.rc[i]];
                }
                if (et == IntegerType.I32) si += l.ints[lk] * r.ints[rk];
                else if (et == FloatType.F64) sd += l.re[lk] * r.re[rk];
                else sf = Math.fma((float) l.re[lk], (float) r.re[rk], sf);
            }
            if (et == IntegerType.I32) out.ints[o] = (int) si;
            else out.re[o] = et == FloatType.F64 ? sd : sf;
        }
        return out;
    }

    private static long[] dimsOf(long[] shape, long[] dims) {
        long[] o = new long[dims.length];
        for (int i = 0; i < dims.length; i++) o[i] = shape[(int) dims[i]];
        return o;
    }

    /** Random values of {@code et}: finite ones in [-2, 2) (integers: any), or {@link TransposeTilesTest#fill}'s specials. */
    static Tensor fill(SplittableRandom rng, Tensor x, ElementType et, boolean special) {
        if (special || x.ints != null) return TransposeTilesTest.fill(rng, x, et);
        FloatType ft = et instanceof ComplexType c ? c.elementType() : (FloatType) et;
        for (int i = 0; i < x.size; i++) {
            x.re[i] = Elem.round(ft, rng.nextDouble() * 4 - 2);
            if (x.im != null) x.im[i] = Elem.round(ft, rng.nextDouble() * 4 - 2);
        }
        return x;
    }

    static void assertBits(Tensor got, Tensor want, String what) {
        assertThat(got.type).as(what).isEqualTo(want.type);
        if (want.ints != null) assertThat(got.ints).as(what).containsExactly(want.ints);
        if (want.re != null) assertThat(bits(got.re)).as(what).containsExactly(bits(want.re));
        if (want.im != null) assertThat(bits(got.im)).as(what).containsExactly(bits(want.im));
    }

    /**
     * The bits, every NaN as the one canonical NaN: where a sum meets two NaNs (an operand's, with its payload, and one
     * made by inf - inf or 0 x inf) the one that comes out is whichever the JIT's code puts first (C2 may swap a
     * commutative add, and its vector loop need not order them as the scalar one does), so it can differ between two
     * runs of the same kernel on the same arrays; it did once for an f64 case. Signed zeros and infinities stay exact.
     */
    static long[] bits(double[] a) { return Arrays.stream(a).mapToLong(Double::doubleToLongBits).toArray(); }
}
