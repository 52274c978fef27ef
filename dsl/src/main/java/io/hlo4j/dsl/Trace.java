package io.hlo4j.dsl;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The tracing context: a thread-local stack of scopes, each an {@link IrBuilder} of the function or
 * control-flow body being traced. Ops go to the innermost scope; a tensor may be used there when its value is
 * visible (defined in that scope or an enclosing one), otherwise it has leaked from its trace and is refused.
 */
public final class Trace {
    private static final ThreadLocal<Deque<Trace>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final IrBuilder ir;
    private final StablehloBuilder h;
    /** For a body that closes over its enclosing trace's values (a shardMap body): outer value -> its argument here; else null. */
    private final Function<Value, Value> capture;

    private Trace(IrBuilder ir, Function<Value, Value> capture) {
        this.ir = ir;
        this.h = new StablehloBuilder(ir);
        this.capture = capture;
    }

    public IrBuilder ir() { return ir; }
    public StablehloBuilder hlo() { return h; }

    /** Runs {@code body} with {@code ir} as the innermost scope. */
    public static <R> R within(IrBuilder ir, java.util.function.Supplier<R> body) { return within(ir, null, body); }

    /**
     * As {@link #within(IrBuilder, java.util.function.Supplier)}, for a body isolated from its enclosing trace that
     * closes over it: a value of an enclosing trace used in the body is handed to {@code capture}, which makes it an
     * argument of the body and returns that argument (JAX's shard_map closing over a tracer).
     */
    public static <R> R within(IrBuilder ir, Function<Value, Value> capture, java.util.function.Supplier<R> body) {
        Deque<Trace> st = STACK.get();
        st.push(new Trace(ir, capture));
        try {
            return body.get();
        } finally {
            st.pop();
        }
    }

    /** The innermost scope; using the DSL with no trace open is an error naming the op and line. */
    public static Trace current(String op, Location loc) {
        Trace t = STACK.get().peek();
        if (t == null) throw new DslException(op, "no trace is open: tensors can only be used inside jit/trace", loc);
        return t;
    }

    public static boolean active() { return !STACK.get().isEmpty(); }

    /** The IR value of {@code t}, checked to be usable in the current scope. */
    static Value use(Tensor t, String op, Location loc) {
        Trace cur = current(op, loc);
        if (!cur.ir.isVisible(t.value())) {
            Value captured = captured(new ArrayList<>(STACK.get()), 0, t.value());
            if (captured != null) return captured;
            // a trace still open below this one holds it, and this body does not close over it (a per-device body traced
            // on its own, as ShardMapRun and ExpertParallelMoe.run trace theirs): say how to get the value in
            boolean enclosing = STACK.get().stream().skip(1).anyMatch(o -> o.ir.isVisible(t.value()));
            throw new DslException(op, "tensor " + t.describe() + " is used outside its trace " + (enclosing
                    ? "(it belongs to an enclosing trace, and this body is isolated from it, as a per-device body traced on its own "
                    + "is: pass it in as an argument of the body, or use a host constant)"
                    : "(it belongs to another function or to a control-flow body that has finished)"), loc);
        }
        return t.value();
    }

    /** {@code v} as seen by {@code scopes[i]}: itself when visible there, else captured from the scope outside it, else null. */
    private static Value captured(List<Trace> scopes, int i, Value v) {
        Trace t = scopes.get(i);
        if (t.ir.isVisible(v)) return v;
        if (t.capture == null || i + 1 >= scopes.size()) return null;
        Value outer = captured(scopes, i + 1, v);
        return outer == null ? null : t.capture.apply(outer);
    }

    /** Wraps builder errors so the message names the DSL op, the operand shapes and the user's line. */
    static <R> R guard(String op, List<Tensor> operands, Location loc, java.util.function.Supplier<R> emit) {
        try {
            return emit.get();
        } catch (DslException e) {
            throw e;
        } catch (Hlo4jException e) {
            throw new DslException(op, "invalid operands " + Tensor.describeAll(operands) + ": " + e.getMessage(), loc, e);
        }
    }

    /** A region body traced once: arguments become tensors, {@code body} returns the yielded tensors. */
    static Region region(List<? extends Type> argTypes, Function<List<Tensor>, List<Tensor>> body, String op, Location loc) {
        Trace cur = current(op, loc);
        return cur.ir.region(argTypes, rb -> within(rb, () -> {
            List<Tensor> args = new ArrayList<>();
            for (Value v : rb.arguments()) args.add(new Tensor(v));
            List<Tensor> out = body.apply(args);
            List<Value> vs = new ArrayList<>();
            for (Tensor t : out) vs.add(use(t, op, loc));
            return vs;
        }), "stablehlo.return", loc);
    }

    /** Emits a generic op in the current scope (for ops without a typed helper). */
    static List<OpResult> emit(String opName, List<Tensor> operands, Map<String, ? extends Attribute> props,
                               List<Region> regions, List<? extends Type> resultTypes, String op, Location loc) {
        Trace cur = current(op, loc);
        List<Value> vs = new ArrayList<>();
        for (Tensor t : operands) vs.add(use(t, op, loc));
        return guard(op, operands, loc, () -> cur.ir.emit(opName, vs, props, regions, resultTypes, loc));
    }
}
