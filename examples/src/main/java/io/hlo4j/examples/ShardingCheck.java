package io.hlo4j.examples;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A model's {@link Example#paramShardings} and {@link Example#batchShardings} checked against its parameters and batch
 * as soon as they are returned, so that a sharding that does not fit is reported as the model's value (which leaf, its
 * shape, the sharding, the mesh axes that do not divide) rather than surfacing later inside hlo4j's own tracing code.
 */
final class ShardingCheck {
    private ShardingCheck() {}

    /** A sharding the model returned that does not fit its parameters or batch. */
    static final class ShardingException extends Training.RefusedValueException {
        ShardingException(String message) { super(message); }
    }

    /**
     * The shardings of {@code params} (the model's {@code params()}, asked once by the caller), one per leaf in its
     * flattening order (null: unannotated), each checked unless the model is a {@link BundledModel}.
     */
    static List<NamedSharding> params(Example e, Mesh mesh, Object params) {
        Object tree = paramTree(e, mesh, params);
        if (e instanceof BundledModel) return ShardedJit.flat(tree);
        String who = e.getClass().getName() + ".paramShardings(mesh)";
        List<Object> values = new ArrayList<>(), shardings = new ArrayList<>();
        Pytree.Def vd = Pytree.flatten(params, values);
        Pytree.Def sd;
        try {
            sd = Pytree.flatten(tree, shardings, o -> o == null || o instanceof NamedSharding);
        } catch (IllegalArgumentException x) {
            throw new ShardingException(who + " is not a tree of NamedShardings: " + x.getMessage());
        }
        String diff = Pytree.firstDifference(vd, sd, "params");
        if (diff != null) throw new ShardingException(who + " must be shaped like params(): " + diff);
        List<String> paths = Pytree.paths(vd);
        List<NamedSharding> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            String at = paths.get(i).isEmpty() ? "params" : "params." + paths.get(i);
            out.add(leaf(who, at, values.get(i), shardings.get(i)));
        }
        return out;
    }

    /** The shardings of {@code batch} (the model's {@code batch()}, asked once by the caller), one per leaf, each checked unless the model is a {@link BundledModel}. */
    static List<NamedSharding> batch(Example e, Mesh mesh, List<Object> batch) {
        List<NamedSharding> s = batchShardings(e, mesh, batch);
        if (e instanceof BundledModel) return s;
        String who = e.getClass().getName() + ".batchShardings(mesh)";
        List<Object> values = Pytree.leaves(batch);
        if (s == null || s.size() != values.size()) {
            throw new ShardingException(who + " must give one sharding per leaf of batch() (" + values.size() + "), got "
                    + (s == null ? "null" : s.size()));
        }
        List<NamedSharding> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) out.add(leaf(who, "batch leaf " + i, values.get(i), s.get(i)));
        return out;
    }

    /** {@link Example#paramShardings}, or a tree of nulls shaped like {@code params} when the model gives none. */
    static Object paramTree(Example e, Mesh mesh, Object params) {
        Object s = e.paramShardings(mesh);
        if (s != null) return s;
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def = Pytree.flatten(params, leaves);
        return Pytree.unflatten(def, Collections.nCopies(leaves.size(), null).iterator());
    }

    /** {@code leaves} shardings, each split on its first (batch) dimension over {@code (dp, fsdp)}: {@link Example#batchShardings}'s default. */
    static List<NamedSharding> defaultBatch(Mesh mesh, int leaves) {
        return Collections.nCopies(leaves, NamedSharding.of(mesh, (Object) new String[] {"dp", "fsdp"}));
    }

    /**
     * {@link Example#batchShardings} for {@code batch} (the model's {@code batch()}, already asked): a model that does not
     * write its own gets the default's shardings without the default asking for batch() again.
     */
    private static List<NamedSharding> batchShardings(Example e, Mesh mesh, List<Object> batch) {
        boolean own;
        try {
            own = e.getClass().getMethod("batchShardings", Mesh.class).getDeclaringClass() != Example.class;
        } catch (NoSuchMethodException x) {
            own = true;
        }
        return own ? e.batchShardings(mesh) : defaultBatch(mesh, Pytree.leaves(batch).size());
    }

    private static NamedSharding leaf(String who, String at, Object value, Object sharding) {
        if (sharding == null) return null;
        if (!(sharding instanceof NamedSharding n)) {
            throw new ShardingException(who + ": " + at + " has a " + sharding.getClass().getSimpleName() + " (" + sharding
                    + ") where a NamedSharding or null belongs");
        }
        long[] shape = switch (value) {
            case HostArray h -> h.shape();
            case Spec sp -> sp.shape().dims();
            default -> null;
        };
        if (shape == null) return n;   // not an array: jit refuses it by name
        try {
            n.check(shape, at, who);
        } catch (DslException x) {
            throw new ShardingException(x.detail());   // the model's value, not a line of it: no location
        }
        return n;
    }
}
