package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code stablehlo.cholesky}: for each matrix of the batch, the lower triangular L with a = L L^H ({@code lower})
 * or the upper triangular U with a = U^H U. Only that triangle of a is read (a is taken as Hermitian). The other
 * triangle of the result is zero (the spec leaves it implementation-defined). A matrix that is not positive
 * definite gives NaN from the first failing pivot on, as XLA's CPU backend does. Computed in double, rounded once.
 */
final class Cholesky {
    private Cholesky() {}

    static void register() {
        Kernels.put("stablehlo.cholesky", Cholesky::eval);
    }

    private static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Tensor a = (Tensor) args.get(0);
        boolean lower = Attrs.flag(op, "lower");
        int r = a.rank();
        if (r < 2 || a.shape[r - 1] != a.shape[r - 2]) throw InterpreterException.at(op, "a must be a batch of square matrices, got " + a.type);
        int m = (int) a.shape[r - 1];
        boolean complex = a.elem == Elem.COMPLEX;
        double[] outRe = new double[a.size], outIm = complex ? new double[a.size] : null;
        double[] lr = new double[m * m], li = new double[m * m];
        int batches = m == 0 ? 0 : a.size / (m * m);
        StopCheck stop = StopCheck.current(); // m^3 / 3 multiply-adds per matrix: a large one takes long
        for (int batch = 0; batch < batches; batch++) {
            int base = batch * m * m;
            java.util.Arrays.fill(lr, 0);
            java.util.Arrays.fill(li, 0);
            // Work on L (lower). For upper, read A's upper triangle as the conjugate transpose of the lower one:
            // a = U^H U with U = L^H.
            for (int j = 0; j < m; j++) {
                stop.poll((long) j * (m - j) + 1);
                double d = lowerEntry(a, base, m, j, j, lower, complex, true);
                for (int k = 0; k < j; k++) d -= lr[j * m + k] * lr[j * m + k] + li[j * m + k] * li[j * m + k];
                double ljj = d > 0 ? Math.sqrt(d) : Double.NaN;
                lr[j * m + j] = ljj;
                for (int i = j + 1; i < m; i++) {
                    double sr = lowerEntry(a, base, m, i, j, lower, complex, true);
                    double si = complex ? lowerEntry(a, base, m, i, j, lower, complex, false) : 0;
                    for (int k = 0; k < j; k++) { // s -= L[i][k] * conj(L[j][k])
                        double pr = lr[i * m + k], pi = li[i * m + k], qr = lr[j * m + k], qi = -li[j * m + k];
                        sr -= pr * qr - pi * qi;
                        si -= pr * qi + pi * qr;
                    }
                    lr[i * m + j] = sr / ljj;
                    li[i * m + j] = si / ljj;
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j <= i; j++) {
                    // lower: result[i][j] = L[i][j]; upper: result[j][i] = conj(L[i][j]).
                    int o = base + (lower ? i * m + j : j * m + i);
                    outRe[o] = lr[i * m + j];
                    if (complex) outIm[o] = lower ? li[i * m + j] : -li[i * m + j];
                }
            }
        }
        TensorType rt = (TensorType) op.resultTypes().get(0);
        return List.of(complex ? Tensor.ofComplex(rt, outRe, outIm) : Tensor.ofDoubles(rt, outRe));
    }

    /** Entry (i, j), i >= j, of the Hermitian matrix a, read from the triangle that {@code lower} names. */
    private static double lowerEntry(Tensor a, int base, int m, int i, int j, boolean lower, boolean complex, boolean real) {
        if (lower) return real ? a.re[base + i * m + j] : a.im[base + i * m + j];
        double v = real ? a.re[base + j * m + i] : -a.im[base + j * m + i]; // a[i][j] = conj(a[j][i])
        return v;
    }
}
