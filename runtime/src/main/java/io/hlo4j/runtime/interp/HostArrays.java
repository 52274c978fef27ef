package io.hlo4j.runtime.interp;

import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;

/** Moves values between {@link HostArray} (storage, IO) and the interpreter's {@link Tensor}s, bit-exactly. */
public final class HostArrays {
    private HostArrays() {}

    public static Tensor toTensor(HostArray a) {
        return Bytes.decode(a.type(), a.toLittleEndianBytes(), false);
    }

    public static HostArray toHost(Tensor t) {
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
