package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code stablehlo.triangular_solve}: for each batch, solves op(a) x = b ({@code left_side}) or x op(a) = b,
 * where op is the identity, the transpose or the adjoint ({@code transpose_a}). Only the triangle of a that
 * {@code lower} names is read; with {@code unit_diagonal} the diagonal is taken as ones and not read. Real and
 * complex; computed in double by substitution and rounded once to the element type.
 */
final class TriangularSolve {
    private TriangularSolve() {}

    static void register() {
        Kernels.put("stablehlo.triangular_solve", TriangularSolve::eval);
    }

    private static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Tensor a = (Tensor) args.get(0), b = (Tensor) args.get(1);
        boolean leftSide = Attrs.flag(op, "left_side"), lower = Attrs.flag(op, "lower"), unit = Attrs.flag(op, "unit_diagonal");
        String transpose = Attrs.enumValue(op, "transpose_a");
        if (transpose == null) transpose = "NO_TRANSPOSE";
        boolean tr = !transpose.equals("NO_TRANSPOSE"), conj = transpose.equals("ADJOINT");
        if (!transpose.equals("NO_TRANSPOSE") && !transpose.equals("TRANSPOSE") && !transpose.equals("ADJOINT")) {
            throw InterpreterException.at(op, "unknown transpose_a " + transpose);
        }
        int r = a.rank();
        if (r < 2 || b.rank() != r || a.shape[r - 1] != a.shape[r - 2]) {
            throw InterpreterException.at(op, "a must be a batch of square matrices matching b's rank, got a " + a.type + ", b " + b.type);
        }
        int m = (int) a.shape[r - 1];
        int rows = (int) b.shape[r - 2], cols = (int) b.shape[r - 1];
        if ((leftSide ? rows : cols) != m) {
            throw InterpreterException.at(op, "b " + b.type + " does not match a " + a.type + " with left_side = " + leftSide);
        }
        boolean complex = a.elem == Elem.COMPLEX;
        int batches = m == 0 ? 0 : a.size / (m * m);
        // Left side: op(a) x = b, one system per column of b. Right side: x op(a) = b is op(a)^T x^T = b^T,
        // one system per row of b, with matrix t = op(a)^T.
        int rhs = leftSide ? cols : rows;
        double[] outRe = new double[b.size], outIm = complex ? new double[b.size] : null;
        double[] tr_ = new double[m * m], ti = new double[m * m], xr = new double[m], xi = new double[m];
        StopCheck stop = StopCheck.current(); // m^2 multiply-adds per right-hand side
        for (int batch = 0; batch < batches; batch++) {
            int ab = batch * m * m, bb = batch * rows * cols;
            // t[i][j] = the effective matrix of the system, zero outside the triangle that was read.
            boolean tLower = lower != tr;  // op(a) is lower iff (lower xor transposed)
            if (!leftSide) tLower = !tLower;
            boolean tTransposedFromA = tr != !leftSide; // t = a^T (possibly conjugated) when exactly one transpose applies
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    int ai = tTransposedFromA ? j : i, aj = tTransposedFromA ? i : j;
                    boolean inTriangle = lower ? aj <= ai : aj >= ai;
                    double vr = 0, vi = 0;
                    if (ai == aj && unit) vr = 1;
                    else if (inTriangle) {
                        vr = a.re[ab + ai * m + aj];
                        vi = complex ? a.im[ab + ai * m + aj] : 0;
                        if (conj) vi = -vi;
                    }
                    tr_[i * m + j] = vr;
                    ti[i * m + j] = vi;
                }
            }
            for (int c = 0; c < rhs; c++) {
                stop.poll((long) m * m + 1);
                for (int k = 0; k < m; k++) {
                    int idx = bb + (leftSide ? k * cols + c : c * cols + k);
                    xr[k] = b.re[idx];
                    xi[k] = complex ? b.im[idx] : 0;
                }
                substitute(tr_, ti, m, tLower, xr, xi, complex);
                for (int k = 0; k < m; k++) {
                    int idx = bb + (leftSide ? k * cols + c : c * cols + k);
                    outRe[idx] = xr[k];
                    if (complex) outIm[idx] = xi[k];
                }
            }
        }
        TensorType rt = (TensorType) op.resultTypes().get(0);
        return List.of(complex ? Tensor.ofComplex(rt, outRe, outIm) : Tensor.ofDoubles(rt, outRe));
    }

    /** Solves t x = rhs in place (forward substitution when t is lower triangular, backward otherwise). */
    static void substitute(double[] tr, double[] ti, int m, boolean lowerT, double[] xr, double[] xi, boolean complex) {
        double[] q = new double[2];
        for (int s = 0; s < m; s++) {
            int i = lowerT ? s : m - 1 - s;
            double sr = xr[i], si = xi[i];
            int from = lowerT ? 0 : i + 1, to = lowerT ? i : m;
            for (int j = from; j < to; j++) {
                double pr = tr[i * m + j], pi = ti[i * m + j];
                sr -= pr * xr[j] - pi * xi[j];
                si -= pr * xi[j] + pi * xr[j];
            }
            double dr = tr[i * m + i], di = ti[i * m + i];
            if (complex) {
                Complex.div(sr, si, dr, di, q);
                xr[i] = q[0];
                xi[i] = q[1];
            } else {
                xr[i] = sr / dr;
            }
        }
    }
}
