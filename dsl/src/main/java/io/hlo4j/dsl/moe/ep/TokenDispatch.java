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
 * Token-sharded dispatch and combine on one shard of the expert axis (X shards, L = E/X experts each), moving each
 * token at most once per remote shard, each way. Every (token, shard) pair for which some slot of the token routes
 * to an expert of that shard becomes one row: the shard's pairs are sorted by destination; the pair counts are
 * all-gathered (so every shard knows the whole [X, X] count matrix and computes every offset itself); a ragged
 * all-to-all sends the token's hidden vector, with two small ones for the pair's metadata (per slot: the local
 * expert or L, and the routing weight or 0, both in the accumulation dtype: f32, or f64 for float64 runs); the receiver expands its rows to (row, slot) pairs, sorts them
 * by local expert, runs the grouped FFN and sums each row's slots with their weights in the accumulation dtype; a
 * ragged all-to-all returns one such row per pair, and the sender sums its pairs per token.
 *
 * <p>The receive buffer holds {@code capacity} rows, by default the worst case T X (every shard sending every
 * token here), so nothing is ever dropped. A smaller capacity drops the pairs past it (every offset is clamped
 * consistently on all shards) and reports them in {@link Out#overflow}; the caller refuses a run that dropped any.
 */
final class TokenDispatch {
    private TokenDispatch() {}

    /** The shard's combined output [T, H] in the accumulation dtype (partial over tp), the pairs it sent to each shard [X], pairs it dropped [1]. */
    record Out(Tensor output, Tensor sent, Tensor overflow) {}

    static Out run(EpLayout layout, Tensor tokens, Tensor experts, Tensor weights, ExpertWeights w, BinaryOperator<Tensor> act,
                   long capacity, DType acc) {
        long t = tokens.dim(0), h = tokens.dim(1), k = experts.dim(1);
        int x = layout.expertSize();
        long le = w.experts(), pairs = t * x;
        String[] ex = layout.expertArray();
        Tensor me = layout.expertIndex();
        Tensor tp = layout.tpIndex();

        // candidate pairs (token, shard j), token-major; a pair is needed when a slot of the token routes to shard j
        Tensor shardOf = Ops.where(Ops.ge(experts, Ops.zeros(Shape.of(t, k), DType.I32)), Ops.div(experts, Ops.full(Shape.of(t, k), le, DType.I32)),
                Ops.full(Shape.of(t, k), x, DType.I32));
        Tensor j3 = Ops.iota(DType.I32, Shape.of(t, x, k), 1);
        Tensor on = Ops.eq(shardOf.reshape(t, 1, k).broadcastTo(t, x, k), j3);                                   // [T, X, k]
        Tensor needed = Ops.gt(Reductions.sum(on.astype(DType.I32), 2), Ops.zeros(Shape.of(t, x), DType.I32));   // [T, X]
        Tensor key = Ops.where(needed, Ops.iota(DType.I32, Shape.of(t, x), 1), Ops.full(Shape.of(t, x), x, DType.I32)).reshape(pairs);
        Tensor perm = Indexing.argsort(key, 0);                                                                  // by destination
        Tensor tokenOfPair = Ops.div(perm, Ops.full(Shape.of(pairs), x, DType.I32));
        Tensor rows = Indexing.take(tokens, tokenOfPair, 0);                                                     // [T X, H]
        Tensor localIds = Ops.where(on, Ops.sub(experts.reshape(t, 1, k).broadcastTo(t, x, k), Ops.mul(j3, Ops.full(Shape.of(t, x, k), le, DType.I32))),
                Ops.full(Shape.of(t, x, k), le, DType.I32));
        Tensor ids = Indexing.take(localIds.reshape(pairs, k).astype(acc), perm, 0);                          // [T X, k]
        Tensor wts = Indexing.take(Ops.where(on, weights.astype(acc).reshape(t, 1, k).broadcastTo(t, x, k), 0.0).reshape(pairs, k), perm, 0);

        // counts: c[i][j] pairs shard i sends to shard j; every offset from it, clamped to the capacity
        Tensor c = Collectives.allGather(Indexing.bincount(key, x).reshape(1, x), 0, ex);                     // [X, X]
        Tensor colEnd = Reductions.cumsum(c, 0);
        Tensor colStart = Ops.sub(colEnd, c);
        Tensor cap = Ops.full(Shape.of(x, x), capacity, DType.I32);
        Tensor startC = Ops.minimum(colStart, cap);
        Tensor kept = Ops.sub(Ops.minimum(colEnd, cap), startC);
        Tensor iota = Ops.iota(DType.I32, Shape.of(x), 0);
        Tensor isMe = Ops.eq(iota, me.broadcastTo(x)).astype(DType.I32);
        Tensor beforeMe = Ops.lt(iota, me.broadcastTo(x)).astype(DType.I32);
        Tensor myRowC = Reductions.sum(Ops.mul(c, isMe.reshape(x, 1)), 0);                                     // c[me][.]
        Tensor send = Reductions.sum(Ops.mul(kept, isMe.reshape(x, 1)), 0);                                    // kept[me][.]
        Tensor inOff = Ops.sub(Reductions.cumsum(myRowC, 0), myRowC);
        Tensor outOff = Reductions.sum(Ops.mul(startC, isMe.reshape(x, 1)), 0);                                // startC[me][.]
        Tensor recv = Reductions.sum(Ops.mul(kept, isMe.reshape(1, x)), 1);                                    // kept[.][me]
        Tensor recvOff = Reductions.sum(Ops.mul(startC, isMe.reshape(1, x)), 1);                               // startC[.][me]
        Tensor backOff = Reductions.sum(Ops.mul(c, beforeMe.reshape(1, x)), 1);                                // sum_{j<me} c[i][j]
        Tensor overflow = Reductions.sum(Ops.sub(Reductions.sum(Ops.mul(c, isMe.reshape(1, x)), 1), recv), 0).reshape(1);

        // dispatch: hidden vectors, then the metadata (unwritten rows: local expert L, weight 0)
        Tensor bufX = RaggedExchange.exchange(rows, Ops.zeros(Shape.of(capacity, h), tokens.dtype()), inOff, send, outOff, recv, recvOff, backOff, ex);
        Tensor bufIds = RaggedExchange.exchange(ids, Ops.full(Shape.of(capacity, k), le, acc), inOff, send, outOff, recv, recvOff, backOff, ex);
        Tensor bufW = RaggedExchange.exchange(wts, Ops.zeros(Shape.of(capacity, k), acc), inOff, send, outOff, recv, recvOff, backOff, ex);

        // the local experts on (row, slot) pairs sorted by local expert; each row's slots summed in f32
        long slots = capacity * k;
        Tensor slotIds = bufIds.astype(DType.I32).reshape(slots);
        Tensor perm2 = Indexing.argsort(slotIds, 0);
        Tensor rowOfSlot = Ops.div(perm2, Ops.full(Shape.of(slots), k, DType.I32));
        Tensor y = LocalExperts.ffn(Indexing.take(bufX, rowOfSlot, 0), Indexing.take(slotIds, perm2, 0), Indexing.bincount(slotIds, le), w, act, tp);
        Tensor wSlot = Indexing.take(bufW.reshape(slots), perm2, 0);
        Tensor contrib = Ops.mul(y.astype(acc), wSlot.reshape(slots, 1).broadcastTo(slots, h));
        Tensor combined = Indexing.scatterAdd(Ops.zeros(Shape.of(capacity, h), acc), rowOfSlot, contrib, 0);

        // combine: one f32 row per pair back to its sender, summed per token
        Tensor ret = RaggedExchange.exchange(combined, Ops.zeros(Shape.of(pairs, h), acc), recvOff, recv, backOff, send, inOff, outOff, ex);
        Tensor out = Indexing.scatterAdd(Ops.zeros(Shape.of(t, h), acc), tokenOfPair, ret, 0);
        return new Out(out, send, overflow);
    }
}
