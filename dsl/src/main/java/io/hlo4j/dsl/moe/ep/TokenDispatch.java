package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.HookPoint;
import io.hlo4j.dsl.moe.LiveRows;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.shard.Collectives;

import java.util.function.BinaryOperator;

/**
 * Token-sharded dispatch and combine on one shard of the expert axis (X shards, L = E/X experts each), moving
 * only what the receiving shard cannot know:
 * <ul>
 *   <li>one row (the token's hidden vector) per distinct (token, shard) pair, whatever the number of the
 *       token's experts on that shard;</li>
 *   <li>one assignment per (token, expert) pair: the routing weight, in its own dtype, and when L > 1 a code
 *       {@code 1 + 2 local + rowStart} in the narrowest integer type that holds 2L ({@link #idType}); 0 marks
 *       an unwritten slot. Assignments go in the rows' order, so the receiver recovers each one's row by a
 *       cumulative sum of the row-start flags. With L = 1 a row's slots all name the shard's one expert,
 *       so the row is one assignment (its slots' weights summed): no code is sent and the weights travel with
 *       the rows' offsets;</li>
 *   <li>the sizes: one i32 per peer (an all_to_all of the assignment counts, or the row counts when L = 1).
 *       The row counts then follow from the flags, so they are never sent.</li>
 * </ul>
 * The combine returns one accumulation-dtype row per pair. Each device owns a fixed region of T rows (T k
 * assignments) in every peer's receive buffer, at its own index, so the output offsets are static and need no
 * exchange; the buffers are the worst case T X rows, and nothing is ever dropped.
 *
 * <p>A smaller {@code capacity} packs the receive buffer instead: the count matrices are all-gathered (every
 * offset needs all senders' counts), all shards clamp the same offsets at the capacity, and the pairs past it are
 * dropped and reported in {@link Out#overflow}; the caller refuses a run that dropped any.
 */
final class TokenDispatch {
    private TokenDispatch() {}

    /**
     * The shard's combined output [T, H] in the accumulation dtype (partial over tp; [T, H/Q], reduced, with
     * {@code rowsOverTp}), the pairs it sent to each shard [X], pairs it dropped [1].
     */
    record Out(Tensor output, Tensor sent, Tensor overflow) {}

    /** The narrowest integer type for the codes 0..2L (0 unused slot, then 1 + 2 local + rowStart). */
    static DType idType(long localExperts) {
        return localExperts <= 127 ? DType.U8 : localExperts <= 16383 ? DType.I16 : DType.I32;
    }

    /** Bytes of one assignment's code: none when L = 1 (one assignment per row), else the size of {@link #idType}. */
    static int idBytes(long localExperts) {
        if (localExperts <= 1) return 0;
        return switch (idType(localExperts)) {
            case U8 -> 1;
            case I16 -> 2;
            default -> 4;
        };
    }

    /** Where a ragged exchange's chunks go (see {@link RaggedExchange}), and the chunk sizes it receives. */
    private record Plan(Tensor inOff, Tensor send, Tensor outOff, Tensor recv, Tensor recvAt, Tensor srcAt) {}

