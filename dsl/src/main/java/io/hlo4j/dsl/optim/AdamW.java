package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * AdamW (decoupled weight decay): {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p = p - lr * (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd p)}. Parameters narrower than f32 (bf16, f16) keep an
 * f32 master copy in the state: the update runs on the master, moments are f32, and the parameter is the master
 * rounded back, so small updates accumulate instead of vanishing in bf16's 8-bit mantissa.
 * {@code decayMask} (optax's {@code mask}) picks by leaf path ({@link Pytree#paths}, e.g. {@code layer0.b}) the
 * parameters that decay; by default all do.
 */
public record AdamW(double lr, double beta1, double beta2, double eps, double weightDecay, Predicate<String> decayMask) implements Optimizer {
    /** Every parameter decays, as PyTorch's AdamW. */
    public static final Predicate<String> DECAY_ALL = name -> true;

    public AdamW(double lr, double beta1, double beta2, double eps, double weightDecay) { this(lr, beta1, beta2, eps, weightDecay, DECAY_ALL); }

    public AdamW {
        java.util.Objects.requireNonNull(decayMask, "adamw: decayMask (use AdamW.DECAY_ALL for every parameter)");
        if (!(lr > 0) || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || !(eps > 0) || weightDecay < 0) {
            throw new IllegalArgumentException("adamw: bad hyper-parameters lr=" + lr + " b1=" + beta1 + " b2=" + beta2 + " eps=" + eps
                    + " wd=" + weightDecay);
        }
    }

    public static AdamW of(double lr) { return new AdamW(lr, 0.9, 0.999, 1e-8, 0.01); }

    /** The same optimiser decaying only the parameters whose path {@code decays} accepts, e.g. {@code n -> !n.endsWith(".b")}. */
    public AdamW withDecayMask(Predicate<String> decays) { return new AdamW(lr, beta1, beta2, eps, weightDecay, decays); }

    /**
     * The state: step count (i32 scalar), first and second moments per parameter leaf, and per leaf an f32 master copy
     * for narrow parameters or an empty list (no leaves) for the others.
     */
    public record State(Object count, Object mu, Object nu, Object master) {}

    @Override public Object init(Object params) {
        List<HostArray> ps = Trees.hosts(params, "adamw");
        List<Object> mu = new ArrayList<>(), master = new ArrayList<>();
        for (HostArray p : ps) {
            mu.add(HostArray.zeros(Masters.stateType(p.type())));
            master.add(Masters.initial(p));
        }
        HostArray count = HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I32), 0);
        return new State(count, List.copyOf(mu), List.copyOf(mu), List.copyOf(master));
    }

    /** {@code State(scalar, [sharding of each parameter leaf], the same, [each narrow leaf's sharding, else []])}. */
    @Override public State stateShardings(Object params, Object paramShardings, NamedSharding scalar) {
        List<NamedSharding> s = Trees.shardings(params, paramShardings, "adamw");
        List<Object> master = Masters.shardings(s, Trees.types(params, "adamw"));
        return new State(scalar, Collections.unmodifiableList(new ArrayList<>(s)), Collections.unmodifiableList(new ArrayList<>(s)),
                master);
    }

    @Override public Step update(Object params, Object grads, Object state) {
        if (!(state instanceof State s)) throw new IllegalArgumentException("adamw: state is " + state + ", not an AdamW.State");
        List<String> names = Pytree.paths(Pytree.flatten(params, new ArrayList<>()));
        List<Tensor> ps = Trees.tensors(params, "params", "adamw"), gs = Trees.tensors(grads, "grads", "adamw");
        Trees.checkSame(ps, gs, "adamw");
        List<Tensor> mus = Trees.tensors(s.mu(), "mu", "adamw"), nus = Trees.tensors(s.nu(), "nu", "adamw");
        List<?> masters = (List<?>) s.master();
        Tensor t = Ops.add((Tensor) s.count(), Ops.scalar(1, DType.I32));
        Tensor tf = Ops.astype(t, DType.F32);
        // Bias corrections in f32: 1 - beta^t.
        Tensor c1 = Ops.sub(1.0, Ops.pow(Ops.scalar(beta1, DType.F32), tf));
        Tensor c2 = Ops.sub(1.0, Ops.pow(Ops.scalar(beta2, DType.F32), tf));
        List<Tensor> np = new ArrayList<>(), nm = new ArrayList<>(), nv = new ArrayList<>();
        List<Object> nmaster = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            Tensor p = ps.get(i);
            Tensor w = Masters.working(p, masters.get(i));
            DType wd = w.dtype();
            Tensor g = Ops.astype(gs.get(i), wd);
            Tensor m = Ops.add(Ops.mul(mus.get(i), beta1), Ops.mul(g, 1 - beta1));
            Tensor v = Ops.add(Ops.mul(nus.get(i), beta2), Ops.mul(Ops.square(g), 1 - beta2));
            Tensor mhat = Ops.div(m, Ops.broadcastTo(Ops.astype(c1, wd), w.dims()));
            Tensor vhat = Ops.div(v, Ops.broadcastTo(Ops.astype(c2, wd), w.dims()));
            Tensor step = Ops.div(mhat, Ops.add(Ops.sqrt(vhat), eps));
            Tensor upd = decayMask.test(names.get(i)) ? Ops.add(step, Ops.mul(w, weightDecay)) : step;
            Tensor nw = Ops.sub(w, Ops.mul(upd, lr));
            nm.add(m);
            nv.add(v);
            nmaster.add(Masters.next(p, nw));
            np.add(Masters.param(p, nw));
        }
        return new Step(Trees.rebuild(params, np), new State(t, List.copyOf(nm), List.copyOf(nv), List.copyOf(nmaster)));
    }

}
