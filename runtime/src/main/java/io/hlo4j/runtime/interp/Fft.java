package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code stablehlo.fft}: FFT, IFFT, RFFT and IRFFT over the trailing {@code fft_length.size()} dimensions, any
 * lengths. Computed in double (complex64 too) and rounded once to the result type: an iterative radix-2 transform
 * for powers of two, a direct DFT with exactly reduced twiddle angles for short other lengths, and Bluestein's
 * chirp-z (a power-of-two convolution) for long ones. IFFT and IRFFT divide by the transform length per
 * dimension, as the spec's definition does.
 */
final class Fft {
    private Fft() {}

    /** At or below this length a non-power-of-two transform is a direct O(n^2) DFT. */
    static final int DIRECT_MAX = 64;

    static void register() {
        Kernels.put("stablehlo.fft", Fft::eval);
    }

    private static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0);
        String kind = Attrs.enumValue(op, "fft_type");
        long[] len = Attrs.required(op, "fft_length");
        TensorType rt = (TensorType) op.resultTypes().get(0);
        int rank = x.rank(), l = len.length;
        if (l < 1 || l > 3 || l > rank) {
            throw InterpreterException.at(op, "fft_length " + java.util.Arrays.toString(len) + " must name 1 to 3 trailing dimensions of " + x.type);
        }
        if (kind == null) throw InterpreterException.at(op, "missing attribute fft_type");
        long[] inShape = x.shape.clone(), outShape = rt.shape();
        int last = rank - 1;
        switch (kind) {
            case "FFT", "IFFT" -> {
                for (int i = 0; i < l; i++) expectDim(op, kind, x.type, rank - l + i, len[i]);
                double[] re = x.re.clone(), im = x.im.clone();
                for (int d = rank - l; d < rank; d++) transformAxis(re, im, inShape, d, kind.equals("IFFT"));
                return List.of(complexResult(op, rt, re, im));
            }
            case "RFFT" -> {
                if (!(x.elementType instanceof FloatType)) throw InterpreterException.at(op, "RFFT needs a float operand, got " + x.type);
                for (int i = 0; i < l; i++) expectDim(op, kind, x.type, rank - l + i, len[i]);
                // Full complex transform of the real input, then keep the first n/2+1 entries of the last dimension.
                double[] re = x.re.clone(), im = new double[x.size];
                for (int d = rank - l; d < rank; d++) transformAxis(re, im, inShape, d, false);
                int n = (int) inShape[last], keep = n / 2 + 1;
                return List.of(complexResult(op, rt, truncateLast(re, n, keep), truncateLast(im, n, keep)));
            }
            case "IRFFT" -> {
                if (x.elem != Elem.COMPLEX) throw InterpreterException.at(op, "IRFFT needs a complex operand, got " + x.type);
                for (int i = 0; i < l - 1; i++) expectDim(op, kind, x.type, rank - l + i, len[i]);
                int n = (int) len[l - 1];
                if (inShape[last] != n / 2 + 1) {
                    throw InterpreterException.at(op, "IRFFT of length " + n + " needs " + (n / 2 + 1)
                            + " entries in the last dimension of " + x.type);
                }
                double[] re = x.re.clone(), im = x.im.clone();
                for (int d = rank - l; d < last; d++) transformAxis(re, im, inShape, d, true);
                // Hermitian extension of the last dimension, then an inverse transform; the real part is the result.
                int keep = n / 2 + 1;
                double[] fr = new double[re.length / keep * n], fi = new double[fr.length];
                for (int row = 0; row < re.length / keep; row++) {
                    for (int k = 0; k < n; k++) {
                        int o = row * n + k;
                        if (k < keep) { fr[o] = re[row * keep + k]; fi[o] = im[row * keep + k]; }
                        else { fr[o] = re[row * keep + n - k]; fi[o] = -im[row * keep + n - k]; }
                    }
                }
                long[] full = inShape.clone();
                full[last] = n;
                transformAxis(fr, fi, full, last, true);
                if (!(rt.elementType() instanceof FloatType)) throw InterpreterException.at(op, "IRFFT result must be real, got " + rt);
                return List.of(Tensor.ofDoubles(rt, fr));
            }
            default -> throw InterpreterException.at(op, "unknown fft_type " + kind);
        }
    }

    private static void expectDim(Operation op, String kind, TensorType t, int dim, long n) {
        if (t.shape()[dim] != n) {
            throw InterpreterException.at(op, kind + ": dimension " + dim + " of " + t + " must equal its fft_length " + n);
        }
    }

    private static Tensor complexResult(Operation op, TensorType rt, double[] re, double[] im) {
        if (!(rt.elementType() instanceof ComplexType)) throw InterpreterException.at(op, "result must be complex, got " + rt);
        return Tensor.ofComplex(rt, re, im);
    }

    private static double[] truncateLast(double[] a, int n, int keep) {
        double[] out = new double[a.length / n * keep];
        for (int row = 0; row < a.length / n; row++) System.arraycopy(a, row * n, out, row * keep, keep);
        return out;
    }

    /** Transforms every line along dimension {@code d} in place (inverse: conjugate twiddles and divide by n). */
    static void transformAxis(double[] re, double[] im, long[] shape, int d, boolean inverse) {
        int n = (int) shape[d];
        if (n <= 1 || re.length == 0) return;
        int stride = 1;
        for (int i = d + 1; i < shape.length; i++) stride *= (int) shape[i];
        int outer = re.length / (n * stride);
        Plan plan = new Plan(n);
        double[] lr = new double[n], li = new double[n];
        StopCheck stop = StopCheck.current(); // many lines, each up to n^2 (direct) or n log n work
        long lineWork = (n & (n - 1)) != 0 && n <= DIRECT_MAX ? (long) n * n : 4L * n * (64 - Long.numberOfLeadingZeros(n));
        for (int o = 0; o < outer; o++) {
            for (int s = 0; s < stride; s++) {
                stop.poll(lineWork);
                int base = o * n * stride + s;
                for (int k = 0; k < n; k++) { lr[k] = re[base + k * stride]; li[k] = im[base + k * stride]; }
                plan.run(lr, li, inverse);
                for (int k = 0; k < n; k++) { re[base + k * stride] = lr[k]; im[base + k * stride] = li[k]; }
            }
        }
    }

    /** A transform of one length: tables computed once, reused for every line. */
    static final class Plan {
        final int n;
        /** cos and sin of 2 pi k / n for k in [0, n): exact angle reduction for every product j * k mod n. */
        final double[] cos, sin;
        final Plan conv; // Bluestein: the power-of-two plan of the convolution
        final double[] chirpRe, chirpIm, kernelRe, kernelIm;

        Plan(int n) {
            this.n = n;
            boolean pow2 = (n & (n - 1)) == 0;
            if (pow2 || n <= DIRECT_MAX) {
                cos = new double[n];
                sin = new double[n];
                for (int k = 0; k < n; k++) { cos[k] = cosTurn(k, n); sin[k] = sinTurn(k, n); }
                conv = null;
                chirpRe = chirpIm = kernelRe = kernelIm = null;
            } else {
                cos = sin = null;
                int m = Integer.highestOneBit(2 * n - 1) << 1;
                conv = new Plan(m);
                // chirp w_k = exp(-i pi k^2 / n); k^2 reduced mod 2n keeps the angle exact for large k.
                chirpRe = new double[n];
                chirpIm = new double[n];
                for (int k = 0; k < n; k++) {
                    long q = (long) k * k % (2L * n);
                    chirpRe[k] = cosTurn(q, 2L * n);
                    chirpIm[k] = -sinTurn(q, 2L * n);
                }
                // kernel b_k = conj(w_k), wrapped around for negative k, transformed once.
                kernelRe = new double[m];
                kernelIm = new double[m];
                for (int k = 0; k < n; k++) {
                    kernelRe[k] = chirpRe[k];
                    kernelIm[k] = -chirpIm[k];
                    if (k > 0) { kernelRe[m - k] = chirpRe[k]; kernelIm[m - k] = -chirpIm[k]; }
                }
                conv.run(kernelRe, kernelIm, false);
            }
        }

        /** Forward: X_k = sum_j x_j exp(-2 pi i jk/n); inverse: conjugate exponent, divided by n. */
        void run(double[] re, double[] im, boolean inverse) {
            if (inverse) conjugate(re, im, n);
            if ((n & (n - 1)) == 0) radix2(re, im);
            else if (conv == null) direct(re, im);
            else bluestein(re, im);
            if (inverse) {
                conjugate(re, im, n);
                for (int k = 0; k < n; k++) { re[k] /= n; im[k] /= n; }
            }
        }

        private static void conjugate(double[] re, double[] im, int n) {
            for (int k = 0; k < n; k++) im[k] = -im[k];
        }

        private void direct(double[] re, double[] im) {
            double[] or = new double[n], oi = new double[n];
            for (int k = 0; k < n; k++) {
                double sr = 0, si = 0;
                for (int j = 0; j < n; j++) {
                    int t = (int) ((long) j * k % n);
                    double c = cos[t], s = -sin[t];
                    sr += re[j] * c - im[j] * s;
                    si += re[j] * s + im[j] * c;
                }
                or[k] = sr;
                oi[k] = si;
            }
            System.arraycopy(or, 0, re, 0, n);
            System.arraycopy(oi, 0, im, 0, n);
        }

        private void radix2(double[] re, double[] im) {
            for (int i = 1, j = 0; i < n; i++) { // bit-reversal permutation
                int bit = n >> 1;
                for (; (j & bit) != 0; bit >>= 1) j ^= bit;
                j |= bit;
                if (i < j) {
                    double t = re[i]; re[i] = re[j]; re[j] = t;
                    t = im[i]; im[i] = im[j]; im[j] = t;
                }
            }
            for (int len = 2; len <= n; len <<= 1) {
                int half = len >> 1, step = n / len;
                for (int start = 0; start < n; start += len) {
                    for (int k = 0; k < half; k++) {
                        double wr = cos[k * step], wi = -sin[k * step];
                        int a = start + k, b = a + half;
                        double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                        re[b] = re[a] - xr;
                        im[b] = im[a] - xi;
                        re[a] += xr;
                        im[a] += xi;
                    }
                }
            }
        }

        private void bluestein(double[] re, double[] im) {
            int m = conv.n;
            double[] ar = new double[m], ai = new double[m];
            for (int k = 0; k < n; k++) {
                ar[k] = re[k] * chirpRe[k] - im[k] * chirpIm[k];
                ai[k] = re[k] * chirpIm[k] + im[k] * chirpRe[k];
            }
            conv.run(ar, ai, false);
            for (int k = 0; k < m; k++) {
                double r = ar[k] * kernelRe[k] - ai[k] * kernelIm[k];
                ai[k] = ar[k] * kernelIm[k] + ai[k] * kernelRe[k];
                ar[k] = r;
            }
            conv.run(ar, ai, true);
            for (int k = 0; k < n; k++) {
                re[k] = ar[k] * chirpRe[k] - ai[k] * chirpIm[k];
                im[k] = ar[k] * chirpIm[k] + ai[k] * chirpRe[k];
            }
        }
    }

    /** cos(2 pi q / n) with the angle folded into the first octant, so exact zeros and ones come out exactly. */
    static double cosTurn(long q, long n) { return turn(q, n, true); }

    static double sinTurn(long q, long n) { return turn(q, n, false); }

    private static double turn(long q, long n, boolean cosine) {
        q = Math.floorMod(q, n);
        // Work in units of n/8 (scaled by 8 to stay integral): angle = 2 pi q / n = (pi / 4) * (8q / n).
        long q8 = 8 * q;
        int quadrant = (int) (q8 / (2 * n)); // 0..3, each 2n units of q8 is pi/2
        long rem = q8 - quadrant * 2 * n;     // in [0, 2n): angle within the quadrant is (pi/4) * rem / n
        double c, s;
        if (rem <= n) { double a = Math.PI / 4 * rem / n; c = Math.cos(a); s = Math.sin(a); }
        else { double a = Math.PI / 4 * (2 * n - rem) / n; c = Math.sin(a); s = Math.cos(a); }
        if (rem == 0) { c = 1; s = 0; }
        double rc, rs;
        switch (quadrant) {
            case 0 -> { rc = c; rs = s; }
            case 1 -> { rc = -s; rs = c; }
            case 2 -> { rc = -c; rs = -s; }
            default -> { rc = s; rs = -c; }
        }
        return cosine ? rc : rs;
    }
}
