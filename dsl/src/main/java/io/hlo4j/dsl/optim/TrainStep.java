package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.HostTrees;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;
import java.util.Map;

/**
 * One training step as a single traced program: {@code (params, optState, batch...) -> [loss, params', optState']},
 * the loss and its gradient w.r.t. the parameters from {@link Grad#valueAndGrad}, then the optimiser's update.
 * {@link Runner} jits it once and threads parameters and state through host calls.
 */
public final class TrainStep {
    private TrainStep() {}

    /** {@code loss} takes {@code (params, batch...)} and returns a float scalar. */
    public static TracedFunction of(TracedFunction loss, Optimizer opt) {
        TracedFunction vg = Grad.valueAndGrad(loss, 0);
        return args -> {
            Object params = args[0], state = args[1];
            Object[] lossArgs = new Object[args.length - 1];
            lossArgs[0] = params;
            System.arraycopy(args, 2, lossArgs, 1, args.length - 2);
            List<?> r = (List<?>) vg.apply(lossArgs);
            Optimizer.Step s = opt.update(params, r.get(1), state);
            return List.of((Tensor) r.get(0), s.params(), s.state());
        };
    }

    /** Holds the current parameters and optimiser state on the host and runs the jitted step. */
    public static final class Runner {
        private final Jit step;
        private Object params;
        private Object state;

        public Runner(String name, TracedFunction loss, Optimizer opt, Object params) {
            this.step = Jit.jit(name, of(loss, opt));
            this.params = params;
            this.state = opt.init(params);
        }

        /** Runs one step on {@code batch}; returns the loss before the update. */
        public double step(Object... batch) {
            Object[] args = new Object[batch.length + 2];
            args[0] = params;
            args[1] = state;
            System.arraycopy(batch, 0, args, 2, batch.length);
            List<?> r = (List<?>) step.call(args);
            params = r.get(1);
            state = r.get(2);
            return ((HostArray) r.get(0)).getDouble(0);
        }

        public Object params() { return params; }

        /** The current parameters as a state dict, for parameters given as a flat {@code Map<String, HostArray>}. */
        public Map<String, HostArray> paramsMap() { return HostTrees.map("TrainStep.Runner.paramsMap", params); }

        public Object state() { return state; }

        public Jit jit() { return step; }
    }
}
