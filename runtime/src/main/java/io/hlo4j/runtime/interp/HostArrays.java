package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;

/** Moves values between {@link HostArray} (storage, IO) and the interpreter's {@link Tensor}s, bit-exactly. */
public final class HostArrays {
    private HostArrays() {}

    /*
     * f32 and f64, the types a model's weights and data have, are copied element by element: a float widened to a
     * double and narrowed back is the same float, bits and NaN payloads alike (a NaN by its bits, {@link Floats#fromF32Bits},
     * so that a signalling one stays signalling), as the little-endian bytes' path gives
     * (which every other type takes); for weight-sized arrays that path's bytes cost more than the steps' kernels.
     */

    public static Tensor toTensor(HostArray a) {
        if (a.elementType() instanceof FloatType f && (f.kind() == FloatKind.F32 || f.kind() == FloatKind.F64)) {
            // toDoubleArray is a fresh array of f64 values already: the tensor takes it as it is
            if (f.kind() == FloatKind.F64) return Tensor.raw(a.type(), null, a.toDoubleArray(), null);
            Tensor t = Tensor.zeros(a.type());
            double[] re = t.re;
            float[] v = a.toFloatArray();
            for (long i0 = 0; i0 < re.length; i0 += StopCheck.STEP) for (int i = (int) i0, e = StopCheck.end(i0, re.length); i < e; i++) {
                float x = v[i];
                re[i] = x == x ? x : Floats.fromF32Bits(Float.floatToRawIntBits(x));   // a NaN by its bits: a cast would quiet it
            }
            return t;
        }
        return Bytes.decode(a.type(), a.toLittleEndianBytes(), false);
    }

    public static HostArray toHost(Tensor t) {
        if (t.elementType instanceof FloatType f && f.kind() == FloatKind.F64) return HostArray.fromDoubles(t.type, t.re);
        if (t.elementType instanceof FloatType f && f.kind() == FloatKind.F32) {
            float[] v = new float[t.size];
            for (long i0 = 0; i0 < v.length; i0 += StopCheck.STEP) for (int i = (int) i0, e = StopCheck.end(i0, v.length); i < e; i++) {
                double x = t.re[i];
                v[i] = x == x ? (float) x : Float.intBitsToFloat(Floats.f32Bits(x));
            }
            return HostArray.fromFloats(t.type, v);
        }
        return HostArray.fromLittleEndianBytes(t.type, Bytes.encode(t));
    }

    public static List<RtValue> toValues(List<HostArray> arrays) {
        List<RtValue> out = new ArrayList<>(arrays.size());
        for (HostArray a : arrays) out.add(toTensor(a));
        return out;
    }

    /** Results as host arrays; a tuple or token result is refused by position. */
    public static List<HostArray> toHost(List<RtValue> values) {
        List<HostArray> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            if (!(values.get(i) instanceof Tensor t)) {
                throw new IllegalArgumentException("result " + i + " is a " + values.get(i).getClass().getSimpleName() + ", not a tensor");
            }
            out.add(toHost(t));
        }
        return out;
    }
}
