package io.hlo4j.cli;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.examples.Example;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models {@code hlo4j dump} knows besides the examples (which it finds through {@link ModelSource}, the user's
 * as the bundled ones): the MoE layer, traced on argument specs from a config, and {@code mlp}, another name of
 * {@code mlp-regression}.
 */
final class DumpModel {
    private DumpModel() {}

    /** The names of dump's own models, besides the examples': a user's model may not take them. */
    static final List<String> BUILTINS = List.of("moe", "mlp");

    /** Every model name {@code dump} knows with {@code source}: its own, then every example's (bundled and the user's). */
    static List<String> names(ModelSource source) {
        List<String> names = new ArrayList<>(BUILTINS);
        names.addAll(source.all().keySet());
        return names;
    }

    /** {@code mlp} is {@code mlp-regression}. */
    static String canonical(String name) { return name.equals("mlp") ? "mlp-regression" : name; }

    /**
     * The MoE layer ({@code BaseMoeModule.moeCall}, FUSED) on specs: x [B, S, H], gate [H, E], wi, wu [E, H, M], wd [E, M, H]
     * (+ token_ids [B, S] for hash routing); it returns the output and the router logits, and does not train. x stands
     * first as its "parameters" and the rest as its batch, so that {@code @main} takes them in the layer's order, each a
     * top-level argument; on a mesh, x is split by batch over (dp, fsdp) and by sequence over sp, the expert weights by
     * expert over ep and by FFN over tp.
     */
    record MoeLayer(MoeConfig cfg, int b, int s) implements io.hlo4j.examples.BundledModel {
        @Override public String name() { return "moe"; }

        @Override public String description() { return "the MoE layer (BaseMoeModule.moeCall) on argument shapes, from --config"; }

        private boolean hash() { return cfg.routingStrategy() == MoeRoutingStrategy.HASH; }

        @Override public Object params() { return Spec.of(DType.F32, b, s, cfg.hiddenSize()); }

        @Override public List<Object> batch() {
            int e = cfg.nRoutedExperts(), h = cfg.hiddenSize(), m = cfg.moeIntermediateSize();
            List<Object> args = new ArrayList<>(List.of(Spec.of(DType.F32, h, e), Spec.of(DType.F32, e, h, m), Spec.of(DType.F32, e, h, m),
                    Spec.of(DType.F32, e, m, h)));
            if (hash()) args.add(Spec.of(DType.I32, b, s));
            return args;
        }

        @Override public TracedFunction loss() {
            boolean hash = hash();
            return a -> {
                ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], null, null, null);
                MoeOutput o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                        BaseMoeModule.linearGate((Tensor) a[1]), w, null, null, null, false, 0, hash ? (Tensor) a[5] : null);
                return List.of(o.output(), o.routerLogits());
            };
        }

        @Override public Object paramShardings(Mesh mesh) { return NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp", null); }

        @Override public List<NamedSharding> batchShardings(Mesh mesh) {
            List<NamedSharding> in = new ArrayList<>();
            in.add(null);
            in.add(NamedSharding.of(mesh, "ep", null, "tp"));
            in.add(NamedSharding.of(mesh, "ep", null, "tp"));
            in.add(NamedSharding.of(mesh, "ep", "tp", null));
            if (hash()) in.add(NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp"));
            int e = cfg.nRoutedExperts(), h = cfg.hiddenSize(), m = cfg.moeIntermediateSize();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            shapes.put("x", new long[] {b, s, h});
            shapes.put("wi", new long[] {e, h, m});
            shapes.put("wu", new long[] {e, h, m});
            shapes.put("wd", new long[] {e, m, h});
            if (hash()) shapes.put("token_ids", new long[] {b, s});
            Map<String, NamedSharding> byName = new LinkedHashMap<>(Map.of("x", (NamedSharding) paramShardings(mesh), "wi", in.get(1),
                    "wu", in.get(2), "wd", in.get(3)));
            if (hash()) byName.put("token_ids", in.get(4));
            MoeMeshFit.require("dump moe (B=" + b + ", S=" + s + ") on mesh " + mesh.describe(), mesh, shapes, byName);
            return in;
        }
    }
}
