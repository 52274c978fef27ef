package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Value;

import java.util.IdentityHashMap;
import java.util.Map;

/** SSA values bound to runtime values; chained to the enclosing scope so region bodies see outer values. */
public final class Scope {
    private final Scope parent;
    private final Map<Value, RtValue> values = new IdentityHashMap<>();

    public Scope(Scope parent) { this.parent = parent; }

    public void bind(Value v, RtValue x) { values.put(v, x); }

    /** Drops this scope's binding of {@code v} (a value no later op reads), so its memory can be reclaimed. */
    void unbind(Value v) { values.remove(v); }

    /** The value bound here or in an enclosing scope; null if none. */
    public RtValue lookup(Value v) {
        for (Scope s = this; s != null; s = s.parent) {
            RtValue x = s.values.get(v);
            if (x != null) return x;
        }
        return null;
    }
}
