package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one check of the expert-parallel layer's global arguments, shared by {@link ExpertParallelMoe#run},
 * {@link ExpertParallelMoe#gradients} and {@link ExpertParallelMoe#apply} (host arrays or traced tensors alike), so
 * the entry points cannot drift apart. It holds them to the one-device layer's rules ({@code BaseMoeModule.moeCall}):
 * x [B, S, H] or [N, H]; token ids exactly [B, S] (or [N] for x [N, H]) integers, HASH routing only; without ids,
 * HASH positions are n mod S with S = x's sequence dimension, so a different {@code seqLen} is refused. Biases: any
 * subset, as the one-device layer adds any subset ({@link EpBiases}: each given one is an argument of the body).
 */
final class EpArguments {
    private EpArguments() {}

    /** One argument as the check sees it: a traced tensor or a host array reduced to its dtype, dims and printed form. */
    record Arg(DType type, long[] dims, String text) {
        static Arg of(Tensor t) { return t == null ? null : new Arg(t.dtype(), t.dims(), t.describe()); }

        static Arg of(HostArray a) {
            if (a == null) return null;
            DType d = DType.of(a.elementType());
            return new Arg(d, a.shape(), Spec.of(d, a.shape()).toString());
        }

        int rank() { return dims.length; }
    }

    /**
     * What checked arguments mean: N tokens, the intermediate size M, x's dtype, which biases are given,
     * and the S of the default ids (n mod S) when no token ids are given (read by HASH routing only; 1 otherwise).
     */
    record Checked(long tokens, long intermediate, DType xType, EpBiases biases, long positionsPeriod) {
        /** The global arguments in the shard_map's order: x [N, H], ids [N], gate, wi, wu, wd and the given biases. */
        <T> List<T> assemble(T x2d, T ids, T gate, T wi, T wu, T wd, T wiB, T wuB, T wdB) {
            List<T> a = new ArrayList<>(List.of(x2d, ids, gate, wi, wu, wd));
            a.addAll(biases.pick(wiB, wuB, wdB));
            return a;
        }
    }

    static Checked check(MoeConfig config, String op, Arg x, Arg ids, long seqLen, Arg gate, Arg wi, Arg wu, Arg wd,
                         Arg wiB, Arg wuB, Arg wdB, Location loc) {
        long h = config.hiddenSize();
        long e = config.nRoutedExperts();
        if (x == null || (x.rank() != 2 && x.rank() != 3) || x.dims()[x.rank() - 1] != h) {
            throw new MoeException(op + ": x " + (x == null ? "is missing" : x.text()) + " must be [B, S, " + h + "] or [N, " + h + "]", loc);
        }
        DType t = x.type();
        long n = 1;
        for (long d : x.dims()) n *= d;
        n /= h;
        BaseMoeModule.requireHashForTokenIds(config, op, ids == null ? null : ids.text());
        long[] idDims = x.rank() == 3 ? new long[]{x.dims()[0], x.dims()[1]} : new long[]{n};
        if (ids != null) BaseMoeModule.requireTokenIdLayout(op, ids.text(), ids.type().isInteger(), ids.dims(), idDims, x.text(), loc);
        long period = 1;
        boolean hash = config.routingStrategy() == MoeRoutingStrategy.HASH;
        if (ids == null && hash) {
            // the one-device layer's default ids are the positions within x's own sequences
            if (x.rank() == 3 && seqLen != x.dims()[1]) {
                throw new MoeException(op + ": sequence length " + seqLen + " differs from x " + x.text() + "'s sequence dimension S = " + x.dims()[1]
                        + "; hash routing without token ids uses positions n mod S, so pass seqLen = " + x.dims()[1], loc);
            }
            if (seqLen < 1) throw new MoeException(op + ": sequence length " + seqLen + " must be at least 1 (hash routing uses positions n mod S)", loc);
            period = seqLen;
        }
        expect(op, "gate", gate, t, loc, h, e);
        if (wi == null || wi.rank() != 3) {
            throw new MoeException(op + ": wi " + (wi == null ? "is missing" : wi.text()) + ", expected " + t + "[" + e + ", " + h + ", M]", loc);
        }
        long m = wi.dims()[2];
        expect(op, "wi", wi, t, loc, e, h, m);
        expect(op, "wu", wu, t, loc, e, h, m);
        expect(op, "wd", wd, t, loc, e, m, h);
        EpBiases biases = EpBiases.given(wiB, wuB, wdB);
        if (biases.wi()) expect(op, "wi bias", wiB, t, loc, e, m);
        if (biases.wu()) expect(op, "wu bias", wuB, t, loc, e, m);
        if (biases.wd()) expect(op, "wd bias", wdB, t, loc, e, h);
        return new Checked(n, m, t, biases, period);
    }

    private static void expect(String op, String what, Arg a, DType type, Location loc, long... dims) {
        if (a == null || a.type() != type || !Arrays.equals(a.dims(), dims)) {
            throw new MoeException(op + ": " + what + " " + (a == null ? "is missing" : a.text()) + ", expected " + Spec.of(type, dims), loc);
        }
    }
}
