package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;

/**
 * SGD with (heavy-ball) momentum and optional L2 weight decay, in PyTorch's form:
 * {@code g' = g + wd*p; v = momentum*v + g'; p = p - lr*v}. The state is the velocity tree (zeros at first).
 */
public record Sgd(double lr, double momentum, double weightDecay) implements Optimizer {
    public Sgd {
        if (!(lr > 0) || momentum < 0 || momentum >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("sgd: need lr > 0, 0 <= momentum < 1, weightDecay >= 0; got " + lr + ", " + momentum + ", " + weightDecay);
        }
    }

    public static Sgd of(double lr, double momentum) { return new Sgd(lr, momentum, 0); }

    @Override public Object init(Object params) {
        List<HostArray> zs = new ArrayList<>();
        for (HostArray p : Trees.hosts(params, "sgd")) zs.add(HostArray.zeros(p.type()));
        return Trees.rebuild(params, zs);
    }

    @Override public Step update(Object params, Object grads, Object state) {
        List<Tensor> ps = Trees.tensors(params, "params", "sgd"), gs = Trees.tensors(grads, "grads", "sgd");
        List<Tensor> vs = Trees.tensors(state, "state", "sgd");
        Trees.checkSame(ps, gs, "sgd");
        Trees.checkSame(ps, vs, "sgd");
        List<Tensor> np = new ArrayList<>(), nv = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            Tensor g = weightDecay == 0 ? gs.get(i) : Ops.add(gs.get(i), Ops.mul(ps.get(i), weightDecay));
            Tensor v = Ops.add(Ops.mul(vs.get(i), momentum), g);
            nv.add(v);
            np.add(Ops.sub(ps.get(i), Ops.mul(v, lr)));
        }
        return new Step(Trees.rebuild(params, np), Trees.rebuild(state, nv));
    }
}