    /**
     * @param tokens    the shard's tokens [T, H] after refine_inputs_hook (cast to {@code compute} here), or with
     *                  scale_replicated_inputs set the caller's scaled rows, one per slot ([T k, H] with k = 1)
     * @param weights   the combine weights [T, k] (after output_weights_hook)
     * @param hooks     the layer's hooks but scale_replicated_inputs (the caller runs it on the dp share's rows before
     *                  dispatch); after_ep_receive, the FFN's hooks and before_combine see the receiving shard's
     *                  assignment rows
     */
    static Out run(EpLayout layout, Tensor tokens, Tensor experts, Tensor weights, ExpertWeights w, BinaryOperator<Tensor> act,
                   long capacity, DType compute, DType acc, DType rowsOverTp, MoeFusedHooks<Tensor> hooks) {
        if (hooks.scaleReplicatedInputs() != null) throw new IllegalArgumentException("TokenDispatch: scale_replicated_inputs runs before dispatch");
        tokens = tokens.astype(compute);
        long t = tokens.dim(0), h = tokens.dim(1), k = experts.dim(1);
        int x = layout.expertSize();
        long le = w.experts();
        // with one expert per shard a pair is one assignment (its slots' weights summed), unless before_combine reads
        // each slot's weight (a select_hook may name an expert twice): then the slots travel as assignments, with codes
        boolean many = le > 1 || hooks.beforeCombine() != null, packed = capacity < t * x;
        String[] ex = layout.expertArray();
        Tensor me = layout.expertIndex();
        Tensor xs = Ops.iota(DType.I32, Shape.of(x), 0);

        // the token's slots per shard: on[t, j, s] when slot s of token t routes to shard j
        Tensor shardOf = Ops.where(Ops.ge(experts, Ops.scalar(0, DType.I32)), Ops.div(experts, Ops.scalar(le, DType.I32)), Ops.scalar(x, DType.I32));
        Tensor on = Ops.eq(shardOf.reshape(t, 1, k), Ops.iota(DType.I32, Shape.of(t, x, k), 1));
        Tensor onI = on.astype(DType.I32);
        Tensor needed = Ops.gt(Reductions.sum(onI, 2), Ops.scalar(0, DType.I32));                                  // [T, X]

        // rows: pair (t, j) goes to slot rank_j(t) of region j of the send buffer [X T, H]
        Tensor sendRows = Reductions.sum(needed.astype(DType.I32), 0);                                            // [X]
        Tensor keyR = Ops.where(needed, Ops.add(Ops.mul(Ops.iota(DType.I32, Shape.of(t, x), 1), Ops.scalar(t, DType.I32)),
                Ops.iota(DType.I32, Shape.of(t, x), 0)), Ops.scalar(x * t, DType.I32)).reshape(t * x);
        Tensor pairAt = slots(sendRows, t, x, Indexing.argsort(keyR, 0));                                          // [X T] flat pair t X + j
        Tensor tokenAt = Ops.div(pairAt, Ops.scalar(x, DType.I32));
        Tensor rows = Indexing.takeInBounds(tokens, tokenAt, 0);

        // assignments: (t, j, s) in region j of [X T k], ordered by (t, s); weights in their own dtype
        Tensor sendA, wSend, codes = null;
        if (many) {
            Tensor it = Ops.iota(DType.I32, Shape.of(t, x, k), 0), ij = Ops.iota(DType.I32, Shape.of(t, x, k), 1), is = Ops.iota(DType.I32, Shape.of(t, x, k), 2);
            Tensor keyA = Ops.where(on, Ops.add(Ops.mul(ij, Ops.scalar(t * k, DType.I32)), Ops.add(Ops.mul(it, Ops.scalar(k, DType.I32)), is)),
                    Ops.scalar(x * t * k, DType.I32)).reshape(t * x * k);
            sendA = Reductions.sum(onI, 0, 2);
            Tensor f = slots(sendA, t * k, x, Indexing.argsort(keyA, 0));                                           // flat (t, j, s)
            Tensor slot = Ops.add(Ops.mul(Ops.div(f, Ops.scalar(x * k, DType.I32)), Ops.scalar(k, DType.I32)), Ops.rem(f, Ops.scalar(k, DType.I32)));
            Tensor shard = Ops.rem(Ops.div(f, Ops.scalar(k, DType.I32)), Ops.scalar(x, DType.I32));
            Tensor local = Ops.sub(Indexing.takeInBounds(experts.reshape(t * k), slot, 0), Ops.mul(shard, Ops.scalar(le, DType.I32)));
            Tensor first = Ops.logicalAnd(on, Ops.eq(Ops.sub(Reductions.cumsum(onI, 2), onI), Ops.scalar(0, DType.I32)));
            Tensor flag = Indexing.takeInBounds(first.astype(DType.I32).reshape(t * x * k), f, 0);
            Tensor valid = valid(sendA, t * k, x);
            codes = Ops.where(valid, Ops.add(Ops.add(Ops.mul(local, Ops.scalar(2, DType.I32)), flag), Ops.scalar(1, DType.I32)),
                    Ops.scalar(0, DType.I32)).astype(idType(le));
            wSend = Ops.where(valid, Indexing.takeInBounds(weights.reshape(t * k), slot, 0), 0.0);
        } else {
            // L = 1: the pair's one assignment; its weight travels with the row
            sendA = sendRows;
            Tensor pairW = Reductions.sum(Ops.where(on, weights.reshape(t, 1, k), 0.0), 2).reshape(t * x);
            wSend = Ops.where(valid(sendRows, t, x), Indexing.takeInBounds(pairW, pairAt, 0), 0.0);
        }

        long rowsIn = packed ? capacity : t * x, slotsPerRow = many ? k : 1, assignIn = rowsIn * slotsPerRow;
        Plan rowPlan, aPlan;
        Tensor overflow, bufCodes = null;
        if (!packed) {
            // my region in every peer's buffer is at my index: static offsets; the peers' counts by one all_to_all
            Tensor got = Collectives.allToAll(sendA, 0, 0, ex);                                                    // got[i]: what i sends me
            Tensor mine = me.broadcastTo(x);
            Tensor tA = Ops.scalar(t * slotsPerRow, DType.I32), tR = Ops.scalar(t, DType.I32);
            aPlan = new Plan(Ops.mul(xs, tA), sendA, Ops.mul(mine, tA), got, Ops.mul(xs, tA), Ops.mul(mine, tA));
            Tensor recvRows = got;
            if (many) {
                bufCodes = Collectives.raggedAllToAll(codes, Ops.zeros(Shape.of(assignIn), codes.dtype()), aPlan.inOff(), aPlan.send(),
                        aPlan.outOff(), aPlan.recv(), ex);
                recvRows = Reductions.sum(rowStarts(bufCodes).reshape(x, t * k), 1);
            }
            rowPlan = new Plan(Ops.mul(xs, tR), sendRows, Ops.mul(mine, tR), recvRows, Ops.mul(xs, tR), Ops.mul(mine, tR));
            overflow = Ops.zeros(Shape.of(1), DType.I32);
        } else {
            Tensor cR = Collectives.allGather(sendRows.reshape(1, x), 0, ex);                                      // [X, X]
            rowPlan = packedPlan(cR, capacity, t, me, xs);
            aPlan = many ? packedPlan(Collectives.allGather(sendA.reshape(1, x), 0, ex), assignIn, t * k, me, xs) : rowPlan;
            if (many) {
                bufCodes = Collectives.raggedAllToAll(codes, Ops.zeros(Shape.of(assignIn), codes.dtype()), aPlan.inOff(), aPlan.send(),
                        aPlan.outOff(), aPlan.recv(), ex);
            }
            Tensor toMe = Reductions.sum(Ops.mul(cR, Ops.eq(xs, me.broadcastTo(x)).astype(DType.I32).reshape(1, x)), 1);
            overflow = Ops.sub(Reductions.sum(toMe, 0), Reductions.sum(rowPlan.recv(), 0)).reshape(1);
        }

        Tensor bufX = exchange(rows, Ops.zeros(Shape.of(rowsIn, h), rows.dtype()), rowPlan, ex);
        Tensor bufW = exchange(wSend, Ops.zeros(Shape.of(assignIn), wSend.dtype()), aPlan, ex);

        // each received assignment: its row in bufX and its local expert (L past the written ones)
        Tensor rowOf, key;
        if (many) {
            Tensor c = bufCodes.astype(DType.I32);
            Tensor starts = rowStarts(bufCodes);
            rowOf = packed ? Ops.sub(Reductions.cumsum(starts, 0), Ops.scalar(1, DType.I32))
                    : Ops.add(Ops.sub(Reductions.cumsum(starts.reshape(x, t * k), 1), Ops.scalar(1, DType.I32)),
                              Ops.mul(xs, Ops.scalar(t, DType.I32)).reshape(x, 1)).reshape(assignIn);
            Tensor ok = Ops.logicalAnd(Ops.gt(c, Ops.scalar(0, DType.I32)), Ops.lt(rowOf, Ops.scalar(rowsIn, DType.I32)));
            key = Ops.where(ok, Ops.div(Ops.sub(c, Ops.scalar(1, DType.I32)), Ops.scalar(2, DType.I32)), Ops.scalar(le, DType.I32));
        } else {
            rowOf = Ops.iota(DType.I32, Shape.of(rowsIn), 0);
            Tensor ok = packed ? Ops.lt(rowOf, Reductions.sum(rowPlan.recv(), 0))
                    : Ops.lt(Ops.rem(rowOf, Ops.scalar(t, DType.I32)), Indexing.takeInBounds(rowPlan.recv(), Ops.div(rowOf, Ops.scalar(t, DType.I32)), 0));
            key = Ops.where(ok, Ops.scalar(0, DType.I32), Ops.scalar(le, DType.I32));
        }
        rowOf = Ops.minimum(Ops.maximum(rowOf, Ops.scalar(0, DType.I32)), Ops.scalar(rowsIn - 1, DType.I32));

        // the local experts on the assignments sorted by local expert; each row's assignments summed in acc
        Tensor perm = Indexing.argsort(key, 0);
        Tensor sortedKey = Indexing.takeInBounds(key, perm, 0), rowS = Indexing.takeInBounds(rowOf, perm, 0);
        Tensor mineS = Ops.lt(sortedKey, Ops.scalar(le, DType.I32));
        // padding rows are zero: the row hooks get 1 there (LiveRows)
        Tensor rowsA = LiveRows.apply(hooks, HookPoint.AFTER_EP_RECEIVE, Indexing.takeInBounds(bufX, rowS, 0), mineS);
        Tensor y = LocalExperts.ffn(rowsA, sortedKey, Indexing.bincount(key, le), w, act, layout.tpIndex(), rowsOverTp, hooks);
        Tensor contrib = LiveRows.weighted(hooks, y, Indexing.takeInBounds(bufW, perm, 0), mineS, acc);
        long hOut = y.dim(1);                                                                                   // H, or H/Q reduced over tp
        Tensor combined = Indexing.scatterAdd(Ops.zeros(Shape.of(rowsIn, hOut), acc), rowS, contrib, 0);

        // combine: each received row back to its sender's send slot, summed per token
        Plan back = new Plan(rowPlan.recvAt(), rowPlan.recv(), rowPlan.srcAt(), rowPlan.send(), rowPlan.inOff(), rowPlan.outOff());
        Tensor ret = exchange(combined, Ops.zeros(Shape.of(t * x, hOut), acc), back, ex);
        Tensor keep = valid(rowPlan.send(), t, x).reshape(t * x, 1);
        Tensor out = Indexing.scatterAdd(Ops.zeros(Shape.of(t, hOut), acc), tokenAt, Ops.where(keep, ret, 0.0), 0);
        return new Out(out, rowPlan.send(), overflow);
    }

