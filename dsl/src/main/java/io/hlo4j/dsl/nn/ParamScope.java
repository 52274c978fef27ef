package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Shape;
import io.hlo4j.runtime.array.HostArray;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Creates named, nested parameters: {@code child("layer1").param("w", ...)} is stored under {@code layer1.w}. */
public final class ParamScope {
    private final long seed;
    private final String prefix;
    private final Map<String, HostArray> store;

    private ParamScope(long seed, String prefix, Map<String, HostArray> store) {
        this.seed = seed;
        this.prefix = prefix;
        this.store = store;
    }

    /** Initialises {@code layer}'s parameters from {@code seed}; returns the state dict (sorted by name). */
    public static Map<String, HostArray> init(Layer layer, long seed) {
        Map<String, HostArray> store = new TreeMap<>();
        layer.init(new ParamScope(seed, "", store));
        return Collections.unmodifiableMap(store);
    }

    public ParamScope child(String name) {
        check(name);
        return new ParamScope(seed, prefix + name + ".", store);
    }

    public HostArray param(String name, Shape shape, DType dtype, Init init) {
        check(name);
        String path = prefix + name;
        if (store.containsKey(path)) throw new IllegalStateException("parameter " + path + " declared twice");
        HostArray a = init.create(seed, path, shape, dtype);
        store.put(path, a);
        return a;
    }

    private static void check(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("parameter/scope name must be non-empty without '.', got '" + name + "'");
    }
}
