package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.transform.DeadCode;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reverse-mode differentiation of a {@code func.func}. The forward body is re-emitted unchanged into the new
 * function, so every forward value is available to the backward sweep as a residual; the backward sweep walks
 * the ops in reverse, asks each op's {@link VjpRule} for its operands' cotangents and sums the cotangents of
 * values used more than once. Values nobody differentiates get zeros.
 *
 * <p>{@code stop_gradient}: an op carrying the discardable attribute {@value #STOP_GRADIENT} passes no cotangent
 * to its operands. {@link #stopGradient} emits it on an identity {@code stablehlo.convert} (same type in and out),
 * which every backend folds away, so the marker changes nothing at run time and needs no custom call.
 *
 * <p>The new function goes through dead-code elimination ({@link DeadCode}): ops whose results nothing returns or
 * reads go (the cotangent of a constant operand, forward values only such cotangents read); its arguments, results,
 * calls and ops with effects stay.
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
    public static Operation vjp(Operation func, int[] wrt, String name) { return transform(func, wrt, name, false, noSymbols(func)); }

    /** As {@link #vjp(Operation, int[], String)} for function {@code funcName} of {@code module}; calls resolve in it. */
    public static Operation vjp(Module module, String funcName, int[] wrt, String name) {
        return transform(function(module, funcName), wrt, name, false, symbolsOf(module));
    }

    public static Operation valueAndGrad(Module module, String funcName, int[] wrt, String name) {
        return transform(function(module, funcName), wrt, name, true, symbolsOf(module));
    }

    /**
     * A copy of {@code module} with the VJP of {@code funcName} added as {@code name} (the forward pass calls the
     * module's other functions, so they come along).
     */
    public static Module withVjp(Module module, String funcName, int[] wrt, String name) {
        return Calls.withFunctions(module, List.of(vjp(module, funcName, wrt, name)));
    }

    private static Operation function(Module module, String name) {
        Operation f = module.symbols().lookup(name);
        if (f == null || !f.name().equals("func.func")) throw new Hlo4jException("no function @" + name + " in the module", Location.UNKNOWN);
        return f;
    }

    private static Function<String, Operation> symbolsOf(Module module) {
        SymbolTable t = module.symbols();
        return t::lookup;
    }

    private static Function<String, Operation> noSymbols(Operation func) {
        return n -> { throw new Hlo4jException("cannot differentiate a call to @" + n + ": pass the module so callees resolve", func.location()); };
    }

    /**
     * {@code valueAndGrad}: {@code func} must return one scalar float; the new function takes the same arguments and
     * returns the value followed by the gradients of the arguments {@code wrt}.
     */
    public static Operation valueAndGrad(Operation func, int[] wrt, String name) { return transform(func, wrt, name, true, noSymbols(func)); }

    private static Operation transform(Operation func, int[] wrt, String name, boolean seedOne, Function<String, Operation> symbols) {
        return DeadCode.eliminate(transformKeepingDeadCode(func, wrt, name, seedOne, symbols));
    }

    /** {@link #vjp(Module, String, int[], String)} before dead-code elimination (for tests that count what it removes). */
    static Operation vjpKeepingDeadCode(Module module, String funcName, int[] wrt, String name) {
        return transformKeepingDeadCode(function(module, funcName), wrt, name, false, symbolsOf(module));
    }

    private static Operation transformKeepingDeadCode(Operation func, int[] wrt, String name, boolean seedOne, Function<String, Operation> symbols) {
        VjpRules.install();
        if (!func.name().equals("func.func")) throw new Hlo4jException("autodiff expects a func.func, got '" + func.name() + "'", func.location());
        FunctionType ft = (FunctionType) ((TypeAttr) func.attr("function_type")).value();
        Calls.refuseCycles(func, symbols, "differentiate");
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
        Sweep sw = new Sweep(fb, symbols);
        for (int i = 0; i < body.arguments().size(); i++) sw.bind(body.argument(i), fb.argument(i));
        Operation ret = body.terminator();
        // Forward sweep: the residuals are the re-emitted values themselves.
        for (Operation op : body.operations()) if (op != ret) sw.forward(op);
        Backward bw = sw.context();
        bw.at(ret.location());
        for (int i = 0; i < ret.numOperands(); i++) {
            Value r = ret.operand(i);
            if (!Backward.differentiable(r.type())) continue;
            sw.seed(r, seedOne ? bw.full((TensorType) r.type(), 1) : fb.argument(ft.inputs().size() + i));
        }
        sw.backward();
        List<Value> outs = new ArrayList<>();
        for (Value r : ret.operands()) outs.add(sw.primal(r));
        bw.at(func.location());
        for (int w : wrt) {
            Value g = sw.cotangent(body.argument(w));
            outs.add(g != null ? g : bw.zerosLike(fb.argument(w)));
        }
        return fb.finish(outs, ret.location());
    }
}
