package io.hlo4j.dsl.vmap;

import io.hlo4j.dsl.Pytree;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One argument's {@code in_axes} entry matched against the argument's pytree, as JAX matches a tree prefix: an
 * integer (or none) applies to every leaf below it; a map, list or record of entries must have the argument's
 * structure at that place (same keys, same length, same record type) and is matched child by child.
 */
final class InAxes {
    private InAxes() {}

    /** Stands for "not batched" where a null cannot be written ({@code Map.of}, {@code List.of}). */
    static final Object NOT_MAPPED = new Object() {
        @Override public String toString() { return "none"; }
    };

    /** The axis of each leaf of an argument of structure {@code def} (null: unbatched); failures say where they differ. */
    static List<Integer> perLeaf(Object spec, Pytree.Def def) {
        List<Integer> out = new ArrayList<>();
        match(spec, def, "", out);
        return out;
    }

    private static void match(Object spec, Pytree.Def def, String path, List<Integer> out) {
        if (spec == null || spec == NOT_MAPPED || spec instanceof Integer) {
            Integer axis = spec instanceof Integer i ? i : null;
            for (int k = 0; k < def.leafCount(); k++) out.add(axis);
            return;
        }
        String at = path.isEmpty() ? "the argument" : "'" + path + "'";
        String dot = path.isEmpty() ? "" : path + ".";
        switch (spec) {
            case Map<?, ?> m -> {
                if (!(def instanceof Pytree.MapDef md)) throw mismatch(at, "a map", def);
                TreeSet<String> keys = new TreeSet<>();
                for (Object k : m.keySet()) keys.add(String.valueOf(k));
                if (!keys.equals(new TreeSet<>(md.keys()))) {
                    throw new IllegalArgumentException("in_axes at " + at + " has keys " + keys + " but the argument has keys " + md.keys());
                }
                for (int i = 0; i < md.keys().size(); i++) {
                    String key = md.keys().get(i);
                    Object child = null;
                    for (Map.Entry<?, ?> e : m.entrySet()) if (String.valueOf(e.getKey()).equals(key)) child = e.getValue();
                    match(child, md.children().get(i), dot + key, out);
                }
            }
            case List<?> l -> {
                if (!(def instanceof Pytree.ListDef ld)) throw mismatch(at, "a list", def);
                if (l.size() != ld.children().size()) {
                    throw new IllegalArgumentException("in_axes at " + at + " is a list of " + l.size() + " but the argument has "
                            + ld.children().size() + " elements");
                }
                for (int i = 0; i < l.size(); i++) match(l.get(i), ld.children().get(i), dot + i, out);
            }
            case Record r -> {
                if (!(def instanceof Pytree.RecordDef rd) || rd.type() != r.getClass()) throw mismatch(at, "a " + r.getClass().getSimpleName(), def);
                RecordComponent[] comps = r.getClass().getRecordComponents();
                // the entries are the record's components: flattened one level, each value below the record a leaf
                // (Pytree reads them, refusing a record of a package not opened to hlo4j with the opens line it needs)
                List<Object> entries = new ArrayList<>();
                Pytree.flatten(r, entries, o -> o != r);
                for (int i = 0; i < comps.length; i++) {
                    match(entries.get(i), rd.children().get(i), dot + comps[i].getName(), out);
                }
            }
            default -> throw new IllegalArgumentException("in_axes at " + at + " is " + spec + " (" + spec.getClass().getSimpleName()
                    + "); an entry is an Integer, null / Vmap.NOT_MAPPED, or a map, list or record of entries");
        }
    }

    private static IllegalArgumentException mismatch(String at, String what, Pytree.Def def) {
        String has = switch (def) {
            case Pytree.Leaf l -> "a tensor";
            case Pytree.ListDef l -> "a list";
            case Pytree.MapDef m -> "a map with keys " + m.keys();
            case Pytree.RecordDef r -> "a record " + r.type().getSimpleName();
        };
        return new IllegalArgumentException("in_axes at " + at + " is " + what + " but the argument there is " + has);
    }
}
