package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Shape;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.SplittableRandom;

/**
 * A deterministic parameter initialiser: the values depend only on the seed, the parameter's full path and its
 * shape, so adding a layer never changes another layer's initial weights.
 */
@FunctionalInterface
public interface Init {
    HostArray create(long seed, String path, Shape shape, DType dtype);

    /** The per-parameter stream: a SplittableRandom seeded from the seed and a stable hash of the path. */
    static SplittableRandom stream(long seed, String path) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the path's UTF-16 units: stable across JVMs, unlike hashCode mixing
        for (int i = 0; i < path.length(); i++) {
            h ^= path.charAt(i);
            h *= 0x100000001b3L;
        }
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ h);
    }

    static Init zeros() { return (seed, path, shape, dtype) -> HostArray.zeros(type(shape, dtype)); }

    static Init constant(double v) { return (seed, path, shape, dtype) -> HostArray.fill(type(shape, dtype), v); }

    static Init normal(double std) {
        return (seed, path, shape, dtype) -> {
            SplittableRandom r = stream(seed, path);
            double[] d = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < d.length; i++) d[i] = gaussian(r) * std;
            return HostArray.fromDoubles(type(shape, dtype), d);
        };
    }

    /** Glorot/Xavier uniform for a [fanIn, fanOut] matrix: U(-a, a), a = sqrt(6 / (fanIn + fanOut)). */
    static Init glorotUniform() {
        return (seed, path, shape, dtype) -> {
            if (shape.rank() < 2) throw new IllegalArgumentException("glorotUniform needs a rank >= 2 shape for " + path + ", got " + shape);
            long fanIn = shape.dim(shape.rank() - 2), fanOut = shape.dim(shape.rank() - 1);
            double a = Math.sqrt(6.0 / (fanIn + fanOut));
            SplittableRandom r = stream(seed, path);
            double[] d = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < d.length; i++) d[i] = (2 * r.nextDouble() - 1) * a;
            return HostArray.fromDoubles(type(shape, dtype), d);
        };
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static TensorType type(Shape s, DType d) { return TensorType.of(d.elementType(), s.dims()); }
}
