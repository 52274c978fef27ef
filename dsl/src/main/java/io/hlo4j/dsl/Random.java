package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

import java.util.List;

/**
 * A counter-based PRNG on Threefry-2x32 (20 rounds, Salmon et al. 2011), keys are u32[2], in the scheme of
 * JAX's original (non-partitionable) threefry: {@code split} hashes the counters {@code 0..2n-1},
 * {@code foldIn} hashes {@code [0, data]}, random bits hash {@code 0..n-1} split into two halves.
 * Everything is traced: keys and samples are tensors.
 */
public final class Random {
    private Random() {}

    private static final int[][] ROTATIONS = {{13, 15, 26, 6}, {17, 29, 16, 24}};

    /** The key of a seed: {@code [seed >> 32, seed & 0xffffffff]}. */
    public static Tensor key(long seed) {
        return Ops.constant(new double[]{(double) (seed >>> 32), (double) (seed & 0xffffffffL)}, Shape.of(2), DType.U32);
    }

    /** Threefry-2x32 of counter pairs {@code (x0[i], x1[i])} under {@code key}; x0 and x1 are u32 of equal shape. */
    public static Tensor[] threefry2x32(Tensor key, Tensor x0, Tensor x1) {
        Location loc = SourceLoc.here();
        if (key.dtype() != DType.U32 || key.rank() != 1 || key.dims()[0] != 2) throw new DslException("threefry2x32", "key must be u32[2], got " + key.describe(), loc);
        if (x0.dtype() != DType.U32 || x1.dtype() != DType.U32 || !x0.shape().equals(x1.shape())) {
            throw new DslException("threefry2x32", "counters must be u32 of one shape, got " + Tensor.describeAll(List.of(x0, x1)), loc);
        }
        Tensor k0 = Ops.reshape(Ops.slice(key, new long[]{0}, new long[]{1}));
        Tensor k1 = Ops.reshape(Ops.slice(key, new long[]{1}, new long[]{2}));
        Tensor k2 = Ops.binary("threefry2x32", "xor", Ops.binary("threefry2x32", "xor", k0, k1), Ops.scalar(0x1BD11BDAL, DType.U32));
        Tensor[] ks = {k0, k1, k2};
        Tensor a = Ops.add(x0, k0), b = Ops.add(x1, k1);
        for (int i = 0; i < 5; i++) {
            for (int r : ROTATIONS[i % 2]) {
                a = Ops.add(a, b);
                b = rotl(b, r);
                b = Ops.binary("threefry2x32", "xor", b, a);
            }
            a = Ops.add(a, ks[(i + 1) % 3]);
            b = Ops.add(Ops.add(b, ks[(i + 2) % 3]), (double) (i + 1));
        }
        return new Tensor[]{a, b};
    }

    private static Tensor rotl(Tensor x, int r) {
        Tensor left = Ops.binary("rotl", "shift_left", x, Ops.scalar(r, DType.U32));
        Tensor right = Ops.binary("rotl", "shift_right_logical", x, Ops.scalar(32 - r, DType.U32));
        return Ops.binary("rotl", "or", left, right);
    }

    /** Hash of the counters {@code 0..n-1} (n padded to even), as JAX's threefry_2x32 over a flat count. */
    static Tensor hashCounts(Tensor key, long n) {
        long half = (n + 1) / 2;
        Tensor counts = Ops.arange(2 * half, DType.U32);
        Tensor x0 = Ops.slice(counts, new long[]{0}, new long[]{half});
        Tensor x1 = Ops.slice(counts, new long[]{half}, new long[]{2 * half});
        Tensor[] y = threefry2x32(key, x0, x1);
        Tensor all = Ops.concat(0, y[0], y[1]);
        return n == 2 * half ? all : Ops.slice(all, new long[]{0}, new long[]{n});
    }

    /** {@code n} new keys, u32[n, 2]. */
    public static Tensor split(Tensor key, int n) {
        return Ops.reshape(hashCounts(key, 2L * n), n, 2);
    }

    /** A key derived from {@code key} and an integer (u32 scalar tensor). */
    public static Tensor foldIn(Tensor key, Tensor data) {
        Location loc = SourceLoc.here();
        if (data.rank() != 0 || !data.dtype().isInteger()) throw new DslException("foldIn", "data must be an integer scalar, got " + data.describe(), loc);
        Tensor d = Ops.reshape(Ops.astype(data, DType.U32), 1);
        Tensor[] y = threefry2x32(key, Ops.zeros(Shape.of(1), DType.U32), d);
        return Ops.concat(0, y[0], y[1]);
    }

    public static Tensor foldIn(Tensor key, long data) { return foldIn(key, Ops.scalar(data, DType.U32)); }

    /** u32 random bits of {@code shape}. */
    public static Tensor bits(Tensor key, Shape shape) {
        return Ops.reshape(hashCounts(key, shape.size()), shape.dims());
    }

    /**
     * Uniform in {@code [lo, hi)}: the top 23 bits become an f32 mantissa in [1, 2), minus 1 (JAX's construction);
     * other float dtypes are converted from that f32 value.
     */
    public static Tensor uniform(Tensor key, Shape shape, DType dtype, double lo, double hi) {
        Location loc = SourceLoc.here();
        if (!dtype.isFloat()) throw new DslException("uniform", "dtype must be floating-point, got " + dtype, loc);
        Tensor b = bits(key, shape);
        Tensor mant = Ops.binary("uniform", "or", Ops.binary("uniform", "shift_right_logical", b, Ops.scalar(9, DType.U32)),
                Ops.scalar(0x3F800000L, DType.U32));
        Tensor f = Ops.sub(Ops.bitcast(mant, DType.F32), 1.0);
        Tensor scaled = Ops.add(Ops.mul(f, hi - lo), lo);
        Tensor out = Ops.maximum(scaled, lo);
        return Ops.astype(out, dtype);
    }

    public static Tensor uniform(Tensor key, Shape shape, DType dtype) { return uniform(key, shape, dtype, 0, 1); }

    /** Standard normal samples by Box-Muller over two independent uniform draws (not JAX's erfinv method). */
    public static Tensor normal(Tensor key, Shape shape, DType dtype) {
        Tensor ks = split(key, 2);
        Tensor u1 = uniform(Ops.reshape(Ops.slice(ks, new long[]{0, 0}, new long[]{1, 2}), 2), shape, DType.F32);
        Tensor u2 = uniform(Ops.reshape(Ops.slice(ks, new long[]{1, 0}, new long[]{2, 2}), 2), shape, DType.F32);
        // 1 - u1 lies in (0, 1], so the log is finite.
        Tensor r = Ops.sqrt(Ops.mul(Ops.log(Ops.sub(1.0, u1)), -2.0));
        Tensor z = Ops.mul(r, Ops.cos(Ops.mul(u2, 2 * Math.PI)));
        return Ops.astype(z, dtype);
    }
}
