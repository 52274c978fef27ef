package io.hlo4j.runtime.interp;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.stream.IntStream;

/**
 * The f32 matmul of {@link DotKernels#matmulF32} on {@code jdk.incubator.vector}: B is packed into panels of
 * {@link #NR} columns (contiguous per k, so a panel stays in L2), and a 4-row x 3-vector register tile
 * accumulates with lane-wise fused multiply-adds, k ascending from +0: every element gets exactly the
 * operations of the scalar loop (one rounding per term), so results are bit-identical. Panels run in
 * parallel. Only loaded when the module is in the boot layer ({@link DotKernels#VECTOR}): callers check first.
 */
final class VectorMatmul {
    private VectorMatmul() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), MR = 4;

    /** Columns per packed panel; narrower products are left to the scalar loop. */
    static int panelWidth() { return 3 * L; }

    /**
     * c (B x M x N) = a (B x M x K) x b (B x K x N), row-major, f32 fma per term, k ascending. The last panel, when
     * N is not a multiple of the panel width, is packed with zero columns and computed into a scratch tile whose
     * valid columns are copied out (the padding never touches a valid column's sum).
     */
    static void multiply(float[] a, float[] b, float[] c, int B, int M, int K, int N) {
        multiply(a, 0, b, 0, c, 0, B, M, K, N);
    }

    /** {@link #multiply(float[], float[], float[], int, int, int, int)} on arrays starting at the given offsets. */
    static void multiply(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int B, int M, int K, int N) {
        int nr = 3 * L, panels = (N + nr - 1) / nr;
        IntStream tasks = IntStream.range(0, B * panels);
        if ((long) B * M * N * K > 1 << 20) tasks = tasks.parallel();
        StopCheck stop = StopCheck.current(); // workers check for the op's thread
        stop.forEach(tasks, t -> {
            stop.poll((long) M * K * nr);
            int bb = t / panels, j0 = (t % panels) * nr, w = Math.min(nr, N - j0);
            float[] p = new float[K * nr];
            int bo = bOff + bb * K * N;
            for (int k = 0; k < K; k++) System.arraycopy(b, bo + k * N + j0, p, k * nr, w);
            int ao = aOff + bb * M * K;
            float[] out = w == nr ? c : new float[M * nr];
            int co = w == nr ? cOff + bb * M * N + j0 : 0, ldc = w == nr ? N : nr;
            int i = 0;
            for (; i + MR <= M; i += MR) block4(a, ao + i * K, K, p, out, co + i * ldc, ldc);
            for (; i < M; i++) block1(a, ao + i * K, K, p, out, co + i * ldc);
            if (w < nr) for (int r = 0; r < M; r++) System.arraycopy(out, r * nr, c, cOff + bb * M * N + r * N + j0, w);
        });
    }

    private static void block4(float[] a, int a0, int K, float[] p, float[] c, int c0, int N) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        int a1 = a0 + K, a2 = a1 + K, a3 = a2 + K, nr = 3 * L;
        for (int k = 0, pk = 0; k < K; k++, pk += nr) {
            FloatVector b0 = FloatVector.fromArray(S, p, pk), b1 = FloatVector.fromArray(S, p, pk + L),
                    b2 = FloatVector.fromArray(S, p, pk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        store(c, c0, c00, c01, c02);
        store(c, c0 + N, c10, c11, c12);
        store(c, c0 + 2 * N, c20, c21, c22);
        store(c, c0 + 3 * N, c30, c31, c32);
    }

    private static void block1(float[] a, int a0, int K, float[] p, float[] c, int c0) {
        FloatVector c0v = FloatVector.zero(S), c1v = c0v, c2v = c0v;
        int nr = 3 * L;
        for (int k = 0, pk = 0; k < K; k++, pk += nr) {
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c0v = x.fma(FloatVector.fromArray(S, p, pk), c0v);
            c1v = x.fma(FloatVector.fromArray(S, p, pk + L), c1v);
            c2v = x.fma(FloatVector.fromArray(S, p, pk + 2 * L), c2v);
        }
        store(c, c0, c0v, c1v, c2v);
    }

    private static void store(float[] c, int at, FloatVector v0, FloatVector v1, FloatVector v2) {
        v0.intoArray(c, at);
        v1.intoArray(c, at + L);
        v2.intoArray(c, at + 2 * L);
    }
}
