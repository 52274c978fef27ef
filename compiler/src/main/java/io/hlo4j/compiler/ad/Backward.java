package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.attr.IntegerAttr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a {@link VjpRule} emits its backward ops with: the gradient function's builder plus the few composite
 * helpers rules share (zeros, sums over dims, broadcasts). Every op is placed at the forward op's location so
 * diagnostics in the backward pass point at the user's line.
 */
public final class Backward {
    private final StablehloBuilder sb;
    private final Sweep sweep;
    private Location loc = Location.UNKNOWN;

    Backward(IrBuilder b, Sweep sweep) { this.sb = new StablehloBuilder(b); this.sweep = sweep; }

    Sweep sweep() { return sweep; }

    /**
     * Reports the cotangent of a value a region op captured from an enclosing scope (not an operand): region
     * rules (if, case, while, call) use it for the closed-over values their regions read.
     */
    public void captured(Value v, Value ct) { sweep.accumulateByPrimal(v, ct); }

    public StablehloBuilder hlo() { return sb; }
    public IrBuilder ir() { return sb.ir(); }
    public Location loc() { return loc; }
    void at(Location l) { loc = l; }

    /** True for types that carry cotangents: float and complex tensors, and tuples holding any. */
    public static boolean differentiable(Type t) {
        if (t instanceof TupleType tu) return tu.types().stream().anyMatch(Backward::differentiable);
        return t instanceof TensorType tt && (tt.elementType() instanceof FloatType || tt.elementType() instanceof ComplexType);
    }

    /**
     * False when no cotangent of {@code v} can reach an argument, so a rule may skip building it (Autodiff's dead-code
     * elimination would remove it, after the time spent building it): {@code v} is not float, or comes from an op that passes no
     * cotangent on (a constant, iota, a stop_gradient) or from region-free ops of such values only (a broadcast or
     * convert of a constant), looked through a few ops deep. True when unsure (an argument, a value of a region op).
     */
    static boolean needsCotangent(Value v) { return needsCotangent(v, 6); }

    private static boolean needsCotangent(Value v, int depth) {
        if (!differentiable(v.type())) return false;
        if (!(v instanceof io.hlo4j.mlir.ir.OpResult r) || depth == 0) return true;
        Operation op = r.owner();
        io.hlo4j.mlir.registry.OpDef def = op.def();
        if (op.attributes().contains(Autodiff.STOP_GRADIENT) || def != null && def.extension(NonDifferentiable.class) != null) return false;
        if (!op.regions().isEmpty()) return true;
        for (Value o : op.operands()) if (needsCotangent(o, depth - 1)) return true;
        return false;
    }

    public static TensorType tensor(Value v) {
        if (v.type() instanceof TensorType t) return t;
        throw new Hlo4jException("autodiff expects a tensor, got " + v.type(), Location.UNKNOWN);
    }

    public Value full(TensorType t, double v) { return sb.constant(t, v, loc); }
    public Value zerosLike(Value v) { return zerosOf(v.type()); }

    /** Zeros of a tensor type, or a tuple of zeros (a tuple's cotangent is a tuple of its elements' cotangents). */
    public Value zerosOf(Type t) {
        if (t instanceof TupleType tu) {
            List<Value> es = new ArrayList<>();
            for (Type e : tu.types()) es.add(zerosOf(e));
            return tuple(es, tu);
        }
        if (t instanceof TensorType tt) return full(tt, 0);
        throw new Hlo4jException("autodiff expects a tensor or tuple, got " + t, loc);
    }

    public Value tuple(List<Value> elements, TupleType t) {
        return sb.ir().emit("stablehlo.tuple", elements, Map.of(), List.of(), List.of(t), loc).get(0);
    }

    public Value tupleElement(Value tuple, int i) {
        Type et = ((TupleType) tuple.type()).types().get(i);
        return sb.ir().emit("stablehlo.get_tuple_element", List.of(tuple), Map.of("index", IntegerAttr.i32(i)), List.of(),
                List.of(et), loc).get(0);
    }
    public Value fullLike(Value v, double x) { return full(tensor(v), x); }

    public Value add(Value x, Value y) {
        if (!(x.type() instanceof TupleType tu)) return sb.add(x, y, loc);
        List<Value> es = new ArrayList<>();
        for (int i = 0; i < tu.types().size(); i++) es.add(add(tupleElement(x, i), tupleElement(y, i)));
        return tuple(es, tu);
    }
    public Value sub(Value x, Value y) { return sb.subtract(x, y, loc); }
    public Value mul(Value x, Value y) { return sb.multiply(x, y, loc); }
    public Value div(Value x, Value y) { return sb.divide(x, y, loc); }
    public Value neg(Value x) { return sb.negate(x, loc); }
    public Value unary(String mnemonic, Value x) { return sb.unary(mnemonic, x, loc); }
    /** {@code x * c} for a Java constant c. */
    public Value scale(Value x, double c) { return mul(x, fullLike(x, c)); }
    public Value select(Value pred, Value t, Value f) { return sb.select(pred, t, f, loc); }
    public Value compare(String dir, Value x, Value y) { return sb.compare(dir, x, y, null, loc); }

    /** Sum of {@code x} over {@code dims} (dropped from the shape). */
    public Value sum(Value x, long[] dims) {
        if (dims.length == 0) return x;
        TensorType t = tensor(x);
        return sb.reduce(x, full(TensorType.scalar(t.elementType()), 0), dims, "add", loc);
    }

    public Value sumAll(Value x) {
        long[] dims = new long[tensor(x).rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = i;
        return sum(x, dims);
    }

    public Value broadcast(Value x, TensorType to, long[] dims) { return sb.broadcastInDim(x, to.shape(), dims, loc); }

    public Value reshape(Value x, long[] shape) {
        return java.util.Arrays.equals(tensor(x).shape(), shape) ? x : sb.reshape(x, shape, loc);
    }

    /** Converts {@code x} to {@code like}'s element type when they differ (mixed-precision cotangents). */
    public Value castLike(Value x, Value like) {
        TensorType tx = tensor(x), tl = tensor(like);
        return tx.elementType().equals(tl.elementType()) ? x : sb.convert(x, tl.elementType(), loc);
    }

    /**
     * The element type a product of these values accumulates in: the widest of their element types (bf16 operands of
     * an op with an f32 result give f32), so mixed-precision backward products accumulate as the forward one did.
     */
    public static io.hlo4j.mlir.types.ElementType widest(Value... vs) {
        io.hlo4j.mlir.types.ElementType best = null;
        for (Value v : vs) {
            io.hlo4j.mlir.types.ElementType et = tensor(v).elementType();
            if (best == null || et.storageBytes() > best.storageBytes()) best = et;
        }
        return best;
    }

    /** Converts {@code x} to element type {@code et} when it differs. */
    public Value castTo(Value x, io.hlo4j.mlir.types.ElementType et) {
        return tensor(x).elementType().equals(et) ? x : sb.convert(x, et, loc);
    }

    Hlo4jException refuse(Operation op, String why) {
        return new Hlo4jException("cannot differentiate '" + op.name() + "': " + why, op.location());
    }
}
