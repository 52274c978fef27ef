package io.hlo4j.runtime.testing;

import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.Random;

/** Seeded standard-normal inputs, the x of the model blocks the journey tests trace. */
public final class GaussianArrays {
    private GaussianArrays() {}

    /** An array of type {@code t} whose elements are {@code new Random(seed).nextGaussian()} in order. */
    public static HostArray of(TensorType t, long seed) {
        Random r = new Random(seed);
        double[] v = new double[Math.toIntExact(t.numElements())];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return HostArray.fromDoubles(t, v);
    }
}
