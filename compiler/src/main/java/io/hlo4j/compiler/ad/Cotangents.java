package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Value;

import java.util.IdentityHashMap;
import java.util.Map;

/** Cotangents accumulated per forward value (keyed by the original function's values); fan-out sums. */
final class Cotangents {
    private final Map<Value, Value> cts = new IdentityHashMap<>();
    private final Backward b;

    Cotangents(Backward b) { this.b = b; }

    Value get(Value v) { return cts.get(v); }

    void add(Value v, Value ct) {
        Value prev = cts.get(v);
        cts.put(v, prev == null ? ct : b.add(prev, ct));
    }
}
