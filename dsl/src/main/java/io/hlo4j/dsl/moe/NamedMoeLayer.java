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
 * wi, wu, wd and optionally wi_bias, wu_bias, wd_bias, token_ids, in the order of {@code names} (read when traced). Results, whose
 * names are written to {@code outNames} when traced: output, router_logits, router_probs (only when asked),
 * expert_loads, selected_experts, selected_weights, expert_utilization, routing_entropy, then load_balancing_loss
 * and router_z_loss when the config has their coefficients.
 */
public final class NamedMoeLayer {
    private NamedMoeLayer() {}

    public static TracedFunction of(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, List<String> names, List<String> outNames,
                                    boolean routerProbs) {
        return a -> {
            Map<String, Tensor> t = new HashMap<>();
            for (int i = 0; i < names.size(); i++) t.put(names.get(i), (Tensor) a[i]);
            ExpertWeights w = new ExpertWeights(t.get("wi"), t.get("wu"), t.get("wd"), t.get("wi_bias"), t.get("wu_bias"), t.get("wd_bias"));
            MoeOutput o = new BaseMoeModule(cfg, hooks).moeCall(t.get("x"), BaseMoeModule.linearGate(t.get("gate")), w, null, null, null,
                    true, 0, t.get("token_ids"));
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            outNames.clear();
            List<Tensor> outs = new ArrayList<>();
            add(outNames, outs, "output", o.output());
            add(outNames, outs, "router_logits", o.routerLogits());
            if (routerProbs) add(outNames, outs, "router_probs", m.routerProbs());
            add(outNames, outs, "expert_loads", m.expertLoads());
            add(outNames, outs, "selected_experts", m.selectedExperts());
            add(outNames, outs, "selected_weights", m.selectedWeights());
            add(outNames, outs, "expert_utilization", m.expertUtilization());
            add(outNames, outs, "routing_entropy", m.routingEntropy());
            m.loadBalancingLoss().ifPresent(l -> add(outNames, outs, "load_balancing_loss", l));
            m.routerZLoss().ifPresent(z -> add(outNames, outs, "router_z_loss", z));
            return outs;
        };
    }

    private static void add(List<String> names, List<Tensor> outs, String n, Tensor t) {
        names.add(n);
        outs.add(t);
    }
}