    private static Tensor exchange(Tensor operand, Tensor output, Plan p, String[] ex) {
        return RaggedExchange.exchange(operand, output, p.inOff(), p.send(), p.outOff(), p.recv(), p.recvAt(), p.srcAt(), ex);
    }

    /** 1 where a received code starts a row (odd code - 1), else 0 (i32, same shape). */
    private static Tensor rowStarts(Tensor codes) {
        Tensor c = codes.astype(DType.I32);
        Tensor odd = Ops.eq(Ops.rem(Ops.sub(c, Ops.scalar(1, DType.I32)), Ops.scalar(2, DType.I32)), Ops.scalar(1, DType.I32));
        return Ops.logicalAnd(Ops.gt(c, Ops.scalar(0, DType.I32)), odd).astype(DType.I32);
    }

    /** Slot r of region j (regions of {@code region} slots, one per shard) holds a sent item when r < counts[j]. */
    private static Tensor valid(Tensor counts, long region, int x) {
        Tensor s = Ops.iota(DType.I32, Shape.of(x * region), 0);
        Tensor j = Ops.div(s, Ops.scalar(region, DType.I32));
        return Ops.lt(Ops.rem(s, Ops.scalar(region, DType.I32)), Indexing.takeInBounds(counts, j, 0));
    }

