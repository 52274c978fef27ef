package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;

import java.util.Arrays;

/**
 * The stacked expert kernels of a MoE layer: wi, wu [E, H, M], wd [E, M, H] and the optional biases
 * wi_b, wu_b [E, M], wd_b [E, H] (null when absent; moe-semantics.md, Expert FFN).
 */
public record ExpertWeights(Tensor wi, Tensor wu, Tensor wd, Tensor wiBias, Tensor wuBias, Tensor wdBias) {
    public ExpertWeights {
        if (wi == null || wu == null || wd == null) {   // say which: a params map's missing or misspelt key reads as null
            java.util.List<String> names = java.util.stream.Stream.of(wi == null ? "wi" : null, wu == null ? "wu" : null,
                    wd == null ? "wd" : null).filter(java.util.Objects::nonNull).toList();
            String missing = names.size() == 1 ? names.get(0)
                    : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast();   // "wi, wu and wd"
            throw new MoeException("ExpertWeights: " + missing + (names.size() > 1 ? " are" : " is")
                    + " null; wi, wu and wd are required (wi " + describe(wi) + ", wu " + describe(wu) + ", wd " + describe(wd) + ")",
                    SourceLoc.here());
        }
        if (wi.rank() != 3 || !Arrays.equals(wi.dims(), wu.dims())) {
            throw new MoeException("ExpertWeights: wi " + wi.describe() + " and wu " + wu.describe() + " must both be [E, H, M]", SourceLoc.here());
        }
        long e = wi.dim(0), h = wi.dim(1), m = wi.dim(2);
        if (wd.rank() != 3 || wd.dim(0) != e || wd.dim(1) != m || wd.dim(2) != h) {
            throw new MoeException("ExpertWeights: wd " + wd.describe() + " must be [" + e + ", " + m + ", " + h + "] to match wi " + wi.describe(),
                    SourceLoc.here());
        }
        checkBias("wi_bias", wiBias, e, m);
        checkBias("wu_bias", wuBias, e, m);
        checkBias("wd_bias", wdBias, e, h);
    }

    public static ExpertWeights of(Tensor wi, Tensor wu, Tensor wd) { return new ExpertWeights(wi, wu, wd, null, null, null); }

    public long experts() { return wi.dim(0); }
    public long hidden() { return wi.dim(1); }
    public long intermediate() { return wi.dim(2); }

    private static void checkBias(String name, Tensor b, long e, long n) {
        if (b != null && (b.rank() != 2 || b.dim(0) != e || b.dim(1) != n)) {
            throw new MoeException("ExpertWeights: " + name + " " + b.describe() + " must be [" + e + ", " + n + "]", SourceLoc.here());
        }
    }

    private static String describe(Tensor t) { return t == null ? "null" : t.describe(); }
}
