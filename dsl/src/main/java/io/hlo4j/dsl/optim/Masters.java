package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * f32 master weights for parameters narrower than f32 (bf16, f16), shared by the optimisers: the state keeps, per
 * leaf, an f32 copy (or an empty list for wide leaves); the update runs on the master and the parameter is the
 * master rounded back, so steps below a bf16 ulp accumulate instead of vanishing.
 */
final class Masters {
    private Masters() {}

    static boolean narrow(TensorType t) {
        return t.elementType() instanceof FloatType f && (f.equals(FloatType.BF16) || f.equals(FloatType.F16));
    }

    /** The type the optimiser's per-leaf state (moments, velocity, master) has: f32 for narrow parameters. */
    static TensorType stateType(TensorType param) {
        return narrow(param) ? TensorType.of(FloatType.F32, param.shape()) : param;
    }

    /** The initial master entry of a leaf: its f32 copy, or an empty list when it is not narrow. */
    static Object initial(HostArray p) {
        return narrow(p.type()) ? HostArray.fromDoubles(stateType(p.type()), p.toDoubleArray()) : List.of();
    }

    /** What the update works on: the master of a narrow leaf, else the parameter itself. */
    static Tensor working(Tensor param, Object master) {
        return narrow(param.type()) ? (Tensor) master : param;
    }

    /** The next master entry for an updated working value {@code w}. */
    static Object next(Tensor param, Tensor w) {
        return narrow(param.type()) ? w : List.of();
    }

    /** The next parameter: the updated working value, rounded back to the parameter's dtype when narrow. */
    static Tensor param(Tensor param, Tensor w) {
        return narrow(param.type()) ? Ops.astype(w, param.dtype()) : w;
    }

    /** The master entries' shardings: each narrow leaf's parameter sharding, else an empty list (no master). */
    static List<Object> shardings(List<NamedSharding> paramShardings, List<TensorType> types) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < paramShardings.size(); i++) out.add(narrow(types.get(i)) ? paramShardings.get(i) : List.of());
        return Collections.unmodifiableList(out);
    }
}
