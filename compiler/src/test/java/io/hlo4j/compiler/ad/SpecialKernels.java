package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Frame;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Kernel;
import io.hlo4j.runtime.interp.Kernels;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;

import java.util.List;
import java.util.function.DoubleBinaryOperator;

/**
 * Test-only f64 kernels for chlo.zeta, chlo.polygamma and chlo.conj (the interpreter has none), from their
 * definitions: Hurwitz zeta by Euler-Maclaurin summation (10 direct terms, 8 Bernoulli corrections: about 1e-15),
 * polygamma(n, x) = (-1)^(n+1) n! zeta(n+1, x) for integer n >= 1 and digamma (shifted asymptotic series) for n = 0.
 * Attached only to ops that have no kernel.
 */
final class SpecialKernels {
    private SpecialKernels() {}

    private static final double[] B2K = {1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6, -3617.0 / 510};

    static synchronized void install() {
        Kernels.init();
        attach("chlo.zeta", binary(SpecialKernels::zeta));
        attach("chlo.polygamma", binary(SpecialKernels::polygamma));
        attach("chlo.conj", (op, args, f) -> {
            HostArray x = HostArrays.toHost((Tensor) args.get(0));
            if (!(x.elementType() instanceof ComplexType)) return List.of(args.get(0));
            int n = (int) x.type().numElements();
            double[] re = new double[n], im = new double[n];
            for (int i = 0; i < n; i++) { re[i] = x.getReal(i); im[i] = -x.getImag(i); }
            return List.of(HostArrays.toTensor(HostArray.fromComplex(x.type(), re, im)));
        });
    }

    private static void attach(String name, Kernel k) {
        OpDef d = OpRegistry.global().lookup(name);
        if (d.extension(Kernel.class) == null) d.attach(Kernel.class, k);
    }

    private static Kernel binary(DoubleBinaryOperator fn) {
        return (Operation op, List<RtValue> args, Frame f) -> {
            double[] a = HostArrays.toHost((Tensor) args.get(0)).toDoubleArray(), b = HostArrays.toHost((Tensor) args.get(1)).toDoubleArray();
            double[] r = new double[a.length];
            for (int i = 0; i < r.length; i++) r[i] = fn.applyAsDouble(a[i], b[i]);
            return List.of(HostArrays.toTensor(HostArray.fromDoubles((TensorType) op.result().type(), r)));
        };
    }

    /** Hurwitz zeta(s, q) = sum_k (q + k)^-s, s > 1, q > 0. */
    static double zeta(double s, double q) {
        int n = 10;
        double sum = 0;
        for (int k = 0; k < n; k++) sum += Math.pow(q + k, -s);
        double a = q + n;
        sum += Math.pow(a, 1 - s) / (s - 1) + 0.5 * Math.pow(a, -s);
        double rising = s, fact = 2, pow = Math.pow(a, -s - 1);
        for (int j = 1; j <= B2K.length; j++) {
            sum += B2K[j - 1] / fact * rising * pow;
            rising *= (s + 2 * j - 1) * (s + 2 * j);
            fact *= (2 * j + 1) * (2 * j + 2);
            pow /= a * a;
        }
        return sum;
    }

    static double polygamma(double n, double x) {
        if (n != Math.rint(n) || n < 0) return Double.NaN;
        if (n == 0) return digamma(x);
        double fact = 1;
        for (int k = 2; k <= n; k++) fact *= k;
        return ((int) n % 2 == 1 ? 1 : -1) * fact * zeta(n + 1, x);
    }

    static double digamma(double x) {
        double r = 0;
        while (x < 10) { r -= 1 / x; x += 1; }
        double x2 = 1 / (x * x);
        return r + Math.log(x) - 0.5 / x - x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 / 132))));
    }
}
