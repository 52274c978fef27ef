package io.hlo4j.dsl.moe.models;

import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.nn.StateDicts;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the tensors of one Hugging Face MoE block from a state dict and brings them to the layer's layout.
 * Hugging Face stores every {@code nn.Linear} weight as [out, in]; the layer wants [in, out] kernels, stacked over
 * experts: wi, wu [E, H, M], wd [E, M, H]. A missing or misshapen tensor is an error naming it and the file.
 */
public final class HfMoeCheckpoint {
    private final Map<String, HostArray> state;
    private final String source;

    public HfMoeCheckpoint(Map<String, HostArray> state, String source) {
        this.state = state;
        this.source = source;
    }

    public static HfMoeCheckpoint open(Path safetensors) throws IOException {
        return new HfMoeCheckpoint(StateDicts.loadSafetensors(safetensors), safetensors.toString());
    }

    public boolean has(String name) { return state.containsKey(name); }

    /** The tensor {@code name} with exactly the given shape. */
    public HostArray get(String name, long... shape) {
        HostArray a = state.get(name);
        if (a == null) throw new MoeException(source + ": tensor '" + name + "' is missing");
        if (!Arrays.equals(a.shape(), shape)) {
            throw new MoeException(source + ": tensor '" + name + "' has shape " + Arrays.toString(a.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        return a;
    }

    /** A linear weight stored [out, in], returned as the kernel [in, out]. */
    public HostArray kernel(String name, long in, long out) {
        return transpose2d(get(name, out, in));
    }

    /** E linear weights {@code format} % i, each [out, in], stacked as kernels [E, in, out]. */
    public HostArray stackedKernels(String format, int experts, long in, long out) {
        HostArray first = get(format.formatted(0), out, in);
        double[] all = new double[Math.toIntExact(experts * in * out)];
        for (int e = 0; e < experts; e++) {
            double[] k = transpose2d(get(format.formatted(e), out, in)).toDoubleArray();
            System.arraycopy(k, 0, all, Math.toIntExact(e * in * out), k.length);
        }
        return HostArray.fromDoubles(TensorType.of(first.elementType(), experts, in, out), all);
    }

    static HostArray transpose2d(HostArray a) {
        long[] s = a.shape();
        int r = Math.toIntExact(s[0]), c = Math.toIntExact(s[1]);
        double[] v = a.toDoubleArray(), t = new double[v.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = v[i * c + j];
        return HostArray.fromDoubles(TensorType.of(a.elementType(), c, r), t);
    }

    /** The routed experts of a block: gate [H, E], wi, wu [E, H, M], wd [E, M, H], in a fresh ordered map. */
    static Map<String, HostArray> routed(HfMoeCheckpoint ck, String gateName, String expertFormat, String gateProj,
                                         String upProj, String downProj, int e, long h, long m) {
        Map<String, HostArray> w = new LinkedHashMap<>();
        w.put("gate", ck.kernel(gateName, h, e));
        w.put("wi", ck.stackedKernels(expertFormat + gateProj + ".weight", e, h, m));
        w.put("wu", ck.stackedKernels(expertFormat + upProj + ".weight", e, h, m));
        w.put("wd", ck.stackedKernels(expertFormat + downProj + ".weight", e, m, h));
        return w;
    }
}
