package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** What {@code moeCall} returns: the output [B, S, H], the router logits [N, E] and, when asked for, the metrics. */
public record MoeOutput(Tensor output, Tensor routerLogits, Optional<MoeMetrics<Tensor>> metrics) {
    /**
     * Everything as one map, by the names {@code hlo4j moe run} writes: output, router_logits and, when metrics were
     * asked for, {@link MoeMetrics#asMap()}'s entries. A traced function can return it as is
     * ({@code Jit.callMap} then gives the arrays by name).
     */
    public Map<String, Tensor> asMap() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("output", output);
        m.put("router_logits", routerLogits);
        metrics.ifPresent(x -> m.putAll(x.asMap()));
        return m;
    }
}
