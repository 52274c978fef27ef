package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * The checks of StableHLO's interpreter tests, with the reference tools' tolerances: the {@code check} dialect
 * ops and the {@code custom_call @check.*} targets of the JAX-generated testdata. A failing check throws
 * {@link CheckFailure} naming the first differing element.
 */
final class CheckKernels {
    private CheckKernels() {}

    static final double CUSTOM_CALL_ALMOST_EQ = 1e-3;
    static final double DIALECT_ALMOST_EQ = 1e-4;
    static final double QUANTIZED_EQ = 1e-4;
    static final long CUSTOM_CALL_MAX_ULP = 3;

    static void register() {
        Kernels.put("check.expect_eq", (op, a, f) -> none(expectEq(op, t(a, 0), t(a, 1))));
        Kernels.put("check.expect_eq_const", (op, a, f) -> none(expectEq(op, t(a, 0), constant(op))));
        Kernels.put("check.expect_almost_eq", (op, a, f) ->
                none(almostEq(op, t(a, 0), t(a, 1), Attrs.real(op, "tolerance", DIALECT_ALMOST_EQ), true)));
        Kernels.put("check.expect_almost_eq_const", (op, a, f) ->
                none(almostEq(op, t(a, 0), constant(op), Attrs.real(op, "tolerance", DIALECT_ALMOST_EQ), true)));
        Kernels.put("check.expect_close", (op, a, f) -> none(close(op, t(a, 0), t(a, 1),
                Attrs.integer(op, "min_ulp_difference", 0), Attrs.integer(op, "max_ulp_difference", 0), true)));
        ControlKernels.CUSTOM_CALLS.put("check.expect_eq", (op, a, f) -> none(expectEq(op, t(a, 0), t(a, 1))));
        ControlKernels.CUSTOM_CALLS.put("check.expect_almost_eq", (op, a, f) ->
                none(almostEq(op, t(a, 0), t(a, 1), CUSTOM_CALL_ALMOST_EQ, true)));
        ControlKernels.CUSTOM_CALLS.put("check.expect_close", (op, a, f) ->
                none(close(op, t(a, 0), t(a, 1), 0, CUSTOM_CALL_MAX_ULP, true)));
        ControlKernels.CUSTOM_CALLS.put("check.eq", (op, a, f) -> {
            Tensor x = t(a, 0), y = t(a, 1);
            boolean ok = x.elem.isInt() ? expectEq(op, x, y) : almostEq(op, x, y, QUANTIZED_EQ, true);
            return op.numResults() == 0 ? List.of() : List.of(Tensor.scalarInt(IntegerType.I1, ok ? 1 : 0));
        });
    }

    private static Tensor t(List<RtValue> a, int i) { return (Tensor) a.get(i); }

    private static List<RtValue> none(boolean ignored) { return List.of(); }

    private static Tensor constant(Operation op) {
        Attribute v = op.attr("value");
        if (!(v instanceof DenseElementsAttr d)) throw InterpreterException.at(op, "value must be dense elements, got " + v);
        return Tensor.fromDense(d);
    }

    private static void sameType(Operation op, Tensor a, Tensor e) {
        if (!a.type.withShape(a.shape).equals(e.type.withShape(e.shape))) {
            throw new CheckFailure(op, "type " + a.type + " differs from expected " + e.type);
        }
    }

    private static CheckFailure mismatch(Operation op, Tensor a, Tensor e, int i, String why) {
        return new CheckFailure(op, "element " + Format.index(a.shape, i) + ": got " + Format.element(a, i) + ", expected "
                + Format.element(e, i) + (why.isEmpty() ? "" : " (" + why + ")"));
    }

    /** Exact equality; floats by IEEE == (NaN never equal, -0 == +0). */
    static boolean expectEq(Operation op, Tensor a, Tensor e) {
        sameType(op, a, e);
        for (long i0 = 0; i0 < a.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, a.size); i < iEnd; i++) {
            boolean eq = switch (a.elem) {
                case FLOAT -> a.re[i] == e.re[i];
                case COMPLEX -> a.re[i] == e.re[i] && a.im[i] == e.im[i];
                default -> a.ints[i] == e.ints[i];
            };
            if (!eq) throw mismatch(op, a, e, i, "");
        }
        return true;
    }

    static boolean almostEq(Operation op, Tensor a, Tensor e, double tol, boolean fail) {
        sameType(op, a, e);
        for (long i0 = 0; i0 < a.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, a.size); i < iEnd; i++) {
            boolean ok = switch (a.elem) {
                case FLOAT -> almost(a.re[i], e.re[i], tol);
                case COMPLEX -> almost(a.re[i], e.re[i], tol) && almost(a.im[i], e.im[i], tol);
                default -> a.ints[i] == e.ints[i];
            };
            if (!ok) throw mismatch(op, a, e, i, "tolerance " + tol);
        }
        return true;
    }

    static boolean almost(double a, double b, double tol) {
        if (a == b) return true;
        if (Double.isNaN(a) || Double.isNaN(b)) return Double.isNaN(a) && Double.isNaN(b);
        if (Double.isInfinite(a) || Double.isInfinite(b)) return false;
        return Math.abs(a - b) <= tol;
    }

    static boolean close(Operation op, Tensor a, Tensor e, long minUlp, long maxUlp, boolean fail) {
        sameType(op, a, e);
        FloatKind k = switch (a.elementType) {
            case FloatType ft -> ft.kind();
            case ComplexType ct -> ct.elementType().kind();
            default -> throw new CheckFailure(op, "expect_close needs float or complex tensors, got " + a.type);
        };
        for (long i0 = 0; i0 < a.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, a.size); i < iEnd; i++) {
            long d = ulp(k, a.re[i], e.re[i]);
            if (a.elem == Elem.COMPLEX) {
                long di = ulp(k, a.im[i], e.im[i]);
                if (Long.compareUnsigned(di, d) > 0) d = di;
            }
            if (Long.compareUnsigned(d, maxUlp) > 0 || Long.compareUnsigned(d, minUlp) < 0) {
                throw mismatch(op, a, e, i, (d == -1 ? "not comparable" : Long.toUnsignedString(d)) + " ULP, allowed ["
                        + minUlp + ", " + maxUlp + "]");
            }
        }
        return true;
    }

    /** ULP distance in format {@code k}; -1 (as unsigned: infinite) when not comparable. */
    static long ulp(FloatKind k, double a, double b) {
        long ba = Floats.bits(k, a), bb = Floats.bits(k, b);
        if (ba == bb) return 0;
        boolean na = Double.isNaN(a), nb = Double.isNaN(b);
        if (na && nb) return 0;
        if (na || nb || Double.isInfinite(a) || Double.isInfinite(b)) return -1;
        long sign = 1L << (k.bitWidth() - 1);
        long aa = ba & ~sign, ab = bb & ~sign;
        boolean sameSign = (ba & sign) == (bb & sign);
        return sameSign ? Math.abs(aa - ab) : aa + ab;
    }

    static TensorType typeOf(Tensor t) { return t.type; }
}
