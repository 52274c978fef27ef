package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;

import io.hlo4j.dsl.shard.NamedSharding;

import java.util.ArrayList;
import java.util.List;

/**
 * SGD with (heavy-ball) momentum and optional L2 weight decay, in PyTorch's form:
 * {@code g' = g + wd*p; v = momentum*v + g'; p = p - lr*v}. Parameters narrower than f32 (bf16, f16) keep an f32
 * master copy, as {@link AdamW} does: the velocity and the update are f32, and the parameter is the master rounded
 * back, so steps smaller than a bf16 ulp accumulate instead of vanishing.
 */
public record Sgd(double lr, double momentum, double weightDecay) implements Optimizer {
    public Sgd {
        if (!(lr > 0) || momentum < 0 || momentum >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("sgd: need lr > 0, 0 <= momentum < 1, weightDecay >= 0; got " + lr + ", " + momentum + ", " + weightDecay);
        }
    }

    public static Sgd of(double lr, double momentum) { return new Sgd(lr, momentum, 0); }

    /** The state: the velocity tree (f32 for narrow parameters), and per leaf an f32 master or an empty list. */
    public record State(Object velocity, Object master) {}

    @Override public Object init(Object params) {
        List<HostArray> zs = new ArrayList<>();
        List<Object> master = new ArrayList<>();
        for (HostArray p : Trees.hosts(params, "sgd")) {
            zs.add(HostArray.zeros(Masters.stateType(p.type())));
            master.add(Masters.initial(p));
        }
        return new State(Trees.rebuild(params, zs), List.copyOf(master));
    }

    /** {@code State(the parameter shardings shaped like the parameters, [each narrow leaf's sharding, else []])}; nothing scalar. */
    @Override public State stateShardings(Object params, Object paramShardings, NamedSharding scalar) {
        List<NamedSharding> s = Trees.shardings(params, paramShardings, "sgd");
        List<Object> master = Masters.shardings(s, Trees.types(params, "sgd"));
        return new State(Trees.rebuild(params, s), master);
    }

    @Override public Step update(Object params, Object grads, Object state) {
        if (!(state instanceof State s)) throw new IllegalArgumentException("sgd: state is " + state + ", not an Sgd.State");
        List<Tensor> ps = Trees.tensors(params, "params", "sgd"), gs = Trees.tensors(grads, "grads", "sgd");
        List<Tensor> vs = Trees.tensors(s.velocity(), "state", "sgd");
        Trees.checkSame(ps, gs, "sgd");
        if (vs.size() != ps.size()) {
            throw new io.hlo4j.dsl.DslException("sgd", "got " + vs.size() + " velocity leaves for " + ps.size() + " parameters",
                    io.hlo4j.dsl.SourceLoc.here());
        }
        List<?> masters = (List<?>) s.master();
        List<Tensor> np = new ArrayList<>(), nv = new ArrayList<>();
        List<Object> nmaster = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            Tensor p = ps.get(i);
            Tensor w = Masters.working(p, masters.get(i));
            Tensor g = Ops.astype(gs.get(i), w.dtype());
            if (weightDecay != 0) g = Ops.add(g, Ops.mul(w, weightDecay));
            Tensor v = Ops.add(Ops.mul(vs.get(i), momentum), g);
            Tensor nw = Ops.sub(w, Ops.mul(v, lr));
            nv.add(v);
            nmaster.add(Masters.next(p, nw));
            np.add(Masters.param(p, nw));
        }
        return new Step(Trees.rebuild(params, np), new State(Trees.rebuild(s.velocity(), nv), List.copyOf(nmaster)));
    }
}
