package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;

import java.util.Map;

/** A view of traced parameters under a path prefix: {@code p.child("layer1").get("w")} reads {@code layer1.w}. */
public record Params(Map<String, ?> all, String prefix) {
    public static Params of(Map<String, ?> all) { return new Params(all, ""); }

    public Params child(String name) { return new Params(all, prefix + name + "."); }

    public Tensor get(String name) {
        Object o = all.get(prefix + name);
        if (o == null) throw new DslException("Params.get", "no parameter " + prefix + name + " (have " + all.keySet() + ")", SourceLoc.here());
        if (!(o instanceof Tensor t)) {
            throw new DslException("Params.get", "parameter " + prefix + name + " is a " + o.getClass().getSimpleName() + ", not a traced Tensor",
                    SourceLoc.here());
        }
        return t;
    }
}
