package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code transpose} ({@link ShapeKernels#transpose}: {@link TransposeTiles} when the permutation moves the last
 * dimension, else the strided copy) against two oracles, bit for bit: the general strided copy
 * ({@link Layout#affineGather}, what every transpose ran before the tiles), and a per-element index decode written here.
 * Random shapes of rank 0 to 6 and random permutations, dimensions of size 0 and 1, sides on both sides of the tile
 * (64 by 128) and of the 8-element strip, planes large enough to run in parallel; i1, i8, i32, ui64, bf16, f16, f32,
 * f64, complex64 and complex128, with signed zeros, infinities and NaNs of both signs.
 */
class TransposeTilesTest {
    static final ElementType[] TYPES = {IntegerType.I1, IntegerType.I8, IntegerType.I32, IntegerType.UI64, FloatType.BF16, FloatType.F16,
            FloatType.F32, FloatType.F64, ComplexType.C64, ComplexType.C128};

    @Test
    void everyPermutationLikeTheStridedCopyAndTheIndexDecode() {
        SplittableRandom rng = new SplittableRandom(8);
        int tiled = 0, big = 0;
        for (int trial = 0; trial < 600; trial++) {
            int rank = trial % 7;
            long[] shape = new long[rank];
            long size = 1;
            for (int d = 0; d < rank; d++) {
                int pick = rng.nextInt(10);
                shape[d] = pick == 0 ? 1 : pick == 1 && trial % 5 == 0 ? 0 : pick < 5 ? 1 + rng.nextInt(9) : 1 + rng.nextInt(rank <= 3 ? 150 : 20);
                size *= Math.max(1, shape[d]);
            }
            if (size > 40_000) continue; // keeps the test quick; the large planes come below
            long[] perm = randomPermutation(rng, rank);
            if (TransposeTiles.applies(Tensor.zeros(TensorType.of(FloatType.F32, shape)), perm)) tiled++;
            check(rng, shape, perm, TYPES[trial % TYPES.length]);
        }
        // the shapes of a MoE step and planes of many tiles (parallel), with sides just off the tile and the strip
        long[][] shapes = {{8, 130, 257}, {300, 200}, {3, 129, 65}, {1031, 9}, {9, 1031}, {2, 2, 64, 136}, {7, 8, 190}};
        long[][] perms = {{0, 2, 1}, {1, 0}, {2, 0, 1}, {1, 0}, {1, 0}, {3, 1, 0, 2}, {2, 1, 0}};
        for (int i = 0; i < shapes.length; i++) {
            for (ElementType et : new ElementType[] {FloatType.F32, IntegerType.I32, ComplexType.C64}) {
                assertThat(TransposeTiles.applies(Tensor.zeros(TensorType.of(et, shapes[i])), perms[i])).isTrue();
                check(rng, shapes[i], perms[i], et);
                big++;
            }
        }
        assertThat(big).isEqualTo(21);
        assertThat(tiled).as("random cases that took the tiles").isGreaterThan(80);
    }

    @Test
    void theTiledPathTakesEveryPermutationThatMovesTheLastDimension() {
        Tensor x = Tensor.zeros(TensorType.of(FloatType.F32, new long[] {4, 8, 16}));
        assertThat(TransposeTiles.applies(x, new long[] {0, 2, 1})).isTrue();
        assertThat(TransposeTiles.applies(x, new long[] {2, 0, 1})).isTrue();
        assertThat(TransposeTiles.applies(x, new long[] {1, 2, 0})).isTrue(); // last: dimension 0 (4) x 16 = 64 elements a plane
        assertThat(TransposeTiles.applies(x, new long[] {1, 0, 2})).isFalse(); // rows stay whole: the strided copy moves them
        assertThat(TransposeTiles.applies(x, new long[] {0, 1, 2})).isFalse();
        Tensor small = Tensor.zeros(TensorType.of(FloatType.F32, new long[] {4, 8, 7}));
        assertThat(TransposeTiles.applies(small, new long[] {1, 2, 0})).isFalse(); // 4 x 7 = 28 elements a plane
        assertThat(TransposeTiles.applies(Tensor.zeros(TensorType.of(FloatType.F32, new long[] {0, 128})), new long[] {1, 0})).isFalse();
    }

    /** Checks one transpose of a random tensor of {@code shape} against both oracles, bit for bit. */
    static void check(SplittableRandom rng, long[] shape, long[] perm, ElementType et) {
        TensorType type = TensorType.of(et, shape);
        Tensor x = fill(rng, Tensor.zeros(type), et);
        long[] outShape = new long[shape.length];
        for (int d = 0; d < shape.length; d++) outShape[d] = shape[(int) perm[d]];
        TensorType rt = TensorType.of(et, outShape);
        Tensor got = ShapeKernels.transpose(x, rt, perm);

        Tensor old = Tensor.zeros(rt); // the strided copy, as transpose ran before the tiles
        int[] os = Tensor.strides(x.shape);
        long[] ss = new long[perm.length];
        for (int d = 0; d < perm.length; d++) ss[d] = os[(int) perm[d]];
        Layout.affineGather(old, x, 0, ss);

        Tensor naive = Tensor.zeros(rt); // each output element's index decoded and its source element read
        for (int o = 0; o < naive.size; o++) {
            int rem = o, src = 0;
            for (int d = outShape.length - 1; d >= 0; d--) {
                int i = (int) (rem % outShape[d]);
                rem /= (int) outShape[d];
                src += i * os[(int) perm[d]];
            }
            if (naive.ints != null) naive.ints[o] = x.ints[src];
            else naive.re[o] = x.re[src];
            if (naive.im != null) naive.im[o] = x.im[src];
        }
        String what = et + " " + Arrays.toString(shape) + " by " + Arrays.toString(perm);
        long[] g = bits(got), o = bits(old), n = bits(naive);
        // compared whole first: AssertJ's element-by-element report is slow on large arrays, so it runs only on a mismatch
        if (!Arrays.equals(g, o)) assertThat(g).as("against the strided copy: %s", what).containsExactly(o);
        if (!Arrays.equals(g, n)) assertThat(g).as("against the index decode: %s", what).containsExactly(n);
    }

    static long[] randomPermutation(SplittableRandom rng, int rank) {
        long[] p = new long[rank];
        for (int d = 0; d < rank; d++) p[d] = d;
        for (int d = rank - 1; d > 0; d--) {
            int j = rng.nextInt(d + 1);
            long t = p[d];
            p[d] = p[j];
            p[j] = t;
        }
        return p;
    }

    static Tensor fill(SplittableRandom rng, Tensor x, ElementType et) {
        for (int i = 0; i < x.size; i++) {
            if (x.ints != null) {
                x.ints[i] = et instanceof IntegerType it && it.isBool() ? rng.nextInt(2) : Elem.wrap(et, rng.nextLong());
            } else {
                FloatType ft = et instanceof ComplexType c ? c.elementType() : (FloatType) et;
                x.re[i] = value(rng, ft);
                if (x.im != null) x.im[i] = value(rng, ft);
            }
        }
        return x;
    }

    static double value(SplittableRandom rng, FloatType ft) {
        return switch (rng.nextInt(40)) {
            case 0 -> -0.0;
            case 1 -> Double.NaN;
            case 2 -> Double.longBitsToDouble(0xfff8000000000001L); // a negative NaN with a payload
            case 3 -> Double.NEGATIVE_INFINITY;
            default -> Elem.round(ft, rng.nextGaussian() * 100);
        };
    }

    /** Raw bits of every element (and of the imaginary parts after them). */
    static long[] bits(Tensor t) {
        long[] b = new long[t.im == null ? t.size : 2 * t.size];
        for (int i = 0; i < t.size; i++) b[i] = t.ints != null ? t.ints[i] : Double.doubleToRawLongBits(t.re[i]);
        if (t.im != null) for (int i = 0; i < t.size; i++) b[t.size + i] = Double.doubleToRawLongBits(t.im[i]);
        return b;
    }
}
