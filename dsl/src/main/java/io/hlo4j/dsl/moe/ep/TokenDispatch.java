package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.shard.Collectives;

import java.util.function.BinaryOperator;

/**
 * Token-sharded dispatch and combine on one shard of the expert axis (X shards, L = E/X experts each): the shard's
 * R = T k rows sorted by expert; the per-expert counts all-gathered (so every shard knows the whole [X, E] count
 * matrix and can compute every offset itself); a ragged all-to-all sends each row to the shard owning its expert;
 * the received rows are sorted by local expert and run through the grouped FFN; a second ragged all-to-all sends
 * them back to the rows they came from, which are unpermuted and combined with the routing weights in f32.
 *
 * <p>The receive buffer holds {@code capacity} rows, by default the worst case R X (every shard sending every row
 * here), so nothing is ever dropped. A smaller capacity drops the rows past it (every offset is clamped
 * consistently on all shards) and reports them in {@link Out#overflow}; the caller refuses a run that dropped rows.
 */
final class TokenDispatch {
    private TokenDispatch() {}

    /** The shard's combined output [T, H] f32 (partial over tp), the rows it sent to each shard [X], rows it dropped [1]. */
    record Out(Tensor output, Tensor sent, Tensor overflow) {}

    static Out run(EpLayout layout, Tensor tokens, Tensor experts, Tensor weights, ExpertWeights w, BinaryOperator<Tensor> act,
                   int totalExperts, long capacity) {
        long t = tokens.dim(0), h = tokens.dim(1), k = experts.dim(1), r = t * k;
        int x = layout.expertSize();
        long le = w.experts();
        String[] ex = layout.expertArray();
        Tensor me = layout.expertIndex();
        Tensor tp = layout.tpIndex();

        // my rows sorted by global expert (unused slots last)
        Tensor ids = experts.reshape(r);
        Tensor key = Ops.where(Ops.ge(ids, Ops.zeros(Shape.of(r), DType.I32)), ids, Ops.full(Shape.of(r), totalExperts, DType.I32));
        Tensor perm = Indexing.argsort(key, 0);
        Tensor rows = tokens.reshape(t, 1, h).broadcastTo(t, k, h).reshape(r, h);
        Tensor sorted = Indexing.take(rows, perm, 0);

        // counts: all[i][e] rows shard i has for expert e; c[i][j] rows shard i sends to shard j
        Tensor all = Collectives.allGather(Indexing.bincount(key, totalExperts).reshape(1, totalExperts), 0, ex);   // [X, E]
        Tensor c = Reductions.sum(all.reshape(x, x, le), 2);                                                      // [X, X]
        Tensor colEnd = Reductions.cumsum(c, 0);
        Tensor colStart = Ops.sub(colEnd, c);
        Tensor cap = Ops.full(Shape.of(x, x), capacity, DType.I32);
        Tensor startC = Ops.minimum(colStart, cap);
        Tensor kept = Ops.sub(Ops.minimum(colEnd, cap), startC);                                                   // clamped c
        Tensor iota = Ops.iota(DType.I32, Shape.of(x), 0);
        Tensor isMe = Ops.eq(iota, me.broadcastTo(x)).astype(DType.I32);
        Tensor beforeMe = Ops.lt(iota, me.broadcastTo(x)).astype(DType.I32);
        Tensor myRowC = Reductions.sum(Ops.mul(c, isMe.reshape(x, 1)), 0);                                        // c[me][.]
        Tensor send = Reductions.sum(Ops.mul(kept, isMe.reshape(x, 1)), 0);                                      // kept[me][.]
        Tensor inOff = Ops.sub(Reductions.cumsum(myRowC, 0), myRowC);
        Tensor outOff = Reductions.sum(Ops.mul(startC, isMe.reshape(x, 1)), 0);                                  // startC[me][.]
        Tensor recv = Reductions.sum(Ops.mul(kept, isMe.reshape(1, x)), 1);                                      // kept[.][me]
        Tensor recvOff = Reductions.sum(Ops.mul(startC, isMe.reshape(1, x)), 1);                                 // startC[.][me]
        Tensor overflow = Ops.sub(Reductions.sum(Ops.mul(c, isMe.reshape(1, x)), 1), recv);
        overflow = Reductions.sum(overflow, 0).reshape(1);

        // dispatch
        Tensor backOff = Reductions.sum(Ops.mul(c, beforeMe.reshape(1, x)), 1);                                  // sum_{j<me} c[i][j]
        Tensor buf = RaggedExchange.exchange(sorted, Ops.zeros(Shape.of(capacity, h), tokens.dtype()), inOff, send, outOff, recv, recvOff, backOff, ex);

        // the local expert of each received row: sender-major chunks, each sorted by expert, clamped like the chunk
        Tensor mine = Reductions.sum(Ops.mul(all.reshape(x, x, le), isMe.reshape(1, x, 1)), 1);                 // [X, L] all[i][me L + l]
        Tensor cum = Reductions.cumsum(mine, 1);
        Tensor recvCol = recv.reshape(x, 1).broadcastTo(x, le);
        Tensor keptL = Ops.sub(Ops.minimum(cum, recvCol), Ops.minimum(Ops.sub(cum, mine), recvCol));              // [X, L]
        Tensor segEnd = Reductions.cumsum(keptL.reshape(x * le), 0);                                              // [X L]
        Tensor p = Ops.iota(DType.I32, Shape.of(capacity, x * le), 0);
        Tensor seg = Reductions.sum(Ops.le(segEnd.reshape(1, x * le).broadcastTo(capacity, x * le), p).astype(DType.I32), 1);
        Tensor localId = Ops.where(Ops.lt(seg, Ops.full(Shape.of(capacity), x * le, DType.I32)),
                Ops.rem(seg, Ops.full(Shape.of(capacity), le, DType.I32)), Ops.full(Shape.of(capacity), le, DType.I32));
        Tensor perm2 = Indexing.argsort(localId, 0);
        Tensor y = LocalExperts.ffn(Indexing.take(buf, perm2, 0), Indexing.take(localId, perm2, 0), Reductions.sum(keptL, 0), w, act, tp);
        Tensor yBuf = Indexing.take(y, Indexing.argsort(perm2, 0), 0).astype(tokens.dtype());

        // combine: back to the sender's sorted rows, then token-major, weighted sum over slots in f32
        Tensor ret = RaggedExchange.exchange(yBuf, Ops.zeros(Shape.of(r, h), tokens.dtype()), recvOff, recv, backOff, send, inOff, outOff, ex);
        Tensor yTok = Indexing.take(ret, Indexing.argsort(perm, 0), 0).reshape(t, k, h);
        Tensor wv = Ops.where(Ops.ge(experts, Ops.zeros(Shape.of(t, k), DType.I32)), weights, 0.0);
        Tensor out = Reductions.sum(Ops.mul(yTok.astype(DType.F32), wv.astype(DType.F32).reshape(t, k, 1).broadcastTo(t, k, h)), 1);
        return new Out(out, send, overflow);
    }
}
