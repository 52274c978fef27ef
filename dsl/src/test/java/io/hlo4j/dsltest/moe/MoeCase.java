package io.hlo4j.dsltest.moe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One golden fixture case of dsl/src/test/resources/moe and a runner of the traced layer on the interpreter. */
record MoeCase(String name, Path dir, MoeConfig config, Map<String, HostArray> inputs) {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> INPUTS = List.of("x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias", "token_ids");

    static Path root() {
        try {
            return Path.of(MoeCase.class.getResource("/moe/index.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        JSON.readTree(root().resolve("index.json").toFile()).get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names;
    }

    static MoeCase load(String name) {
        Path d = root().resolve(name);
        Map<String, HostArray> in = new HashMap<>();
        for (String f : INPUTS) if (Files.exists(d.resolve(f + ".npy"))) in.put(f, read(d, f));
        return new MoeCase(name, d, MoeConfigJson.read(d.resolve("config.json")), in);
    }

    static HostArray read(Path d, String f) {
        try {
            return Npy.read(d.resolve(f + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HostArray expected(String f) { return read(dir, f); }

    JsonNode metricsJson() {
        try {
            return JSON.readTree(dir.resolve("metrics.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The run's results by name: output, router_logits, selected_experts, selected_weights, expert_loads, metrics. */
    record Result(Map<String, HostArray> values) {
        HostArray get(String k) { return values.get(k); }
    }

    Result run(MoEMethods method) { return run(method, MoeFusedHooks.none()); }

    /** Traces the whole layer as one function, compiles it for the interpreter and runs it on this case's inputs. */
    Result run(MoEMethods method, MoeFusedHooks<Tensor> hooks) {
        List<String> outNames = new ArrayList<>();
        HostArray[] argv = args(method).stream().map(inputs::get).toArray(HostArray[]::new);
        List<HostArray> res = jit(method, hooks, outNames).lower((Object[]) argv).compile().call(argv);
        Map<String, HostArray> r = new HashMap<>();
        for (int i = 0; i < outNames.size(); i++) r.put(outNames.get(i), res.get(i));
        return new Result(r);
    }

    /** The lowered module of the layer on this case's inputs. */
    io.hlo4j.dsl.jit.Lowered lower(MoEMethods method, MoeFusedHooks<Tensor> hooks) {
        HostArray[] argv = args(method).stream().map(inputs::get).toArray(HostArray[]::new);
        return jit(method, hooks, new ArrayList<>()).lower((Object[]) argv);
    }

    /** The argument names of the traced function, in order (token ids only for HASH). */
    List<String> args(MoEMethods method) {
        boolean hashIds = config.routingStrategy() == io.hlo4j.dsl.moe.MoeRoutingStrategy.HASH && inputs.containsKey("token_ids");
        return INPUTS.stream().filter(inputs::containsKey).filter(a -> !a.equals("token_ids") || hashIds).toList();
    }

    private Jit jit(MoEMethods method, MoeFusedHooks<Tensor> hooks, List<String> outNames) {
        MoeConfig cfg = config.withMoeMethod(method);
        List<String> args = args(method);
        return Jit.jit(a -> {
            Map<String, Tensor> t = new HashMap<>();
            for (int i = 0; i < args.size(); i++) t.put(args.get(i), (Tensor) a[i]);
            ExpertWeights w = new ExpertWeights(t.get("wi"), t.get("wu"), t.get("wd"), t.get("wi_bias"), t.get("wu_bias"), t.get("wd_bias"));
            MoeOutput o = new BaseMoeModule(cfg, hooks).moeCall(t.get("x"), BaseMoeModule.linearGate(t.get("gate")), w, null, null, null,
                    true, 0, t.get("token_ids"));
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            outNames.clear();
            List<Tensor> outs = new ArrayList<>();
            add(outNames, outs, "output", o.output());
            add(outNames, outs, "router_logits", o.routerLogits());
            add(outNames, outs, "router_probs", m.routerProbs());
            add(outNames, outs, "selected_experts", m.selectedExperts());
            add(outNames, outs, "selected_weights", m.selectedWeights());
            add(outNames, outs, "expert_loads", m.expertLoads());
            add(outNames, outs, "expert_utilization", m.expertUtilization());
            add(outNames, outs, "routing_entropy", m.routingEntropy());
            m.loadBalancingLoss().ifPresent(l -> add(outNames, outs, "load_balancing_loss", l));
            m.routerZLoss().ifPresent(z -> add(outNames, outs, "router_z_loss", z));
            return outs;
        });
    }

    private static void add(List<String> names, List<Tensor> outs, String n, Tensor t) {
        names.add(n);
        outs.add(t);
    }
}
