package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;

import java.util.Optional;

/**
 * Losses and metrics of a routing decision (moe-semantics.md, Losses and metrics), traced in f32 (f64 for an f64 layer). The
 * load-balancing losses are normalized by N*k (not EasyDeL's raw counts).
 */
public final class MoeLosses {
    private MoeLosses() {}

    public static MoeMetrics<Tensor> metrics(MoeConfig cfg, MoeRouting r) {
        Tensor loads = expertLoads(r, cfg.nRoutedExperts());
        Tensor p = r.probs();
        long n = p.dim(0);
        DType acc = MoeRouter.accumDtype(cfg);
        Tensor loadsF = loads.astype(acc);
        Tensor util = Reductions.mean(Ops.gt(loadsF, 0.0).astype(acc), 0);
        Tensor entropy = Reductions.mean(Ops.neg(Reductions.sum(Ops.mul(p, Ops.log(Ops.add(p, MoeMetrics.ENTROPY_EPS))), 1)), 0);
        Optional<Tensor> lbl = Optional.empty();
        if (cfg.computesLoadBalancingLoss()) {
            double coef = cfg.lblCoef().getAsDouble();
            int e = cfg.nRoutedExperts();
            double nk = (double) n * r.slotsK();
            Tensor pMean = Reductions.mean(p, 0);
            lbl = Optional.of(switch (cfg.loadBalancingStrategy()) {
                case STANDARD -> Ops.mul(Reductions.sum(Ops.mul(Ops.div(loadsF, nk), pMean), 0), coef * e);
                case SWITCH_TRANSFORMER -> {
                    Tensor first = Ops.slice(r.experts(), new long[]{0, 0}, new long[]{n, 1}).reshape(n);
                    Tensor f1 = Reductions.mean(Nn.oneHot(first, e, acc), 0); // -1 (no expert) is an all-zero row
                    yield Ops.mul(Reductions.sum(Ops.mul(f1, pMean), 0), coef * e);
                }
                case EXPERT_CHOICE -> {
                    Tensor dev = Ops.sub(loadsF, Reductions.mean(loadsF, 0));
                    yield Ops.mul(Reductions.mean(Ops.mul(dev, dev), 0), coef * e / nk);
                }
                case NONE -> throw new MoeException("MoeLosses: NONE computes no load-balancing loss");
            });
        }
        Optional<Tensor> z = Optional.empty();
        if (cfg.rzlCoef().isPresent()) {
            Tensor lse = Reductions.logsumexp(r.logits().astype(acc), 1);
            z = Optional.of(Ops.mul(Reductions.mean(Ops.mul(lse, lse), 0), cfg.rzlCoef().getAsDouble()));
        }
        return new MoeMetrics<>(loads, p, r.experts(), r.weights(), lbl, z, util, entropy);
    }

    /** Assignment counts per expert [E] (i32); unused slots (-1) count nowhere. */
    public static Tensor expertLoads(MoeRouting r, int experts) {
        return Indexing.bincount(r.experts().reshape(r.experts().size()), experts);
    }
}