    /**
     * For each slot (j, r) of a region layout, the item sorted r-th among those going to shard j: {@code perm}
     * sorts the items by destination (unique keys), so that is {@code perm[start_j + r]}; unused slots read a
     * clamped index, masked by {@link #valid}.
     */
    private static Tensor slots(Tensor counts, long region, int x, Tensor perm) {
        Tensor s = Ops.iota(DType.I32, Shape.of(x * region), 0);
        Tensor j = Ops.div(s, Ops.scalar(region, DType.I32));
        Tensor start = Ops.sub(Reductions.cumsum(counts, 0), counts);
        Tensor p = Ops.add(Indexing.takeInBounds(start, j, 0), Ops.rem(s, Ops.scalar(region, DType.I32)));
        return Indexing.takeInBounds(perm, Ops.minimum(p, Ops.scalar(perm.dim(0) - 1, DType.I32)), 0);
    }

    /**
     * A packed receive buffer of {@code cap} items: c[i][j] items shard i sends shard j (all-gathered), land at
     * the column's running sum, clamped to the capacity on every shard alike. Sends read region j (size
     * {@code region}) of the send buffer.
     */
    private static Plan packedPlan(Tensor c, long cap, long region, Tensor me, Tensor xs) {
        int x = (int) c.dim(0);
        Tensor colEnd = Reductions.cumsum(c, 0);
        Tensor startC = Ops.minimum(Ops.sub(colEnd, c), Ops.scalar(cap, DType.I32));
        Tensor kept = Ops.sub(Ops.minimum(colEnd, Ops.scalar(cap, DType.I32)), startC);
        Tensor isMe = Ops.eq(xs, me.broadcastTo(x)).astype(DType.I32);
        Tensor row = isMe.reshape(x, 1), col = isMe.reshape(1, x);
        Tensor r = Ops.scalar(region, DType.I32);
        return new Plan(Ops.mul(xs, r), Reductions.sum(Ops.mul(kept, row), 0), Reductions.sum(Ops.mul(startC, row), 0),
                Reductions.sum(Ops.mul(kept, col), 1), Reductions.sum(Ops.mul(startC, col), 1), Ops.mul(me, r).broadcastTo(x));
    }
}
