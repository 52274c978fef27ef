package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.IntegerType;

import java.math.BigInteger;

/**
 * The scalar constant of an explicit fill value ({@code take}, {@code takeAlongAxis}, {@code gatherFill} in FILL mode),
 * converted to the array's dtype as JAX converts {@code fill_value} (read from {@code lax.full_like} and
 * {@code _convert_element_type}, JAX 0.11): a Python int goes through {@code np.asarray(v).astype(dtype)}, a Python float
 * through {@code np.asarray(v, dtype=dtype)} and, where numpy overflows, the backend's convert. bf16 is ml_dtypes' type,
 * which converts every value to f32 first and then to bf16 (two roundings); numpy's own f16 rounds a double once and an
 * int64 through f32 (exact below 2^24, infinity above either way). Only fills do this: a traced convert follows XLA's
 * single rounding.
 */
final class FillValue {
    private FillValue() {}

    /**
     * An integer fill, exact in every dtype. Integer dtypes take it modulo 2^bits (numpy's astype: i32 fill 2^32 + 5 is
     * 5, u8 fill -1 is 255), so a u64 value from 2^63 up is given by its bit pattern ({@code -1L} or
     * {@code Long.parseUnsignedLong("18446744073709551615")} is 2^64 - 1); bool is {@code v != 0}; f64 rounds once to
     * nearest, ties to even, and the narrower floats round to f32 first (Java's long-to-float cast is that one correctly
     * rounded step, JLS 5.1.2), then to their dtype: bf16 fill 2^24 + 2^16 + 1 is 2^24 (f32 2^24 + 2^16 ties to even),
     * not the 2^24 + 2^17 a single rounding gives.
     */
    static Tensor of(long v, DType d) {
        if (d.isBool()) return Ops.scalarBits(v != 0 ? 1 : 0, d);
        if (!d.isFloat()) return Ops.scalarBits(v, d);
        return Ops.scalar(d == DType.F64 ? (double) v : (double) (float) v, d);
    }

    /**
     * A floating fill: rounded to nearest in a float dtype (overflowing to infinity), in bf16 through f32 as ml_dtypes
     * does (bf16 fill 1 + 2^-8 + 2^-40 is 1: f32 1 + 2^-8 ties to even); truncated toward zero in an integer
     * dtype, as numpy does. Where the truncated value does not fit (or is NaN or infinite) JAX hands it to the backend's
     * float-to-integer convert, whose result StableHLO leaves undefined, so it is refused, naming the op, the value, the
     * dtype and the user's line; an exact integer fill is the {@code long} overload.
     */
    static Tensor of(double v, DType d, String op, Location loc) {
        if (d == DType.BF16) return Ops.scalar((double) (float) v, d);
        if (d.isFloat() || d.isBool()) return Ops.scalar(v, d);
        double t = v < 0 ? Math.ceil(v) : Math.floor(v);
        int bits = ((IntegerType) d.elementType()).width();
        double lo = d.isUnsigned() ? 0 : -Math.scalb(1.0, bits - 1), hi = Math.scalb(1.0, d.isUnsigned() ? bits : bits - 1);
        if (!(t >= lo && t < hi)) {
            throw new DslException(op, "fill value " + v + " does not fit " + d + " (" + range(d) + "): JAX leaves it to the backend's"
                    + " float-to-integer convert; pass a long fill for an exact integer (taken modulo 2^" + bits + ", as JAX does)", loc);
        }
        return d == DType.U64 && t >= 0x1p63 ? Ops.scalarBits((long) (t - 0x1p63) ^ Long.MIN_VALUE, d) : Ops.scalarBits((long) t, d);
    }

    private static String range(DType d) {
        int bits = ((IntegerType) d.elementType()).width();
        BigInteger one = BigInteger.ONE;
        return d.isUnsigned() ? "0 to " + one.shiftLeft(bits).subtract(one)
                : one.shiftLeft(bits - 1).negate() + " to " + one.shiftLeft(bits - 1).subtract(one);
    }
}
