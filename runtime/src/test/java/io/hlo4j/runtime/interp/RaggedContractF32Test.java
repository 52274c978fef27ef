package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * chlo.ragged_dot mode 2 (the ragged dimension contracting) in f32 against the general path's arithmetic written out
 * here: output group g is, per element, an f32 fused multiply-add over every one of the m rows in ascending order from
 * +0, with lhs zeroed outside the group's rows (what {@link RaggedDot}'s general mode 2 computes: a full dot of the
 * masked lhs). Bit for bit, on random shapes (both layouts of each operand, widths below and above the vector kernel's
 * 8, one-element and empty groups, groups past the end, negative sizes) and on values chosen for the edge cases:
 * sums that underflow to -0 (the zeroed rows after the group turn them into +0), infinities and NaN in lhs only (the
 * new path) and in both operands (rhs's send it to the general path). {@link RaggedContractF32#multiplyScalar}, the
 * loop used without the vector module, and {@link RaggedContractF32#multiply} (dot_general's kernel choice: for
 * n = 45 the vector kernel, where the test JVM has the module) are each checked against the fma sum written out.
 */
class RaggedContractF32Test {
    static final String MODE2 = "#chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], "
            + "lhs_contracting_dimensions = [%d], rhs_contracting_dimensions = [%d], lhs_ragged_dimensions = [%d], rhs_group_dimensions = []>";

    @Test
    void randomShapesMatchTheMaskedFullDotBitForBit() {
        SplittableRandom rng = new SplittableRandom(21);
        for (int trial = 0; trial < 80; trial++) {
            int m = trial % 13 == 0 ? 1 : 1 + rng.nextInt(70), k = 1 + rng.nextInt(trial % 4 == 0 ? 3 : 40);
            int n = trial % 3 == 0 ? 1 + rng.nextInt(7) : 8 + rng.nextInt(60), groups = 1 + rng.nextInt(5);
            long[] sizes = new long[groups];
            for (int g = 0; g < groups; g++) {
                int kind = rng.nextInt(8);
                sizes[g] = kind == 0 ? 0 : kind == 1 ? 1 : kind == 2 && trial % 5 == 0 ? -2 : rng.nextInt(Math.max(1, m / groups + 3));
            }
            String values = List.of("plain", "tiny", "nonfinite", "lhsNonfinite").get(trial % 4);
            check(trial, m, k, n, sizes, rng.nextBoolean() ? 1 : 0, rng.nextBoolean() ? 0 : 1, values, rng);
        }
    }

    @Test
    void aGroupSumThatUnderflowsToMinusZeroTurnsPositiveOnlyWhenALaterRowAddsPlusZero() {
        // lhs [k=1, m=3], rhs [m=3, n=2]: group 0 is row 0, whose product 1e-30 x -1e-30 rounds to -0
        double[] lhs = {1e-30, 5, 5};
        double[] rhs = {-1e-30, -1e-30, 2, -3, -4, -5}; // column 0: row 1 is +2 (sign clear); column 1: rows 1, 2 negative
        double[] got = run(1, 3, 2, new long[] {1, 2}, 1, 0, lhs, rhs);
        assertThat(Double.doubleToRawLongBits(got[0])).as("column 0: +0").isEqualTo(0L);
        assertThat(Double.doubleToRawLongBits(got[1])).as("column 1: -0 kept").isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(new double[] {got[2], got[3]}).containsExactly(5 * 2 + 5 * -4, 5 * -3 + 5 * -5); // group 1: rows 1 and 2
    }

    @Test
    void theScalarAndVectorLoopsEqualTheFmaSumAtOffsets() {
        SplittableRandom rng = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 8, 45}) {
            int k = 9, len = 100; // n = 45: 40,500 terms, past matmulF32Into's threshold for the vector kernel
            float[] a = new float[k * len], b = new float[(len + 3) * n];
            for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() * 2 - 1);
            float[] scalar = new float[2 * k * n], either = new float[2 * k * n];
            RaggedContractF32.multiplyScalar(a, b, 3 * n, scalar, k * n, k, len, n);
            RaggedContractF32.multiply(a, b, 3 * n, either, k * n, k, len, n);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int r = 0; r < len; r++) s = Math.fma(a[i * len + r], b[(3 + r) * n + j], s);
                    assertThat(scalar[k * n + i * n + j]).as("scalar n %d (%d, %d)", n, i, j).isEqualTo(s);
                    assertThat(either[k * n + i * n + j]).as("multiply n %d (%d, %d)", n, i, j).isEqualTo(s);
                }
            }
            assertThat(java.util.Arrays.copyOf(scalar, k * n)).containsOnly(0f);
            assertThat(java.util.Arrays.copyOf(either, k * n)).containsOnly(0f);
        }
    }

    private static void check(int trial, int m, int k, int n, long[] sizes, int ragged, int rcd, String values, SplittableRandom rng) {
        double[] lhs = new double[k * m], rhs = new double[m * n];
        for (int i = 0; i < lhs.length; i++) lhs[i] = value(rng, values, true);
        for (int i = 0; i < rhs.length; i++) rhs[i] = value(rng, values, false);
        boolean finiteRhs = java.util.Arrays.stream(rhs).allMatch(Double::isFinite);
        assertThat(fastPath(k, m, n, sizes, ragged, rcd, lhs, rhs)).as("trial %d (%s): RaggedContractF32 applies", trial, values)
                .isEqualTo(finiteRhs);
        double[] got = run(k, m, n, sizes, ragged, rcd, lhs, rhs);
        double[] want = oracle(k, m, n, sizes, ragged, rcd, lhs, rhs);
        for (int i = 0; i < want.length; i++) {
            if (Double.isNaN(want[i])) assertThat(got[i]).as("trial %d element %d", trial, i).isNaN();
            else assertThat(Double.doubleToRawLongBits(got[i])).as("trial %d (%s, m %d k %d n %d, sizes %s, ragged %d, rc %d) element %d: %s vs %s",
                    trial, values, m, k, n, java.util.Arrays.toString(sizes), ragged, rcd, i, got[i], want[i])
                    .isEqualTo(Double.doubleToRawLongBits(want[i]));
        }
    }

    private static double value(SplittableRandom rng, String kind, boolean lhs) {
        double d = rng.nextDouble() * 2 - 1;
        return switch (kind) {
            case "tiny" -> rng.nextInt(3) == 0 ? (rng.nextBoolean() ? 0.0 : -0.0) : (float) (d * (lhs ? 1e-30 : 1e-25));
            case "lhsNonfinite" -> lhs && rng.nextInt(20) == 0 ? List.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN).get(rng.nextInt(3)) : (float) d;
            case "nonfinite" -> rng.nextInt(40) == 0 ? List.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN).get(rng.nextInt(3)) : (float) d;
            default -> (float) d;
        };
    }

    /** The ragged_dot through the interpreter: lhs [k, m] (ragged 1) or [m, k] (ragged 0), rhs [m, n] (rc 0) or [n, m]. */
    private static double[] run(int k, int m, int n, long[] sizes, int ragged, int rcd, double[] lhsKm, double[] rhsMn) {
        double[] l = ragged == 1 ? lhsKm : transpose(lhsKm, k, m), r = rcd == 0 ? rhsMn : transpose(rhsMn, m, n);
        Tensor lhs = Ir.reals(FloatType.F32, ragged == 1 ? shape(k, m) : shape(m, k), l);
        Tensor rhs = Ir.reals(FloatType.F32, rcd == 0 ? shape(m, n) : shape(n, m), r);
        Tensor gs = Ir.ints(IntegerType.I32, shape(sizes.length), sizes.clone());
        Ir ir = new Ir();
        Value a = ir.arg(lhs.type), b = ir.arg(rhs.type), g = ir.arg(gs.type);
        Value o = ir.op("chlo.ragged_dot", List.of(a, b, g), t(FloatType.F32, sizes.length, k, n), "ragged_dot_dimension_numbers",
                Ir.text(MODE2.formatted(ragged, rcd, ragged)));
        return ((Tensor) Ir.run(ir.func("main", o), lhs, rhs, gs).get(0)).re;
    }

    /** Whether {@link RaggedContractF32} takes the op (non-null) rather than leaving it to the general path. */
    private static boolean fastPath(int k, int m, int n, long[] sizes, int ragged, int rcd, double[] lhsKm, double[] rhsMn) {
        double[] l = ragged == 1 ? lhsKm : transpose(lhsKm, k, m), r = rcd == 0 ? rhsMn : transpose(rhsMn, m, n);
        Tensor lhs = Ir.reals(FloatType.F32, ragged == 1 ? shape(k, m) : shape(m, k), l);
        Tensor rhs = Ir.reals(FloatType.F32, rcd == 0 ? shape(m, n) : shape(n, m), r);
        long[] bounds = new long[sizes.length + 1];
        for (int g = 0; g < sizes.length; g++) bounds[g + 1] = bounds[g] + sizes[g];
        Operation op = Operation.builder("chlo.ragged_dot").build();
        return RaggedContractF32.evalOrNull(op, lhs, rhs, bounds, sizes.length, ragged, new long[0], new long[0],
                new long[] {ragged}, new long[] {rcd}, t(FloatType.F32, sizes.length, k, n)) != null;
    }

    /** Every group: a full f32 fma sum over all m rows, ascending from +0, lhs zero outside the group. */
    private static double[] oracle(int k, int m, int n, long[] sizes, int ragged, int rcd, double[] lhsKm, double[] rhsMn) {
        double[] out = new double[sizes.length * k * n];
        long lo = 0;
        for (int g = 0; g < sizes.length; g++) {
            long hi = lo + sizes[g];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int r = 0; r < m; r++) s = Math.fma(r >= lo && r < hi ? (float) lhsKm[i * m + r] : 0f, (float) rhsMn[r * n + j], s);
                    out[(g * k + i) * n + j] = s;
                }
            }
            lo = hi;
        }
        return out;
    }

    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }
}
