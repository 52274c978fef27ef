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
import io.hlo4j.dsl.nn.Mlp;
import io.hlo4j.dsl.nn.ParamScope;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.examples.MixtralLm;
import io.hlo4j.examples.MlpRegression;
import io.hlo4j.examples.MoeRegression;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The models {@code hlo4j dump} knows: each gives a traced function, its arguments (specs for the MoE layer; the
 * examples' seeded parameters and data, which {@code --inputs} writes) and, for a mesh, one sharding per argument leaf. Data
 * tensors are split on their batch dimension over {@code (dp, fsdp)}; expert weights on their expert dimension
 * over {@code ep} and their intermediate dimension over {@code tp}; everything else is left unannotated.
 */
enum DumpModel {
    MOE, MLP, MOE_REGRESSION, MIXTRAL_LM;

    static final List<String> NAMES = List.of("moe", "mlp", "mlp-regression", "moe-regression", "mixtral-lm");

    /** The function to trace, its arguments, and (with a mesh) the per-leaf shardings. */
    record Program(String name, TracedFunction fn, Object[] args, List<NamedSharding> inShardings, List<NamedSharding> outShardings) {}

    static DumpModel byName(String name) {
        return switch (name) {
            case "moe" -> MOE;
            case "mlp", "mlp-regression" -> MLP;
            case "moe-regression" -> MOE_REGRESSION;
            case "mixtral-lm" -> MIXTRAL_LM;
            default -> null;
        };
    }

    /** The batch split of a data tensor: dimension 0 over (dp, fsdp), the rest replicated. */
    private static NamedSharding data(Mesh m) { return NamedSharding.of(m, (Object) new String[] {"dp", "fsdp"}); }

    Program program(MoeConfig cfg, int batch, int seq, Mesh mesh) {
        return switch (this) {
            case MOE -> moe(cfg, batch, seq, mesh);
            case MLP -> mlp(mesh);
            case MOE_REGRESSION -> moeRegression(mesh);
            case MIXTRAL_LM -> mixtralLm(mesh);
        };
    }

    /** The MoE layer: x [B, S, H], gate [H, E], wi, wu [E, H, M], wd [E, M, H] (+ token_ids [B, S] for hash routing). */
    private static Program moe(MoeConfig cfg, int b, int s, Mesh mesh) {
        int e = cfg.nRoutedExperts(), h = cfg.hiddenSize(), m = cfg.moeIntermediateSize();
        boolean hash = cfg.routingStrategy() == MoeRoutingStrategy.HASH;
        List<Object> args = new ArrayList<>(List.of(Spec.of(DType.F32, b, s, h), Spec.of(DType.F32, h, e),
                Spec.of(DType.F32, e, h, m), Spec.of(DType.F32, e, h, m), Spec.of(DType.F32, e, m, h)));
        if (hash) args.add(Spec.of(DType.I32, b, s));
        TracedFunction fn = a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], null, null, null);
            MoeOutput o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                    BaseMoeModule.linearGate((Tensor) a[1]), w, null, null, null, false, 0, hash ? (Tensor) a[5] : null);
            return List.of(o.output(), o.routerLogits());
        };
        List<NamedSharding> in = null;
        if (mesh != null) {
            in = new ArrayList<>();
            in.add(NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp", null));
            in.add(null);
            in.add(NamedSharding.of(mesh, "ep", null, "tp"));
            in.add(NamedSharding.of(mesh, "ep", null, "tp"));
            in.add(NamedSharding.of(mesh, "ep", "tp", null));
            if (hash) in.add(NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp"));
        }
        return new Program("moe", fn, args.toArray(), in, Collections.nCopies(2, null));
    }

    /** The MLP example's loss: its parameters (seeded), x [64, 2], y [64, 1]. */
    private static Program mlp(Mesh mesh) {
        Mlp model = MlpRegression.model();
        Map<String, HostArray> params = ParamScope.init(model, 0);
        HostArray[] d = MlpRegression.data();
        @SuppressWarnings("unchecked")
        TracedFunction fn = a -> MlpRegression.loss(model, (Map<String, ?>) a[0], (Tensor) a[1], (Tensor) a[2]);
        return new Program("mlp_regression", fn, new Object[] {params, d[0], d[1]},
                withData(params.size(), mesh), Collections.nCopies(1, null));
    }

    /** The MoE example's loss: its parameters (seeded), x [128, 4], y [128]. */
    private static Program moeRegression(Mesh mesh) {
        Map<String, HostArray> params = MoeRegression.initParams(0);
        HostArray[] d = MoeRegression.data(0);
        @SuppressWarnings("unchecked")
        TracedFunction fn = a -> MoeRegression.loss((Map<String, ?>) a[0], (Tensor) a[1], (Tensor) a[2]);
        return new Program("moe_regression", fn, new Object[] {params, d[0], d[1]},
                withData(params.size(), mesh), Collections.nCopies(1, null));
    }

    /** The mixtral-lm example's loss: its parameters (seeded), tokens and targets [B, S] i32; on a mesh, the example's own shardings. */
    private static Program mixtralLm(Mesh mesh) {
        HostArray[] d = MixtralLm.batch(1);
        return new Program("mixtral_lm", MixtralLm.LOSS, new Object[] {MixtralLm.initParams(0, DType.F32), d[0], d[1]}, mesh == null ? null : MixtralLm.lossInShardings(mesh), Collections.nCopies(1, null));
    }

    /** Unannotated parameters followed by x and y split on their batch dimension. */
    private static List<NamedSharding> withData(int params, Mesh mesh) {
        if (mesh == null) return null;
        List<NamedSharding> in = new ArrayList<>(Collections.nCopies(params, null));
        in.add(data(mesh));
        in.add(data(mesh));
        return in;
    }
}
