package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation of a {@code func.func}. The forward body is re-emitted unchanged into the new
 * function, so every forward value is available to the backward sweep as a residual; the backward sweep walks
 * the ops in reverse, asks each op's {@link VjpRule} for its operands' cotangents and sums the cotangents of
 * values used more than once. Values nobody differentiates get zeros.
 *
 * <p>{@code stop_gradient}: an op carrying the discardable attribute {@value #STOP_GRADIENT} passes no cotangent
 * to its operands. {@link #stopGradient} emits it on an identity {@code stablehlo.convert} (same type in and out),
 * which every backend folds away, so the marker changes nothing at run time and needs no custom call.
 */
public final class Autodiff {
    public static final String STOP_GRADIENT = "hlo4j.stop_gradient";

    private Autodiff() {}

    /** {@code stop_gradient(x)}: the identity in the forward pass, a cut in the backward pass. */
    public static Value stopGradient(IrBuilder b, Value x, Location loc) {
        Operation.Builder ob = Operation.builder("stablehlo.convert").operand(x).resultType(x.type()).location(loc)
                .attribute(STOP_GRADIENT, UnitAttr.INSTANCE);
        return b.append(ob, loc).result();
    }

    /**
     * The VJP of {@code func}: a new function {@code name} taking the original arguments followed by one cotangent
     * per result, and returning the original results followed by the cotangents of the arguments {@code wrt}.
     */
    public static Operation vjp(Operation func, int[] wrt, String name) { return transform(func, wrt, name, false); }

    /**
     * {@code valueAndGrad}: {@code func} must return one scalar float; the new function takes the same arguments and
     * returns the value followed by the gradients of the arguments {@code wrt}.
     */
    public static Operation valueAndGrad(Operation func, int[] wrt, String name) { return transform(func, wrt, name, true); }

    private static Operation transform(Operation func, int[] wrt, String name, boolean seedOne) {
        VjpRules.install();
        if (!func.name().equals("func.func")) throw new Hlo4jException("autodiff expects a func.func, got '" + func.name() + "'", func.location());
        FunctionType ft = (FunctionType) ((TypeAttr) func.attr("function_type")).value();
        Block body = func.region(0).entry();
        if (seedOne && (ft.results().size() != 1 || !(ft.results().get(0) instanceof TensorType t && t.rank() == 0
                && Backward.differentiable(t)))) {
            throw new Hlo4jException("valueAndGrad needs a function returning one float scalar, got " + ft.results(), func.location());
        }
        for (int w : wrt) {
            if (w < 0 || w >= ft.inputs().size()) throw new Hlo4jException("argument #" + w + " does not exist: the function has "
                    + ft.inputs().size(), func.location());
            if (!Backward.differentiable(ft.inputs().get(w))) {
                throw new Hlo4jException("argument #" + w + " is " + ft.inputs().get(w) + ": only float arguments have gradients", func.location());
            }
        }
        List<Type> argTypes = new ArrayList<>(ft.inputs());
        if (!seedOne) argTypes.addAll(ft.results());
        FunctionBuilder fb = IrBuilder.function(name, argTypes, func.location());
        Map<Value, Value> primal = new IdentityHashMap<>();
        for (int i = 0; i < body.arguments().size(); i++) primal.put(body.argument(i), fb.argument(i));

        // Forward sweep: the residuals are the re-emitted values themselves.
        List<Operation> ops = body.operations();
        Operation ret = body.terminator();
        List<Operation> clones = new ArrayList<>(ops.size());
        for (Operation op : ops) {
            if (op == ret) break;
            Operation c = fb.append(Cloner.copy(op, primal), op.location());
            for (int i = 0; i < c.numResults(); i++) primal.put(op.result(i), c.result(i));
            clones.add(c);
        }

        Backward bw = new Backward(fb);
        Cotangents cts = new Cotangents(bw);
        for (int i = 0; i < ret.numOperands(); i++) {
            Value r = ret.operand(i);
            if (!Backward.differentiable(r.type())) continue;
            Value seed = seedOne ? bw.full((TensorType) r.type(), 1) : fb.argument(ft.inputs().size() + i);
            cts.add(r, seed);
        }

        // Backward sweep.
        for (int k = clones.size() - 1; k >= 0; k--) {
            Operation op = ops.get(k), c = clones.get(k);
            List<Value> g = new ArrayList<>(op.numResults());
            boolean any = false;
            for (Value r : op.results()) { Value ct = cts.get(r); g.add(ct); any |= ct != null; }
            if (!any || op.attributes().contains(STOP_GRADIENT)) continue;
            OpDef def = op.def();
            if (def != null && def.extension(NonDifferentiable.class) != null) continue;
            VjpRule rule = def == null ? null : def.extension(VjpRule.class);
            if (rule == null) throw new Hlo4jException("cannot differentiate '" + op.name() + "': it has no VJP rule yet", op.location());
            bw.at(op.location());
            for (int i = 0; i < g.size(); i++) {
                if (g.get(i) == null && Backward.differentiable(c.result(i).type())) g.set(i, bw.zerosLike(c.result(i)));
            }
            List<Value> in = rule.vjp(bw, c, g);
            if (in.size() != op.numOperands()) {
                throw new IllegalStateException("VJP rule of " + op.name() + " returned " + in.size() + " cotangents for "
                        + op.numOperands() + " operands");
            }
            for (int i = 0; i < in.size(); i++) {
                if (in.get(i) != null && Backward.differentiable(op.operand(i).type())) cts.add(op.operand(i), in.get(i));
            }
        }

        List<Value> outs = new ArrayList<>();
        for (Value r : ret.operands()) outs.add(primal.get(r));
        bw.at(func.location());
        for (int w : wrt) {
            Value g = cts.get(body.argument(w));
            outs.add(g != null ? g : bw.zerosLike(fb.argument(w)));
        }
        return fb.finish(outs, ret.location());
    }
}
