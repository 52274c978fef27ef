package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;

import java.util.Map;

/** A view of traced parameters under a path prefix: {@code p.child("layer1").get("w")} reads {@code layer1.w}. */
public record Params(Map<String, ?> all, String prefix) {
    public static Params of(Map<String, ?> all) { return new Params(all, ""); }

    /**
     * A traced function's argument ({@code a[0]}) as parameters, without an unchecked cast: it must be a map
     * keyed by name, else the error says what it is.
     */
    public static Params of(Object tracedArgument) {
        if (!(tracedArgument instanceof Map<?, ?> m)) {
            throw new DslException("Params.of", "expected the parameters as a map of name -> Tensor, got "
                    + (tracedArgument instanceof Tensor t ? "one tensor " + t.describe() : tracedArgument == null ? "null" : "a " + tracedArgument.getClass().getSimpleName()),
                    SourceLoc.here());
        }
        Map<String, Object> named = new java.util.LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new DslException("Params.of", "parameter key " + e.getKey() + " is a " + e.getKey().getClass().getSimpleName() + ", not a String", SourceLoc.here());
            }
            named.put(k, e.getValue());
        }
        return of(named);
    }

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
