package io.hlo4j.dsl.grad;

import io.hlo4j.compiler.ad.Checkpoint;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.Trace;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Rematerialisation and custom VJPs for user functions over lists of tensors. Under {@link Grad} they become a
 * {@code func.call} carrying {@link Checkpoint}'s attributes, which the autodiff reads; in a plain trace (nothing
 * differentiates it) the function is simply called inline.
 */
public final class Checkpointing {
    private Checkpointing() {}

    /** A user's backward pass: {@code (args, results, cotangents) -> one cotangent per argument}. */
    @FunctionalInterface
    public interface Backward {
        List<Tensor> apply(List<Tensor> args, List<Tensor> results, List<Tensor> cotangents);
    }

    /** {@code fn} checkpointed: the backward pass recomputes it, keeping only what {@code policy} saves. */
    public static Function<List<Tensor>, List<Tensor>> checkpoint(Function<List<Tensor>, List<Tensor>> fn, Checkpoint.Policy policy,
                                                                  String... savedNames) {
        return args -> {
            Location loc = SourceLoc.here();
            SideFunctions side = SideFunctions.current();
            if (side == null) return fn.apply(args);
            Operation callee = traceFlat(side, "checkpoint", fn, args);
            Trace t = Trace.current("checkpoint", loc);
            return tensors(Checkpoint.call(t.ir(), callee, values(args, "checkpoint", loc), policy, List.of(savedNames), loc));
        };
    }

    /** {@code fwd} whose VJP is {@code bwd} instead of the derivative of its body. */
    public static Function<List<Tensor>, List<Tensor>> customVjp(Function<List<Tensor>, List<Tensor>> fwd, Backward bwd) {
        return args -> {
            Location loc = SourceLoc.here();
            SideFunctions side = SideFunctions.current();
            if (side == null) return fwd.apply(args);
            Operation callee = traceFlat(side, "custom_vjp_fwd", fwd, args);
            int n = args.size();
            List<Spec> bwdSpecs = new ArrayList<>();
            for (Tensor a : args) bwdSpecs.add(Spec.of(a.type()));
            List<Value> res = callee.region(0).entry().terminator().operands();
            for (Value r : res) bwdSpecs.add(Spec.of((io.hlo4j.mlir.types.TensorType) r.type()));
            for (Value r : res) bwdSpecs.add(Spec.of((io.hlo4j.mlir.types.TensorType) r.type()));
            String bname = side.freshName("custom_vjp_bwd");
            Operation b = Jit.traceFunction(bname, flat -> {
                List<Tensor> ts = new ArrayList<>();
                for (Object o : flat) ts.add((Tensor) o);
                List<Tensor> cts = bwd.apply(ts.subList(0, n), ts.subList(n, n + res.size()), ts.subList(n + res.size(), ts.size()));
                if (cts.size() != n) {
                    throw new DslException("customVjp", "the backward pass returned " + cts.size() + " cotangents for " + n + " arguments", loc);
                }
                for (int i = 0; i < n; i++) {
                    if (!cts.get(i).type().equals(ts.get(i).type())) {
                        throw new DslException("customVjp", "cotangent #" + i + " is " + cts.get(i).describe() + " but argument #" + i
                                + " is " + ts.get(i).describe(), loc);
                    }
                }
                return cts;
            }, bwdSpecs.toArray()).function();
            side.add(bname, b);
            Trace t = Trace.current("customVjp", loc);
            return tensors(Checkpoint.callWithCustomVjp(t.ir(), callee, b, values(args, "customVjp", loc), loc));
        };
    }

    /** Tags {@code x} with {@code name} for {@link Checkpoint.Policy#NAMES} (an identity op carrying the name). */
    public static Tensor name(Tensor x, String name) {
        Location loc = SourceLoc.here();
        Trace t = Trace.current("name", loc);
        Operation.Builder ob = Operation.builder("stablehlo.convert").operand(values(List.of(x), "name", loc).get(0))
                .resultType(x.type()).location(loc).attribute(Checkpoint.NAME, new StringAttr(name));
        return new Tensor(t.ir().append(ob, loc).result());
    }

    private static Operation traceFlat(SideFunctions side, String prefix, Function<List<Tensor>, List<Tensor>> fn, List<Tensor> args) {
        String name = side.freshName(prefix);
        List<Spec> specs = new ArrayList<>();
        for (Tensor a : args) specs.add(Spec.of(a.type()));
        Operation f = Jit.traceFunction(name, flat -> {
            List<Tensor> ts = new ArrayList<>();
            for (Object o : flat) ts.add((Tensor) o);
            return fn.apply(ts);
        }, specs.toArray()).function();
        side.add(name, f);
        return f;
    }

    private static List<Value> values(List<Tensor> ts, String op, Location loc) {
        Trace t = Trace.current(op, loc);
        List<Value> vs = new ArrayList<>();
        for (Tensor x : ts) {
            if (!t.ir().isVisible(x.value())) throw new DslException(op, "tensor " + x.describe() + " is used outside its trace", loc);
            vs.add(x.value());
        }
        return vs;
    }

    private static List<Tensor> tensors(List<Value> vs) {
        List<Tensor> out = new ArrayList<>();
        for (Value v : vs) out.add(new Tensor(v));
        return out;
    }
}
