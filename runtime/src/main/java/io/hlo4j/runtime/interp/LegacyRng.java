package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * {@code stablehlo.rng}: UNIFORM draws from [a, b) (floats and integers), NORMAL from N(a, b^2) (floats, by
 * Box-Muller). Real XLA leaves the generator and its state to the implementation, so its numbers are
 * nondeterministic across backends and runs; here they are deterministic: the k-th rng op a device executes in a
 * run uses Threefry-2x32 keyed by (k, device), one block per element, so reruns repeat exactly and devices and
 * successive calls differ.
 */
final class LegacyRng {
    private LegacyRng() {}

    /** Per device (the Process of one run): how many rng ops it has executed. */
    private static final Map<Process, long[]> CALLS = new WeakHashMap<>();

    static List<RtValue> rng(Operation op, List<RtValue> args, Frame f) {
        Tensor a = (Tensor) args.get(0), b = (Tensor) args.get(1);
        TensorType rt = (TensorType) op.result().type();
        String dist = Attrs.enumValue(op, "rng_distribution");
        if (dist == null) throw InterpreterException.at(op, "needs rng_distribution (UNIFORM or NORMAL)");
        long call;
        synchronized (CALLS) {
            call = CALLS.computeIfAbsent(f.process(), p -> new long[1])[0]++;
        }
        int device = f.process().replica() * 65_536 + f.process().partition();
        Tensor r = Tensor.zeros(rt);
        switch (dist) {
            case "UNIFORM" -> {
                if (r.elem == Elem.FLOAT) {
                    FloatType ft = (FloatType) rt.elementType();
                    double lo = a.re[0], hi = b.re[0];
                    for (long i0 = 0; i0 < r.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, r.size); i < iEnd; i++) {
                        double v = Elem.round(ft, lo + (hi - lo) * unit(call, device, i));
                        r.re[i] = v >= hi && hi > lo ? Math.max(lo, below(ft, hi)) : v; // rounding reached b
                    }
                } else if (r.elem.isInt() && r.elem != Elem.BOOL) {
                    long lo = a.ints[0], hi = b.ints[0];
                    long span = hi - lo;
                    if (r.elem == Elem.SIGNED ? hi <= lo : Long.compareUnsigned(hi, lo) <= 0) {
                        throw InterpreterException.at(op, "UNIFORM needs a < b, got a = " + lo + ", b = " + hi);
                    }
                    for (long i0 = 0; i0 < r.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, r.size); i < iEnd; i++) r.ints[i] = Elem.wrap(rt.elementType(), lo + Long.remainderUnsigned(bits(call, device, i), span));
                } else {
                    throw ElementwiseKernels.unsupportedType(op, rt.elementType());
                }
            }
            case "NORMAL" -> {
                if (r.elem != Elem.FLOAT) throw ElementwiseKernels.unsupportedType(op, rt.elementType());
                FloatType ft = (FloatType) rt.elementType();
                double mu = a.re[0], sigma = b.re[0];
                for (long i0 = 0; i0 < r.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, r.size); i < iEnd; i++) {
                    long w = bits(call, device, i);
                    double u1 = ((w >>> 32) + 1) / 4294967297.0, u2 = (w & 0xFFFFFFFFL) / 4294967296.0; // u1 in (0, 1)
                    r.re[i] = Elem.round(ft, mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
                }
            }
            default -> throw InterpreterException.at(op, "rng_distribution " + dist + " is not UNIFORM or NORMAL");
        }
        return List.of(r);
    }

    /** The largest value of the type below {@code hi}. */
    private static double below(FloatType ft, double hi) {
        if (hi == 0) return -Floats.decode(ft.kind(), 1);
        long bits = Floats.bits(ft.kind(), hi);
        return Floats.decode(ft.kind(), hi > 0 ? bits - 1 : bits + 1);
    }

    /** 64 random bits for element i of call k on a device. */
    static long bits(long call, int device, long i) {
        int[] x = RngKernels.threeFry2x32((int) i, (int) (i >>> 32), (int) call, device);
        return (x[0] & 0xFFFFFFFFL) | ((long) x[1] << 32);
    }

    /** A double uniform in [0, 1) from 53 random bits. */
    static double unit(long call, int device, long i) { return (bits(call, device, i) >>> 11) * 0x1.0p-53; }
}
