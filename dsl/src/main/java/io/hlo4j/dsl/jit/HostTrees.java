package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checked views of a call's result pytree, so user code needs no unchecked cast: a flat map of named arrays
 * (a state dict, a gradient of one) or a flat list of arrays. A result of another shape is refused by name.
 */
public final class HostTrees {
    private HostTrees() {}

    /** {@code tree} as a {@code Map<String, HostArray>} (same order), or an error naming {@code who} and what it is. */
    public static Map<String, HostArray> map(String who, Object tree) {
        if (!(tree instanceof Map<?, ?> m)) throw new DslException(who, "expected a map of name -> array, got " + describe(tree), SourceLoc.here());
        Map<String, HostArray> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof HostArray h)) {
                throw new DslException(who, "expected a map of name -> array, but entry " + e.getKey() + " holds " + describe(e.getValue()),
                        SourceLoc.here());
            }
            out.put(k, h);
        }
        return out;
    }

    /** {@code tree} as a {@code List<HostArray>}, or an error naming {@code who} and what it is. */
    public static List<HostArray> list(String who, Object tree) {
        if (!(tree instanceof List<?> l)) throw new DslException(who, "expected a list of arrays, got " + describe(tree), SourceLoc.here());
        List<HostArray> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof HostArray h)) throw new DslException(who, "expected a list of arrays, but item #" + i + " is " + describe(l.get(i)), SourceLoc.here());
            out.add(h);
        }
        return out;
    }

    /**
     * Refuses, before anything runs, a result structure whose arrays cannot be put back where the traced tensors were: a
     * record component declared {@code Tensor} (the natural way to write a result record) cannot hold a
     * {@code HostArray}. Names the record, the component and its declared type; {@code who} is the call the user made.
     */
    public static void checkRebuildable(Pytree.Def def, String who) {
        switch (def) {
            case Pytree.Leaf l -> { }
            case Pytree.ListDef l -> l.children().forEach(c -> checkRebuildable(c, who));
            case Pytree.MapDef m -> m.children().forEach(c -> checkRebuildable(c, who));
            case Pytree.RecordDef r -> {
                java.lang.reflect.RecordComponent[] comps = r.type().getRecordComponents();
                for (int i = 0; i < comps.length; i++) {
                    Pytree.Def c = r.children().get(i);
                    if (c instanceof Pytree.Leaf && !comps[i].getType().isAssignableFrom(HostArray.class)) {
                        throw new DslException(who, "the result record " + r.type().getSimpleName() + " cannot hold the host arrays: its component "
                                + comps[i].getName() + " is declared " + comps[i].getType().getSimpleName() + "; declare it Object (or return a "
                                + "List or Map) to get the arrays back in the record", SourceLoc.here());
                    }
                    checkRebuildable(c, who);
                }
            }
        }
    }

    static String describe(Object o) {
        return switch (o) {
            case null -> "null";
            case HostArray h -> "one array " + h.type();
            case io.hlo4j.dsl.Tensor t -> t.describe();
            case List<?> l -> "a list of " + l.size();
            case Map<?, ?> m -> "a map with keys " + new java.util.TreeSet<>(m.keySet().stream().map(String::valueOf).toList());
            default -> "a " + o.getClass().getSimpleName();
        };
    }

    /**
     * Refuses a null anywhere in {@code args}, naming its path ({@code args[0].b1}) before flattening would fail on it
     * without one. {@code what} says what to pass instead. Other malformed trees are left to the caller's flatten.
     */
    static void requireNoNulls(String op, String fn, Object[] args, String what, io.hlo4j.mlir.ir.Location loc) {
        if (args == null) throw refusal(op, "the argument array of " + fn + " is null (" + what + ")", loc);
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def;
        try {
            def = Pytree.flatten(java.util.Arrays.asList(args), leaves, java.util.Objects::isNull);
        } catch (IllegalArgumentException e) {
            return;
        }
        List<String> paths = Pytree.paths(def);
        for (int i = 0; i < leaves.size(); i++) {
            if (leaves.get(i) == null) {
                throw refusal(op, "argument " + argPath(paths.get(i)) + " of " + fn + " is null (" + what + ")", loc);
            }
        }
    }

    /** A call's refusal is a {@link CallArgumentException}; a trace's, a plain DslException of its op. */
    private static DslException refusal(String op, String message, io.hlo4j.mlir.ir.Location loc) {
        return op.equals("call") ? new CallArgumentException(message, loc) : new DslException(op, message, loc);
    }

    /** A leaf path of the argument list as the user writes it: {@code 0.w1} is {@code args[0].w1}. */
    static String argPath(String path) { return path.replaceFirst("^(\\d+)", "args[$1]"); }
}
