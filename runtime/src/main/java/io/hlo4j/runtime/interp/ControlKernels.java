package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Control flow, calls, tuples, barriers and custom_call dispatch. */
final class ControlKernels {
    private ControlKernels() {}

    /** Kernels for {@code custom_call} targets, by target name. */
    static final Map<String, Kernel> CUSTOM_CALLS = new ConcurrentHashMap<>();

    static void register() {
        Kernels.put("stablehlo.while", (op, args, f) -> {
            List<RtValue> state = args;
            while (true) {
                Tensor p = (Tensor) f.region(op.region(0), state).get(0);
                if (p.ints[0] == 0) return state;
                state = f.region(op.region(1), state);
            }
        });
        Kernels.put("stablehlo.if", (op, args, f) ->
                f.region(op.region(((Tensor) args.get(0)).ints[0] != 0 ? 0 : 1), List.of()));
        Kernels.put("stablehlo.case", (op, args, f) -> {
            long i = ((Tensor) args.get(0)).ints[0];
            int n = op.regions().size();
            return f.region(op.region(i < 0 || i >= n ? n - 1 : (int) i), List.of());
        });
        Kernels.put("func.call", (op, args, f) -> call(op, Attrs.string(op, "callee"), args, f));
        Kernels.put("stablehlo.composite", (op, args, f) -> call(op, Attrs.string(op, "decomposition"), args, f));
        Kernels.put("stablehlo.optimization_barrier", (op, args, f) -> args);
        Kernels.put("stablehlo.tuple", (op, args, f) -> List.of(new RtValue.Tuple(args)));
        Kernels.put("stablehlo.get_tuple_element", (op, args, f) ->
                List.of(((RtValue.Tuple) args.get(0)).elements().get((int) Attrs.integer(op, "index", 0))));
        Kernels.put("stablehlo.after_all", (op, args, f) -> List.of(RtValue.Token.INSTANCE));
        Kernels.put("stablehlo.create_token", (op, args, f) -> List.of(RtValue.Token.INSTANCE));
        Kernels.put("stablehlo.custom_call", ControlKernels::customCall);
        // The interpreter runs the async computation eagerly: the future holds its results until async_done.
        Kernels.put("stablehlo.async_start", (op, args, f) -> List.of(new RtValue.Tuple(f.region(op.region(0), args))));
        Kernels.put("stablehlo.async_done", (op, args, f) -> {
            if (!(args.get(0) instanceof RtValue.Tuple future)) throw InterpreterException.at(op, "operand is not a future: " + args.get(0));
            return future.elements().size() == op.numResults() ? future.elements() : List.of(future);
        });
    }

    private static List<RtValue> call(Operation op, String callee, List<RtValue> args, Frame f) {
        Operation fn = f.interpreter().symbols().lookup(callee);
        if (fn == null) throw InterpreterException.at(op, "no function @" + callee);
        return f.interpreter().call(fn, new ArrayList<>(args), f.process());
    }

    private static List<RtValue> customCall(Operation op, List<RtValue> args, Frame f) {
        String target = Attrs.string(op, "call_target_name");
        Kernel k = target == null ? null : CUSTOM_CALLS.get(target);
        if (k == null) {
            // The location travels with the exception: the CLI and format() print it as the prefix.
            throw new InterpreterException("not supported by the interpreter: stablehlo.custom_call @" + target, op.location());
        }
        return k.eval(op, args, f);
    }
}
