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

    /** The parameters' shardings, one per leaf of {@code params()} in its flattening order (null: unannotated), each checked. */
    static List<NamedSharding> params(Example e, Mesh mesh) {
        if (ownModel(e)) return ShardedJit.flat(Example.paramShardingTree(e, mesh));
        String who = e.getClass().getName() + ".paramShardings(mesh)";
        Object tree = Example.paramShardingTree(e, mesh);
        List<Object> values = new ArrayList<>(), shardings = new ArrayList<>();
        Pytree.Def vd = Pytree.flatten(e.params(), values);
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

    /** The batch's shardings, one per leaf of {@code batch()}, each checked. */
    static List<NamedSharding> batch(Example e, Mesh mesh) {
        if (ownModel(e)) return e.batchShardings(mesh);
        String who = e.getClass().getName() + ".batchShardings(mesh)";
        List<Object> values = Pytree.leaves(e.batch());
        List<NamedSharding> s = e.batchShardings(mesh);
        if (s == null || s.size() != values.size()) {
            throw new ShardingException(who + " must give one sharding per leaf of batch() (" + values.size() + "), got "
                    + (s == null ? "null" : s.size()));
        }
        List<NamedSharding> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) out.add(leaf(who, "batch leaf " + i, values.get(i), s.get(i)));
        return out;
    }

    /** hlo4j's own models (examples, dump's built-ins): their shardings are tested with them, and their errors name the built-in. */
    private static boolean ownModel(Example e) { return e.getClass().getName().startsWith("io.hlo4j."); }

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
