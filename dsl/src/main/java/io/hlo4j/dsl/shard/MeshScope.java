package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The meshes a sharded trace refers to, by symbol name, in first-use order: each becomes one
 * {@code sdy.mesh @name} in the module. Thread-local and nested like {@link io.hlo4j.dsl.Trace}. Two different
 * meshes under one name, or meshes of different device counts, are refused (a module has one device count).
 */
final class MeshScope {
    private static final ThreadLocal<Deque<MeshScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Map<String, Mesh> meshes = new LinkedHashMap<>();

    static <R> R within(MeshScope s, Supplier<R> body) {
        STACK.get().push(s);
        try {
            return body.get();
        } finally {
            STACK.get().pop();
        }
    }

    /** The innermost scope, or null outside any sharded trace. */
    static MeshScope current() { return STACK.get().peek(); }

    void add(Mesh m, String op, Location loc) {
        Mesh prev = meshes.get(m.name());
        if (prev != null && !prev.equals(m)) {
            throw new DslException(op, "two different meshes are named @" + m.name() + ": " + prev.describe() + " and " + m.describe()
                    + " (give one another symbol with Mesh.named)", loc);
        }
        for (Mesh o : meshes.values()) {
            if (o.size() != m.size()) {
                throw new DslException(op, "mesh @" + m.name() + " " + m.describe() + " has " + m.size() + " devices but mesh @" + o.name()
                        + " " + o.describe() + " has " + o.size() + "; all meshes of one program span the same devices", loc);
            }
        }
        meshes.putIfAbsent(m.name(), m);
    }

    List<Mesh> meshes() { return List.copyOf(meshes.values()); }
}
