package io.hlo4j.dsl.grad;

import io.hlo4j.compiler.ad.Autodiff;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.dsl.jit.Fn;
import io.hlo4j.dsl.jit.Fn1;
import io.hlo4j.dsl.jit.Fn2;
import io.hlo4j.dsl.jit.Fn3;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code grad} and {@code valueAndGrad} over traced functions of pytrees. The function is traced on its own
 * (arguments as fresh specs) into a {@code func.func}, differentiated by {@link Autodiff#valueAndGrad} and the
 * result inlined into the caller's trace. So the function must not capture tensors of the enclosing trace: pass
 * everything it reads as an argument (the trace refuses captured tensors by name).
 *
 * <p>The gradient of argument {@code i} has the structure of argument {@code i}. Every leaf of a differentiated
 * argument must be a float tensor.
 */
public final class Grad {
    private Grad() {}

    /** {@code (args...) -> [value, grads]}: grads is the gradient pytree of {@code argnums[0]} when one argnum is given, else a list. */
    public static TracedFunction valueAndGrad(TracedFunction fn, int... argnums) {
        int[] which = argnums.length == 0 ? new int[]{0} : argnums.clone();
        return args -> {
            Result r = apply(fn, which, args);
            return List.of(r.value(), which.length == 1 ? r.grads().get(0) : r.grads());
        };
    }

    /** {@code (args...) -> grads} (see {@link #valueAndGrad}). */
    public static TracedFunction grad(TracedFunction fn, int... argnums) {
        int[] which = argnums.length == 0 ? new int[]{0} : argnums.clone();
        return args -> {
            Result r = apply(fn, which, args);
            return which.length == 1 ? r.grads().get(0) : r.grads();
        };
    }

    /**
     * Typed {@code grad} with respect to the first argument: the gradient of a {@code Mlp<Tensor>} is a {@code Mlp<Tensor>}
     * (the same record type, map keys or list length). A thin layer on {@link #grad(TracedFunction, int...)}. Named
     * {@code gradOf} because {@code grad(p -> ...)} with a one-argument lambda would be ambiguous between the typed and
     * the {@code Object[]} form.
     */
    public static <A> Fn1<A, A> gradOf(Fn1<A, Tensor> fn) { return Fn.typed1(grad(fn.untyped(), 0)); }
    public static <A, B> Fn2<A, B, A> gradOf(Fn2<A, B, Tensor> fn) { return Fn.typed2(grad(fn.untyped(), 0)); }
    public static <A, B, C> Fn3<A, B, C, A> gradOf(Fn3<A, B, C, Tensor> fn) { return Fn.typed3(grad(fn.untyped(), 0)); }

    /** Typed {@code valueAndGrad} with respect to the first argument (see {@link #gradOf(Fn1)}). */
    public static <A> Fn1<A, ValueAndGrad<Tensor, A>> valueAndGradOf(Fn1<A, Tensor> fn) {
        TracedFunction vg = valueAndGrad(fn.untyped(), 0);
        return a -> pair(vg.apply(a));
    }
    public static <A, B> Fn2<A, B, ValueAndGrad<Tensor, A>> valueAndGradOf(Fn2<A, B, Tensor> fn) {
        TracedFunction vg = valueAndGrad(fn.untyped(), 0);
        return (a, b) -> pair(vg.apply(a, b));
    }
    public static <A, B, C> Fn3<A, B, C, ValueAndGrad<Tensor, A>> valueAndGradOf(Fn3<A, B, C, Tensor> fn) {
        TracedFunction vg = valueAndGrad(fn.untyped(), 0);
        return (a, b, c) -> pair(vg.apply(a, b, c));
    }

    @SuppressWarnings("unchecked")
    private static <A> ValueAndGrad<Tensor, A> pair(Object valueAndGrad) {
        List<?> l = (List<?>) valueAndGrad;
        return new ValueAndGrad<>((Tensor) l.get(0), (A) l.get(1));
    }

    /** The value and one gradient pytree per argnum. */
    public record Result(Tensor value, List<Object> grads) {}

    /** Differentiates {@code fn} at {@code args} (pytrees of tensors of the current trace). */
    public static Result apply(TracedFunction fn, int[] argnums, Object... args) {
        Location loc = SourceLoc.here();
        Trace outer = Trace.current("grad", loc);
        // Leaves of each argument, so the flat gradient list can be cut back into per-argument trees.
        List<Pytree.Def> argDefs = new ArrayList<>();
        List<Integer> firstLeaf = new ArrayList<>();
        List<Value> flat = new ArrayList<>();
        List<Spec> specs = new ArrayList<>();
        for (int a = 0; a < args.length; a++) {
            List<Object> leaves = new ArrayList<>();
            Pytree.Def d = Pytree.flatten(args[a], leaves);
            argDefs.add(d);
            firstLeaf.add(flat.size());
            List<String> paths = Pytree.paths(d);
            for (int i = 0; i < leaves.size(); i++) {
                if (!(leaves.get(i) instanceof Tensor t)) {
                    throw new DslException("grad", "argument #" + a + where(paths.get(i)) + " is a non-tensor leaf " + leaves.get(i), loc);
                }
                flat.add(t.value());
                specs.add(Spec.of(t.type()));
            }
        }
        List<Integer> wrt = new ArrayList<>();
        for (int a : argnums) {
            if (a < 0 || a >= args.length) throw new DslException("grad", "argnum " + a + " out of range: the function got " + args.length + " arguments", loc);
            List<String> paths = Pytree.paths(argDefs.get(a));
            for (int i = 0; i < argDefs.get(a).leafCount(); i++) {
                int leaf = firstLeaf.get(a) + i;
                TensorType t = (TensorType) flat.get(leaf).type();
                if (!(t.elementType() instanceof io.hlo4j.mlir.types.FloatType)) {
                    throw new DslException("grad", "argument #" + a + where(paths.get(i)) + " is " + t
                            + ": only float leaves can be differentiated", loc);
                }
                wrt.add(leaf);
            }
        }
        SideFunctions side = new SideFunctions();
        String name = side.freshName("grad_body");
        Operation func = SideFunctions.within(side, () -> Jit.traceFunction(name, fn, new Pytree.ListDef(List.copyOf(argDefs)), specs).function());
        List<Operation> funcs = new ArrayList<>(io.hlo4j.dsl.shard.ShardedJit.meshDeclarations(loc)); // meshes shardings name
        funcs.add(func);
        for (Operation f : side.all()) funcs.add(f);
        Operation vg;
        try {
            vg = Autodiff.valueAndGrad(Module.of("grad", null, funcs, loc), name, wrt.stream().mapToInt(Integer::intValue).toArray(),
                    side.freshName("value_and_grad"));
            vg = io.hlo4j.compiler.ad.Calls.inlineAll(vg, side::lookup); // calls in regions too (shard_map bodies, loops)
        } catch (DslException e) {
            throw e;
        } catch (Hlo4jException e) {
            throw new DslException("grad", e.getMessage(), loc, e);
        }
        List<Value> outs = Inliner.inline(outer.ir(), vg, flat);
        Tensor value = new Tensor(outs.get(0));
        List<Object> grads = new ArrayList<>();
        int k = 1;
        for (int a : argnums) {
            int n = argDefs.get(a).leafCount();
            List<Tensor> g = new ArrayList<>();
            for (int i = 0; i < n; i++) g.add(new Tensor(outs.get(k++)));
            grads.add(Pytree.unflatten(argDefs.get(a), g.iterator()));
        }
        return new Result(value, grads);
    }

    /** {@code " leaf w1"} for a leaf's path in its argument, {@code ""} for a bare tensor. */
    private static String where(String path) { return path.isEmpty() ? "" : " leaf " + path; }

    /** The identity in the forward pass; no gradient flows through it. */
    public static Tensor stopGradient(Tensor x) {
        Location loc = SourceLoc.here();
        Trace t = Trace.current("stopGradient", loc);
        if (!t.ir().isVisible(x.value())) throw new DslException("stopGradient", "tensor " + x.describe() + " is used outside its trace", loc);
        return new Tensor(Autodiff.stopGradient(t.ir(), x.value(), loc));
    }
}
