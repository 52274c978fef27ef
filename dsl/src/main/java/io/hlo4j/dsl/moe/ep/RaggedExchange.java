package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Checkpointing;
import io.hlo4j.dsl.shard.Collectives;

import java.util.List;

/**
 * A ragged all-to-all with its transpose as a custom VJP (the autodiff has no rule for the custom call): the
 * cotangent of each received chunk goes back to the rows it came from by the reverse ragged all-to-all. For
 * that the caller also gives, per group member i, {@code recvAt[i]}: where i's chunk landed in this device's
 * result, and {@code srcAt[i]}: where that chunk started in i's operand. The output buffer's cotangent is the
 * result's, zero on the rows a chunk overwrote.
 */
final class RaggedExchange {
    private RaggedExchange() {}

    static Tensor exchange(Tensor operand, Tensor output, Tensor inOff, Tensor send, Tensor outOff, Tensor recv, Tensor recvAt, Tensor srcAt,
                           String[] axes) {
        return Checkpointing.customVjp(
                a -> List.of(Collectives.raggedAllToAll(a.get(0), a.get(1), a.get(2), a.get(3), a.get(4), a.get(5), axes)),
                (a, res, ct) -> {
                    Tensor g = ct.get(0);
                    Tensor op = a.get(0);
                    Tensor gOperand = Collectives.raggedAllToAll(g, Ops.zeros(op.shape(), op.dtype()), a.get(6), a.get(5), a.get(7), a.get(3), axes);
                    long rows = g.dim(0), n = a.get(5).dim(0);
                    Tensor p = Ops.iota(DType.I32, Shape.of(rows, n), 0);
                    Tensor start = a.get(6).reshape(1, n).broadcastTo(rows, n);
                    Tensor end = Ops.add(start, a.get(5).reshape(1, n).broadcastTo(rows, n));
                    Tensor written = Reductions.sum(Ops.logicalAnd(Ops.ge(p, start), Ops.lt(p, end)).astype(DType.I32), 1);
                    long[] shape = g.dims();
                    long[] col = shape.clone();
                    for (int d = 1; d < col.length; d++) col[d] = 1;
                    Tensor keep = Ops.eq(written, Ops.zeros(Shape.of(rows), DType.I32)).reshape(col).broadcastTo(shape);
                    Tensor gOutput = Ops.where(keep, g, 0.0);
                    List<Tensor> out = new java.util.ArrayList<>(List.of(gOperand, gOutput));
                    for (int i = 2; i < 8; i++) out.add(Ops.zeros(a.get(i).shape(), a.get(i).dtype()));
                    return out;
                }).apply(List.of(operand, output, inOff, send, outOff, recv, recvAt, srcAt)).get(0);
    }
}
