package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole MoE layer ({@link BaseMoeModule#moeCall} with a linear gate, metrics on) as one traceable function of
 * arrays by name: the form {@code hlo4j moe} traces and the fixture tests run, written once. Arguments are x, gate,
 * wi, wu, wd and optionally wi_bias, wu_bias, wd_bias, token_ids, in the order of {@code names} (read when traced).
 * Results are {@link MoeOutput#asMap()}'s entries in its order, router_probs only when asked for; their names are
 * written to {@code outNames} when traced.
 */
public final class NamedMoeLayer {
    private NamedMoeLayer() {}

    public static TracedFunction of(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, List<String> names, List<String> outNames,
                                    boolean routerProbs) {
        return a -> {
            Map<String, Tensor> t = new HashMap<>();
            for (int i = 0; i < names.size(); i++) t.put(names.get(i), (Tensor) a[i]);
            ExpertWeights w = new ExpertWeights(t.get("wi"), t.get("wu"), t.get("wd"), t.get("wi_bias"), t.get("wu_bias"), t.get("wd_bias"));
            Map<String, Tensor> all = new BaseMoeModule(cfg, hooks).moeCall(t.get("x"), BaseMoeModule.linearGate(t.get("gate")), w, null, null, null,
                    true, 0, t.get("token_ids")).asMap();
            if (!routerProbs) all.remove("router_probs");
            outNames.clear();
            outNames.addAll(all.keySet());
            return new ArrayList<>(all.values());
        };
    }
}
