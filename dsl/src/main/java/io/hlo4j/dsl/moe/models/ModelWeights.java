package io.hlo4j.dsl.moe.models;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.MoeException;

import java.util.Map;

/** Lookup of a block's traced weights by name, refusing a missing one by name. */
final class ModelWeights {
    private ModelWeights() {}

    static Tensor need(Map<String, Tensor> w, String name) {
        Tensor t = w.get(name);
        if (t == null) throw new MoeException("model block: weight '" + name + "' is missing (have " + w.keySet() + ")");
        return t;
    }
}
