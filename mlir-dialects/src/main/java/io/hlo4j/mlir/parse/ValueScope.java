package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.ir.Value;

import java.util.HashMap;
import java.util.Map;

/**
 * SSA names visible in one region (and, through {@code parent}, in the enclosing regions up to the nearest
 * isolated one). A name binds a group of values: {@code %0:2} binds two results reached as {@code %0#1}.
 */
final class ValueScope {
    final ValueScope parent;
    final boolean isolated;
    private final Map<String, Value[]> names = new HashMap<>();

    ValueScope(ValueScope parent, boolean isolated) {
        this.parent = parent;
        this.isolated = isolated;
    }

    /** The values bound to {@code name} in this scope or a visible enclosing one, or null. */
    Value[] lookup(String name) {
        for (ValueScope s = this; s != null; s = s.parent) {
            Value[] v = s.names.get(name);
            if (v != null) return v;
            if (s.isolated) break;
        }
        return null;
    }

    /** Binds {@code name}; false when it is already visible (MLIR forbids shadowing in nested regions). */
    boolean define(String name, Value[] values) {
        if (lookup(name) != null) return false;
        names.put(name, values);
        return true;
    }
}
