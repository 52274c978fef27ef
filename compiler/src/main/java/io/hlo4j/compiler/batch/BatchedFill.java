package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.Map;

/**
 * Fill values that differ per example: a batched padding value and a batched reduce init.
 * <ul>
 *   <li>pad (as JAX batches it): pad with zero, pad an all-true mask with false the same way, and select each
 *   example's padding value where the mask is false.</li>
 *   <li>reduce / reduce_window whose body is a known monoid (add, multiply, maximum, minimum, and, or): reduce with
 *   the monoid's identity, then combine the result with each example's init by the same op. A reduce_window whose
 *   padding or base dilation puts the init inside the windows is first padded explicitly with each example's init
 *   (as a batched pad value), then reduced without padding. Other bodies are refused.</li>
 * </ul>
 */
final class BatchedFill {
    private BatchedFill() {}

    /** Re-emits a pad-like {@code op} on operand {@code x} and padding value {@code v} with result element type {@code et}. */
    @FunctionalInterface
    interface PadEmitter { Value pad(Value x, Value v, ElementType et); }

    /**
     * {@code x} (batched at 0) padded by {@code emit} with per-example values {@code pv}: the padding positions are
     * found by padding a mask.
     */
    static Batched padWithBatchedValue(Batcher b, Value x, Batched pv, PadEmitter emit) {
        TensorType xt = (TensorType) x.type();
        ElementType et = xt.elementType();
        var h = b.hlo();
        Value zero = h.constant(TensorType.scalar(et), 0, b.loc());
        Value padded = emit.pad(x, zero, et);
        Value ones = h.constant(xt.withElementType(IntegerType.I1), 1, b.loc());
        Value no = h.constant(TensorType.scalar(IntegerType.I1), 0, b.loc());
        Value mask = emit.pad(ones, no, IntegerType.I1);
        TensorType pt = (TensorType) padded.type();
        Value fill = h.broadcastInDim(b.moveTo(pv, 0), pt.shape(), new long[]{0}, b.loc());
        return Batched.of(h.select(mask, padded, fill, b.loc()), 0);
    }

    /** The monoid op of a reduction body {@code (a, b) -> op(a, b)}, or null when the body is anything else. */
    static String monoid(Region body) {
        Block blk = body.entry();
        if (blk.arguments().size() != 2 || blk.operations().size() != 2) return null;
        Operation op = blk.operations().get(0), ret = blk.terminator();
        if (!List.of("stablehlo.add", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum", "stablehlo.and", "stablehlo.or")
                .contains(op.name())) return null;
        if (op.numOperands() != 2 || ret.numOperands() != 1 || ret.operand(0) != op.result(0)) return null;
        boolean ab = op.operand(0) == blk.argument(0) && op.operand(1) == blk.argument(1);
        boolean ba = op.operand(0) == blk.argument(1) && op.operand(1) == blk.argument(0);
        return ab || ba ? op.name() : null;
    }

    /** The identity of {@code monoid} on {@code et}, or null when it has none there (and/or on floats, complex numbers). */
    static Value identity(Batcher b, String monoid, ElementType et) {
        TensorType t = TensorType.scalar(et);
        if (et instanceof FloatType ft) {
            // formats without infinity (f8E4M3FN, the FNUZ ones, f4/f6, E8M0) would spell +-inf as NaN or saturate
            // by accident: their identities are the extreme finite values (for unsigned E8M0 the smallest is bits 0)
            var k = ft.kind();
            double top = k.finiteOnly() ? io.hlo4j.mlir.types.FloatCodec.maxFinite(k) : Double.POSITIVE_INFINITY;
            double bottom = !k.finiteOnly() ? Double.NEGATIVE_INFINITY : k.signed() ? -top : io.hlo4j.mlir.types.FloatCodec.decode(k, 0);
            double v = switch (monoid) {
                case "stablehlo.add" -> 0;
                case "stablehlo.multiply" -> 1;
                case "stablehlo.maximum" -> bottom;
                case "stablehlo.minimum" -> top;
                default -> Double.NaN;
            };
            return Double.isNaN(v) ? null : b.hlo().constant(t, v, b.loc());
        }
        if (!(et instanceof IntegerType it)) return null;
        int w = it.width();
        boolean unsigned = it.isUnsigned() || it.isBool();
        long allOnes = w == 64 ? -1L : (1L << w) - 1;       // unsigned max, as bits
        long v = switch (monoid) {
            case "stablehlo.add", "stablehlo.or" -> 0;
            case "stablehlo.multiply" -> 1;
            case "stablehlo.maximum" -> unsigned ? 0 : (w == 64 ? Long.MIN_VALUE : -(1L << (w - 1)));
            case "stablehlo.minimum" -> unsigned ? allOnes : (w == 64 ? Long.MAX_VALUE : (1L << (w - 1)) - 1);
            case "stablehlo.and" -> unsigned ? allOnes : -1;
            default -> throw new IllegalStateException(monoid);
        };
        return b.hlo().constant(Constants.ofLongs(t, v), b.loc());
    }

    /**
     * A single-input reduce / reduce_window with a batched init: the input batched at 0, reduced with the identity by
     * {@code emit}, then combined with the per-example init.
     */
    static List<Batched> reduceWithBatchedInit(Batcher b, Operation op, List<Batched> a,
                                               java.util.function.BiFunction<Value, Value, Value> emit) {
        if (a.size() != 2) throw b.refuse(op, a, "a batched init value is supported for single-input reductions only");
        String m = monoid(op.region(0));
        if (m == null) {
            throw b.refuse(op, a, "the init value is batched and the body is not one of add, multiply, maximum, minimum, and, or;"
                    + " only a monoid's init can be applied after reducing");
        }
        ElementType et = ((TensorType) op.operand(1).type()).elementType();
        Value id = identity(b, m, et);
        if (id == null) throw b.refuse(op, a, "the init value is batched and " + m + " has no identity on " + et);
        Value r = emit.apply(b.materialize(a.get(0), 0), id);            // batched at 0
        TensorType rt = (TensorType) r.type();
        long[] dims = {0};
        Value init = b.hlo().broadcastInDim(b.moveTo(a.get(1), 0), rt.shape(), dims, b.loc());
        Value out = b.ir().emit1(m, List.of(r, init), Map.<String, Attribute>of(), b.loc());
        return List.of(Batched.of(out, 0));
    }
}
