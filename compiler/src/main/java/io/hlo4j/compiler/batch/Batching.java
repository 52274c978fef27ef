package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code vmap} of a {@code func.func}: a new function whose argument {@code i} has a batch dimension of
 * {@code size} at {@code inAxes[i]} (or none, {@link Batched#NONE}) and whose result {@code j} has it at
 * {@code outAxes[j]}. Given the module ({@link #vmap(Module, String, int[], int[], long, String)}), every
 * {@code func.call} and {@code composite} is batched through its callee, inlined at the call (see
 * {@link CallBatchRules}), so the batched function is self-contained; given one function alone, a call with a
 * batched operand is refused.
 */
public final class Batching {
    private Batching() {}

    public static Operation vmap(Operation func, int[] inAxes, int[] outAxes, long size, String name) {
        return vmap(func, null, inAxes, outAxes, size, name);
    }

    /** vmap of the module's function {@code funcName}; calls to the module's other functions are batched through them. */
    public static Operation vmap(Module module, String funcName, int[] inAxes, int[] outAxes, long size, String name) {
        Operation f = module.symbols().lookup(funcName);
        if (f == null || !f.name().equals("func.func")) {
            throw new Hlo4jException("vmap: the module has no function @" + funcName, module.op().location());
        }
        return vmap(f, module.symbols()::lookup, inAxes, outAxes, size, name);
    }

    private static Operation vmap(Operation func, Function<String, Operation> symbols, int[] inAxes, int[] outAxes, long size, String name) {
        BatchRules.install();
        if (!func.name().equals("func.func")) throw new Hlo4jException("vmap expects a func.func, got '" + func.name() + "'", func.location());
        FunctionType ft = (FunctionType) ((TypeAttr) func.attr("function_type")).value();
        if (inAxes.length != ft.inputs().size()) {
            throw new Hlo4jException("vmap: " + inAxes.length + " in_axes for a function of " + ft.inputs().size() + " arguments",
                    func.location());
        }
        if (outAxes.length != ft.results().size()) {
            throw new Hlo4jException("vmap: " + outAxes.length + " out_axes for a function of " + ft.results().size() + " results",
                    func.location());
        }
        if (size < 0) throw new Hlo4jException("vmap: batch size " + size + " is negative", func.location());
        List<Type> argTypes = new ArrayList<>();
        for (int i = 0; i < inAxes.length; i++) {
            Type t = ft.inputs().get(i);
            int a = inAxes[i];
            if (a == Batched.NONE) { argTypes.add(t); continue; }
            if (!(t instanceof TensorType tt) || a < 0 || a > tt.rank()) {
                throw new Hlo4jException("vmap: in_axes[" + i + "] = " + a + " is out of range for an example of type " + t, func.location());
            }
            argTypes.add(Batcher.insert(tt, a, size));
        }
        FunctionBuilder fb = IrBuilder.function(name, argTypes, func.location());
        Batcher root = new Batcher(fb, size, null, symbols, ((io.hlo4j.mlir.attr.StringAttr) func.attr("sym_name")).value());
        Block body = func.region(0).entry();
        List<Batched> args = new ArrayList<>();
        for (int i = 0; i < inAxes.length; i++) args.add(Batched.of(fb.argument(i), inAxes[i]));
        List<Batched> outs = root.sweep(body, args);
        List<Value> results = new ArrayList<>();
        for (int j = 0; j < outs.size(); j++) {
            Batched o = outs.get(j);
            int a = outAxes[j];
            if (a == Batched.NONE) {
                if (o.batched()) {
                    throw new Hlo4jException("vmap: out_axes[" + j + "] is none but result #" + j + " depends on a batched argument ("
                            + o.describe() + ")", body.terminator().location());
                }
                results.add(o.value());
                continue;
            }
            if (!(o.value().type() instanceof TensorType) || a < 0 || a > o.exampleRank()) {
                throw new Hlo4jException("vmap: out_axes[" + j + "] = " + a + " is out of range for result #" + j + " of example type "
                        + body.terminator().operand(j).type(), body.terminator().location());
            }
            results.add(root.materialize(o, a));
        }
        return fb.finish(results, body.terminator().location());
    }
}
