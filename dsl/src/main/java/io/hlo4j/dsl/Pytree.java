package io.hlo4j.dsl;

import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Nested containers of leaves: records (by component), lists and maps (by sorted key). {@link #flatten} gives the
 * leaves in a fixed order plus a {@link Def} that {@link #unflatten} rebuilds the same structure from. Anything
 * that is not a container is a leaf (tensors, host arrays, specs).
 */
public final class Pytree {
    private Pytree() {}

    /** The structure of a tree, comparable for caching. */
    public sealed interface Def {
        int leafCount();
    }

    public record Leaf() implements Def {
        @Override public int leafCount() { return 1; }
    }

    public record ListDef(List<Def> children) implements Def {
        @Override public int leafCount() { return children.stream().mapToInt(Def::leafCount).sum(); }
    }

    public record MapDef(List<String> keys, List<Def> children) implements Def {
        @Override public int leafCount() { return children.stream().mapToInt(Def::leafCount).sum(); }
    }

    public record RecordDef(Class<?> type, List<Def> children) implements Def {
        @Override public int leafCount() { return children.stream().mapToInt(Def::leafCount).sum(); }
    }

    public static Def flatten(Object tree, List<Object> leaves) { return flatten(tree, leaves, o -> false); }

    /**
     * As {@link #flatten}, with {@code isLeaf} naming further leaves (tested first, null included), as JAX's
     * {@code is_leaf}: a tree of shardings keeps each {@code NamedSharding} record (and null) as one leaf.
     */
    public static Def flatten(Object tree, List<Object> leaves, java.util.function.Predicate<Object> isLeaf) {
        if (isLeaf.test(tree)) {
            leaves.add(tree);
            return new Leaf();
        }
        if (tree == null) throw new IllegalArgumentException("null is not a pytree leaf");
        if (tree instanceof List<?> l) {
            List<Def> cs = new ArrayList<>();
            for (Object o : l) cs.add(flatten(o, leaves, isLeaf));
            return new ListDef(List.copyOf(cs));
        }
        if (tree instanceof Map<?, ?> m) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) sorted.put(String.valueOf(e.getKey()), e.getValue());
            List<Def> cs = new ArrayList<>();
            for (Object o : sorted.values()) cs.add(flatten(o, leaves, isLeaf));
            return new MapDef(List.copyOf(sorted.keySet()), List.copyOf(cs));
        }
        if (tree instanceof Record r && !(tree instanceof Spec) && !(tree instanceof Shape)) {
            List<Def> cs = new ArrayList<>();
            for (RecordComponent c : r.getClass().getRecordComponents()) cs.add(flatten(component(r, c), leaves, isLeaf));
            return new RecordDef(r.getClass(), List.copyOf(cs));
        }
        leaves.add(tree);
        return new Leaf();
    }

    public static Object unflatten(Def def, Iterator<?> leaves) {
        return switch (def) {
            case Leaf l -> leaves.next();
            case ListDef l -> {
                List<Object> out = new ArrayList<>();
                for (Def c : l.children()) out.add(unflatten(c, leaves));
                yield java.util.Collections.unmodifiableList(out);
            }
            case MapDef m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < m.keys().size(); i++) out.put(m.keys().get(i), unflatten(m.children().get(i), leaves));
                yield java.util.Collections.unmodifiableMap(out);
            }
            case RecordDef r -> {
                RecordComponent[] comps = r.type().getRecordComponents();
                Object[] args = new Object[comps.length];
                Class<?>[] types = new Class<?>[comps.length];
                for (int i = 0; i < comps.length; i++) {
                    args[i] = unflatten(r.children().get(i), leaves);
                    types[i] = comps[i].getType();
                    // the same tree holds Specs, then Tensors, then HostArrays: a component must be able to hold each
                    if (args[i] != null && !types[i].isPrimitive() && !types[i].isInstance(args[i])) {
                        throw new IllegalArgumentException("record " + r.type().getSimpleName() + " cannot hold " + kind(args[i])
                                + " in its component " + comps[i].getName() + ", declared " + comps[i].getGenericType().getTypeName()
                                + ": " + advice(r.type(), comps[i], args[i]));
                    }
                }
                try {
                    Constructor<?> c = r.type().getDeclaredConstructor(types);
                    open(c, r.type());
                    yield c.newInstance(args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    // the record's own constructor threw (a compact constructor's check): its message, not the wrapper's
                    Throwable c = e.getCause();
                    throw new IllegalArgumentException("cannot rebuild record " + r.type().getName() + ": its constructor threw "
                            + c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage()), c);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalArgumentException("cannot rebuild record " + r.type().getName() + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /**
     * Component {@code c} of record {@code r}, read reflectively (the record need not be public). A record of a named
     * module's package that is neither exported (for a public record) nor opened to hlo4j is refused with the line that
     * module's {@code module-info.java} needs, not the JDK's {@code InaccessibleObjectException}.
     */
    private static Object component(Record r, RecordComponent c) {
        Method accessor = c.getAccessor();
        open(accessor, r.getClass());
        try {
            return accessor.invoke(r);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            throw new IllegalArgumentException("cannot read component " + c.getName() + " of " + r.getClass().getName()
                    + ": its accessor threw " + t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()), t);
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("cannot read component " + c.getName() + " of " + r.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    private static void open(AccessibleObject member, Class<?> record) {
        if (member.trySetAccessible()) return;
        String pkg = record.getPackageName(), hlo4j = Pytree.class.getModule().getName();
        throw new IllegalArgumentException("cannot read record " + record.getName() + ": module " + record.getModule().getName()
                + " does not open package " + pkg + " to " + hlo4j + " (hlo4j reads and rebuilds a record's components"
                + " reflectively); add `opens " + pkg + " to " + hlo4j + ";` to its module-info.java");
    }

    /**
     * The path of each leaf, in leaf order: map keys, list indices and record component names joined by {@code .}
     * ({@code layer0.w} in a flat state dict, {@code mu.0} in a record holding a list); {@code ""} for a bare leaf.
     */
    public static List<String> paths(Def def) {
        List<String> out = new ArrayList<>();
        paths(def, "", out);
        return out;
    }

    private static void paths(Def def, String prefix, List<String> out) {
        String dot = prefix.isEmpty() ? "" : prefix + ".";
        switch (def) {
            case Leaf l -> out.add(prefix);
            case ListDef l -> { for (int i = 0; i < l.children().size(); i++) paths(l.children().get(i), dot + i, out); }
            case MapDef m -> { for (int i = 0; i < m.keys().size(); i++) paths(m.children().get(i), dot + m.keys().get(i), out); }
            case RecordDef r -> {
                RecordComponent[] comps = r.type().getRecordComponents();
                for (int i = 0; i < comps.length; i++) paths(r.children().get(i), dot + comps[i].getName(), out);
            }
        }
    }

    /**
     * What would let component {@code c} hold {@code v}: a leaf goes in a type parameter ({@code record Mlp<T>(T w, ...)})
     * or an {@code Object} component; a container (a list, a map, a record) in a component of its own kind, whose leaves
     * the rebuilt tree replaces ({@code List<T>}, {@code Map<String, T>}, {@code Inner<T>}).
     */
    private static String advice(Class<?> type, RecordComponent c, Object v) {
        String holder = switch (v) {
            case List<?> l -> "lists are rebuilt as unmodifiable Lists, declare it List<T> (or Collection<T>, Object)";
            case Map<?, ?> m -> "maps are rebuilt as unmodifiable Maps, declare it Map<String, T> (or Object)";
            case Record r -> "declare it " + r.getClass().getSimpleName() + "<T> (or Object)";
            default -> "make the record generic in its leaves (record " + type.getSimpleName() + "<T>(T " + c.getName()
                    + ", ...)) or declare the component Object";
        };
        return holder;
    }

    /** What a leaf is, for messages: {@code a Tensor}, {@code a HostArray}, ... */
    private static String kind(Object o) {
        return switch (o) {
            case null -> "null";
            case List<?> l -> "a list";
            case Map<?, ?> m -> "a map";
            default -> "a " + o.getClass().getSimpleName();
        };
    }

    /**
     * Where {@code got} first differs from {@code want}, as {@code root.path: want ..., got ...}, or null when they have
     * the same structure; {@code root} names the tree ({@code args[0]}).
     */
    public static String firstDifference(Def want, Def got, String root) {
        String has = describe(want), is = describe(got);
        if (!has.equals(is)) return root + ": expected " + has + ", got " + is;
        // two record classes of one simple name (A.P and B.P) describe alike: name them in full
        if (want instanceof RecordDef w && got instanceof RecordDef g && w.type() != g.type()) {
            return root + ": expected a record " + w.type().getName() + ", got a record " + g.type().getName();
        }
        switch (want) {
            case Leaf l -> { return null; }
            case ListDef l -> {
                for (int i = 0; i < l.children().size(); i++) {
                    String d = firstDifference(l.children().get(i), ((ListDef) got).children().get(i), root + "." + i);
                    if (d != null) return d;
                }
            }
            case MapDef m -> {
                for (int i = 0; i < m.keys().size(); i++) {
                    String d = firstDifference(m.children().get(i), ((MapDef) got).children().get(i), root + "." + m.keys().get(i));
                    if (d != null) return d;
                }
            }
            case RecordDef r -> {
                RecordComponent[] comps = r.type().getRecordComponents();
                for (int i = 0; i < comps.length; i++) {
                    String d = firstDifference(r.children().get(i), ((RecordDef) got).children().get(i), root + "." + comps[i].getName());
                    if (d != null) return d;
                }
            }
        }
        return null;
    }

    /** One level of a structure: a leaf, a list of n, a map with its keys, a record by type. */
    public static String describe(Def d) {
        return switch (d) {
            case Leaf l -> "a leaf";
            case ListDef l -> "a list of " + l.children().size();
            case MapDef m -> "a map with keys " + m.keys();
            case RecordDef r -> "a record " + r.type().getSimpleName();
        };
    }

    public static List<Object> leaves(Object tree) {
        List<Object> l = new ArrayList<>();
        flatten(tree, l);
        return l;
    }
}
