package io.hlo4j.mlir.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The one registry of ops. {@link #global()} holds every dialect hlo4j knows, registered once at first use.
 * Dialects are found in {@link Dialects#ALL} (a fixed list, so registration order never depends on the
 * class path) plus any {@link Dialect} services on the class path.
 */
public final class OpRegistry {
    private static volatile OpRegistry global;

    private final Map<String, OpDef> ops = new TreeMap<>();
    private final AttributeRegistry attributes = new AttributeRegistry();
    private final List<String> dialects = new ArrayList<>();

    public static OpRegistry global() {
        OpRegistry r = global;
        if (r == null) {
            synchronized (OpRegistry.class) {
                r = global;
                if (r == null) {
                    r = new OpRegistry();
                    for (Dialect d : Dialects.ALL.get()) r.load(d);
                    for (Dialect d : ServiceLoader.load(Dialect.class)) {
                        if (!r.dialects.contains(d.namespace())) r.load(d);
                    }
                    global = r;
                }
            }
        }
        return r;
    }

    private void load(Dialect d) {
        dialects.add(d.namespace());
        d.register(this, attributes);
    }

    public synchronized void register(OpDef def) {
        if (ops.containsKey(def.name())) throw new IllegalStateException("op " + def.name() + " registered twice");
        ops.put(def.name(), def);
    }

    /** The op's declaration, or null if no dialect declares it. */
    public OpDef lookup(String name) { return ops.get(name); }

    public Collection<OpDef> all() { return Collections.unmodifiableCollection(ops.values()); }

    public List<String> dialects() { return Collections.unmodifiableList(dialects); }

    public AttributeRegistry attributes() { return attributes; }
}
