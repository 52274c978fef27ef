package io.hlo4j.dsl.optim;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;

/** Leaf-wise helpers over parameter trees for the optimisers. */
final class Trees {
    private Trees() {}

    static List<Tensor> tensors(Object tree, String what, String op) {
        List<Tensor> out = new ArrayList<>();
        for (Object o : Pytree.leaves(tree)) {
            if (!(o instanceof Tensor t)) throw new DslException(op, what + " has a non-tensor leaf " + o, SourceLoc.here());
            out.add(t);
        }
        return out;
    }

    static List<HostArray> hosts(Object tree, String op) {
        List<HostArray> out = new ArrayList<>();
        for (Object o : Pytree.leaves(tree)) {
            if (!(o instanceof HostArray h)) throw new IllegalArgumentException(op + ".init: parameter leaf " + o + " is not a HostArray");
            out.add(h);
        }
        return out;
    }

    /** Refuses gradients whose structure or leaf types differ from the parameters'. */
    static void checkSame(List<Tensor> params, List<Tensor> grads, String op) {
        if (params.size() != grads.size()) {
            throw new DslException(op, "got " + grads.size() + " gradient leaves for " + params.size() + " parameters", SourceLoc.here());
        }
        for (int i = 0; i < params.size(); i++) {
            if (!params.get(i).type().equals(grads.get(i).type())) {
                throw new DslException(op, "gradient leaf #" + i + " is " + grads.get(i).describe() + " but its parameter is "
                        + params.get(i).describe(), SourceLoc.here());
            }
        }
    }

    /**
     * One sharding per parameter leaf, from a sharding tree shaped like the parameters (leaves NamedSharding or null);
     * a count that differs is refused with both counts, and a tree whose leaf paths differ (a mistyped key) with the
     * first path that differs: matching by position alone would give a parameter its neighbour's sharding.
     * {@code params}' leaves are host arrays or specs.
     */
    static List<NamedSharding> shardings(Object params, Object paramShardings, String op) {
        List<TensorType> types = types(params, op);
        List<NamedSharding> s = ShardedJit.flat(paramShardings);
        if (s.size() != types.size()) {
            throw new DslException(op, "stateShardings: " + s.size() + " parameter shardings for " + types.size()
                    + " parameter leaves; give a sharding tree shaped like the parameters", SourceLoc.here());
        }
        List<String> want = Pytree.paths(Pytree.flatten(params, new ArrayList<>()));
        List<String> got = Pytree.paths(Pytree.flatten(paramShardings, new ArrayList<>(), o -> o == null || o instanceof NamedSharding));
        for (int i = 0; i < want.size(); i++) {
            if (!want.get(i).equals(got.get(i))) {
                throw new DslException(op, "stateShardings: parameter leaf #" + i + " is '" + want.get(i) + "' but the sharding tree has '"
                        + got.get(i) + "' there; give a sharding tree with the parameters' keys", SourceLoc.here());
            }
        }
        return s;
    }

    /** The types of the parameter leaves (host arrays or specs). */
    static List<TensorType> types(Object params, String op) {
        List<TensorType> out = new ArrayList<>();
        for (Object o : Pytree.leaves(params)) {
            if (o instanceof HostArray h) out.add(h.type());
            else if (o instanceof Spec sp) out.add(sp.tensorType());
            else throw new DslException(op, "stateShardings: parameter leaf " + o + " is neither a HostArray nor a Spec", SourceLoc.here());
        }
        return out;
    }

    static Object rebuild(Object like, List<?> leaves) { return Pytree.unflatten(Pytree.flatten(like, new ArrayList<>()), leaves.iterator()); }
}
