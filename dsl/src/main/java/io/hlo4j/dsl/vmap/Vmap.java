package io.hlo4j.dsl.vmap;

import io.hlo4j.compiler.batch.Batched;
import io.hlo4j.compiler.batch.Batching;
import io.hlo4j.compiler.batch.CalleeSink;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.dsl.grad.Inliner;
import io.hlo4j.dsl.grad.SideCallees;
import io.hlo4j.dsl.jit.Fn;
import io.hlo4j.dsl.jit.Fn1;
import io.hlo4j.dsl.jit.Fn2;
import io.hlo4j.dsl.jit.Fn3;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Traced;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code vmap}: maps a traced function over a batch dimension of its arguments, as {@code jax.vmap} does. The
 * function is traced once on one example (each batched argument without its batch dimension), the trace is batched
 * by {@link Batching} (each op by its batching rule, no per-example loop) and the result is inlined into the
 * caller's trace, so vmap composes with {@code jit}, {@code grad} (vmap of grad gives per-example gradients) and
 * itself.
 *
 * <p>{@code inAxes} has one entry per argument: the batch dimension of every leaf of that argument, or {@code null}
 * for an argument shared by all examples, or a tree of such entries matching the argument's structure (per leaf, as
 * in JAX); negative axes count from the end. {@code outAxes} has one entry per
 * element of the returned list (or one entry for all results): where the batch dimension goes in each result leaf,
 * {@code null} for a result that does not depend on the batch. Like {@link io.hlo4j.dsl.grad.Grad}, the function must
 * not capture tensors of the enclosing trace: pass what it reads as arguments.
 *
 * <p>Under an enclosing {@code grad}, a checkpointed or custom-VJP function the mapped function calls stays a call:
 * of a copy of its callee batched once for the operands it gets, with the call's checkpoint or custom-VJP marker, so
 * {@code grad} of the vmapped function still recomputes the checkpoint and applies the custom rule (as JAX batches a
 * call's jaxpr). Outside {@code grad} those helpers run inline and there is no call to keep.
 */
public final class Vmap {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private Vmap() {}

    /** Every argument batched at dimension 0, every result too. */
    public static TracedFunction vmap(TracedFunction fn) { return vmap(fn, new Integer[]{0}, new Integer[]{0}); }

    /**
     * {@code fn} mapped over the batch dimensions {@code inAxes} (one per argument; a single entry applies to all);
     * results get it at {@code outAxes} (one per element of a returned list, or a single entry for all).
     */
    public static TracedFunction vmap(TracedFunction fn, Integer[] inAxes, Integer[] outAxes) {
        Object[] in = inAxes.clone();
        Integer[] out = outAxes.clone();
        return args -> apply(fn, in, out, args);
    }

    /**
     * {@code fn} mapped with one in_axes tree per argument, as JAX's pytree in_axes: an entry is an axis for every leaf
     * below it, {@code null} or {@link #NOT_MAPPED} for none, or a map / list / record of entries with the argument's
     * structure there ({@code Map.of("w", NOT_MAPPED, "b", 0)} for a parameter map whose bias alone is batched).
     */
    public static TracedFunction vmap(TracedFunction fn, Object[] inAxes, Integer[] outAxes) {
        Object[] in = inAxes.clone();
        Integer[] out = outAxes.clone();
        return args -> apply(fn, in, out, args);
    }

    /**
     * Typed {@code vmap}: every argument and result batched at dimension 0; the batched function has the same Java types
     * (a {@code Mlp<Tensor>} of stacked examples). Named {@code vmapOf}, as {@code Grad.gradOf}, because {@code vmap(x -> ...)}
     * would be ambiguous with the {@code Object[]} form.
     */
    public static <A, R> Fn1<A, R> vmapOf(Fn1<A, R> fn) { return Fn.typed1(vmap(fn.untyped())); }
    public static <A, B, R> Fn2<A, B, R> vmapOf(Fn2<A, B, R> fn) { return Fn.typed2(vmap(fn.untyped())); }
    public static <A, B, C, R> Fn3<A, B, C, R> vmapOf(Fn3<A, B, C, R> fn) { return Fn.typed3(vmap(fn.untyped())); }

    /** Typed {@code vmap} with in_axes trees (one per argument, as {@link #vmap(TracedFunction, Object[], Integer[])}) and out_axes. */
    public static <A, R> Fn1<A, R> vmapOf(Fn1<A, R> fn, Object[] inAxes, Integer[] outAxes) { return Fn.typed1(vmap(fn.untyped(), inAxes, outAxes)); }
    public static <A, B, R> Fn2<A, B, R> vmapOf(Fn2<A, B, R> fn, Object[] inAxes, Integer[] outAxes) {
        return Fn.typed2(vmap(fn.untyped(), inAxes, outAxes));
    }
    public static <A, B, C, R> Fn3<A, B, C, R> vmapOf(Fn3<A, B, C, R> fn, Object[] inAxes, Integer[] outAxes) {
        return Fn.typed3(vmap(fn.untyped(), inAxes, outAxes));
    }

    /** "Not batched" in an in_axes tree, where {@code Map.of} and {@code List.of} cannot hold a null. */
    public static final Object NOT_MAPPED = InAxes.NOT_MAPPED;

    /** {@code tree(Map.of(...), 0)}: an in_axes list whose entries are trees. */
    public static Object[] tree(Object... axes) { return axes; }

    /** {@code axes(0, null)}: readable axis lists with nulls. */
    public static Integer[] axes(Integer... axes) { return axes; }

    private static Object apply(TracedFunction fn, Object[] inAxes, Integer[] outAxes, Object[] args) {
        Location loc = SourceLoc.here();
        Trace outer = Trace.current("vmap", loc);
        if (inAxes.length != 1 && inAxes.length != args.length) {
            throw new DslException("vmap", inAxes.length + " in_axes " + text(inAxes) + " for " + args.length + " arguments", loc);
        }
        List<Value> flat = new ArrayList<>();
        List<Integer> flatAxes = new ArrayList<>();
        List<Pytree.Def> argDefs = new ArrayList<>();
        List<Spec> specs = new ArrayList<>();
        long size = -1;
        String sizeFrom = null;
        for (int a = 0; a < args.length; a++) {
            Object spec = inAxes.length == 1 ? inAxes[0] : inAxes[a];
            List<Object> leaves = new ArrayList<>();
            Pytree.Def d;
            try {
                d = Pytree.flatten(args[a], leaves);
            } catch (IllegalArgumentException e) {
                throw new DslException("vmap", "argument #" + a + " is not a pytree of tensors: " + e.getMessage(), loc, e);
            }
            List<Integer> leafAxes;
            try {
                leafAxes = InAxes.perLeaf(spec, d);
            } catch (IllegalArgumentException e) {
                throw new DslException("vmap", "argument #" + a + ": " + e.getMessage(), loc, e);
            }
            argDefs.add(d);
            List<String> paths = Pytree.paths(d);
            for (int i = 0; i < leaves.size(); i++) {
                if (!(leaves.get(i) instanceof Tensor t)) {
                    throw new DslException("vmap", "argument #" + a + " has a non-tensor leaf " + leaves.get(i), loc);
                }
                String where = "argument #" + a + (paths.get(i).isEmpty() ? "" : " leaf " + paths.get(i)) + " (" + t.describe() + ")";
                TensorType tt = (TensorType) t.value().type();
                Integer axis = leafAxes.get(i);
                flat.add(t.value());
                if (axis == null) {
                    flatAxes.add(Batched.NONE);
                    specs.add(Spec.of(tt));
                    continue;
                }
                int ax = axis < 0 ? axis + tt.rank() : axis;
                if (ax < 0 || ax >= tt.rank()) {
                    throw new DslException("vmap", "in_axes " + axis + " is out of range for " + where, loc);
                }
                long n = tt.dim(ax);
                if (size >= 0 && n != size) {
                    throw new DslException("vmap", "batch sizes differ: " + where + " has " + n + " at axis " + ax + " but "
                            + sizeFrom + " has " + size, loc);
                }
                if (size < 0) { size = n; sizeFrom = where + " at axis " + ax; }
                flatAxes.add(ax);
                specs.add(Spec.of(removeDim(tt, ax)));
            }
        }
        if (size < 0) throw new DslException("vmap", "no argument is batched (in_axes " + text(inAxes) + ")", loc);
        String name = "hlo4j_vmap_body_" + COUNTER.getAndIncrement();
        Traced traced = Jit.traceFunction(name, fn, new Pytree.ListDef(List.copyOf(argDefs)), specs);
        CalleeSink side = SideCallees.current();
        if (side == null) {
            io.hlo4j.mlir.ir.Walker.walk(traced.function(), op -> {
                if (op.name().equals("func.call")) {
                    throw new DslException("vmap", "the mapped function calls " + op.attr("callee") + ", a function no enclosing grad "
                            + "holds (checkpoints and custom VJPs are called only under grad)", op.location());
                }
            });
        }
        int[] outFlat = outAxes(traced, outAxes, loc);
        Operation batched;
        try {
            int[] in = flatAxes.stream().mapToInt(Integer::intValue).toArray();
            // under grad, a checkpointed or custom-VJP call stays a call (of a batched copy of its callee), its marker kept;
            // outside grad there is no call (checked above) and so no function to hand over
            batched = side == null ? Batching.vmap(traced.function(), in, outFlat, size, name + "_batched")
                    : Batching.vmap(traced.function(), side, in, outFlat, size, name + "_batched");
        } catch (DslException e) {
            throw e;
        } catch (Hlo4jException e) {
            Location at = e.location() instanceof Location.Unknown ? loc : e.location();
            String msg = e.getMessage().startsWith("vmap: ") ? e.getMessage().substring(6) : e.getMessage();
            throw new DslException("vmap", msg, at, e);
        }
        List<Value> outs = Inliner.body(outer.ir(), batched, flat);
        List<Tensor> ts = new ArrayList<>();
        for (Value v : outs) ts.add(new Tensor(v));
        return Pytree.unflatten(traced.outputDef(), ts.iterator());
    }

    /** One out axis per result leaf, from one axis per element of a returned list (or one for all). */
    private static int[] outAxes(Traced traced, Integer[] outAxes, Location loc) {
        Pytree.Def od = traced.outputDef();
        List<Integer> perLeaf = new ArrayList<>();
        if (outAxes.length == 1) {
            for (int i = 0; i < od.leafCount(); i++) perLeaf.add(outAxes[0]);
        } else if (od instanceof Pytree.ListDef l && l.children().size() == outAxes.length) {
            for (int k = 0; k < outAxes.length; k++) for (int i = 0; i < l.children().get(k).leafCount(); i++) perLeaf.add(outAxes[k]);
        } else {
            throw new DslException("vmap", outAxes.length + " out_axes " + text(outAxes) + " do not match the function's results "
                    + traced.resultSpecs() + " (give one per element of the returned list, or one for all)", loc);
        }
        int[] out = new int[perLeaf.size()];
        for (int i = 0; i < out.length; i++) {
            Integer a = perLeaf.get(i);
            int rank = traced.resultSpecs().get(i).shape().dims().length;
            if (a == null) { out[i] = Batched.NONE; continue; }
            int ax = a < 0 ? a + rank + 1 : a;
            if (ax < 0 || ax > rank) {
                throw new DslException("vmap", "out_axes " + a + " is out of range for result " + i + " " + traced.resultSpecs().get(i), loc);
            }
            out[i] = ax;
        }
        return out;
    }

    private static TensorType removeDim(TensorType t, int dim) {
        long[] s = t.shape(), out = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != dim) out[j++] = s[i];
        return t.withShape(out);
    }

    private static String text(Object[] axes) { return Arrays.toString(axes).replace("null", "none"); }
}
