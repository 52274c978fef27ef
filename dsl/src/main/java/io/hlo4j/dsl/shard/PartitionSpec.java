package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How each dimension of a tensor is split over mesh axes, as JAX's {@code P(...)}: per dimension nothing
 * (replicated), one axis, or several axes (major to minor). Dimensions past the listed ones are replicated.
 * An axis may shard at most one dimension, once.
 */
public final class PartitionSpec {
    private final List<List<String>> dims;

    private PartitionSpec(List<List<String>> dims) {
        Set<String> used = new HashSet<>();
        List<List<String>> copy = new ArrayList<>();
        for (int d = 0; d < dims.size(); d++) {
            List<String> axes = dims.get(d) == null ? List.of() : List.copyOf(dims.get(d));
            for (String a : axes) {
                if (a == null || a.isEmpty()) throw fail("dimension " + d + " names an empty mesh axis in " + show(dims));
                if (!used.add(a)) throw fail("mesh axis \"" + a + "\" is used twice in " + show(dims) + " (an axis can split one dimension once)");
            }
            copy.add(axes);
        }
        this.dims = List.copyOf(copy);
    }

    /**
     * {@code P(entries...)}: each entry is {@code null} (replicated), a {@code String} axis, or a
     * {@code String[]} / {@code List<String>} of axes, major to minor.
     */
    public static PartitionSpec of(Object... entries) {
        List<List<String>> dims = new ArrayList<>();
        for (int d = 0; d < entries.length; d++) {
            Object e = entries[d];
            switch (e) {
                case null -> dims.add(List.of());
                case String s -> dims.add(List.of(s));
                case String[] ss -> dims.add(List.of(ss));
                case List<?> l -> {
                    List<String> axes = new ArrayList<>();
                    for (Object o : l) {
                        if (!(o instanceof String s)) throw fail("dimension " + d + " lists " + o + ", not a mesh axis name");
                        axes.add(s);
                    }
                    dims.add(axes);
                }
                default -> throw fail("dimension " + d + " is " + e + " (" + e.getClass().getSimpleName()
                        + "); use null, an axis name, or an array/list of axis names");
            }
        }
        return new PartitionSpec(dims);
    }

    /** Fully replicated (every dimension unsharded). */
    public static PartitionSpec replicated() { return new PartitionSpec(List.of()); }

    public static PartitionSpec ofAxes(List<List<String>> dims) { return new PartitionSpec(dims); }

    /** Number of listed dimensions (may be less than the tensor rank). */
    public int length() { return dims.size(); }

    /** The axes of dimension {@code d} (empty when replicated or past the listed ones). */
    public List<String> axes(int d) { return d < dims.size() ? dims.get(d) : List.of(); }

    public List<List<String>> dims() { return dims; }

    /** Every axis the spec uses, in dimension order. */
    public List<String> usedAxes() {
        List<String> all = new ArrayList<>();
        for (List<String> d : dims) all.addAll(d);
        return all;
    }

    static DslException fail(String message) { return new DslException("PartitionSpec", message, SourceLoc.here()); }

    static String show(List<List<String>> dims) {
        StringBuilder sb = new StringBuilder("P(");
        for (int i = 0; i < dims.size(); i++) {
            List<String> a = dims.get(i);
            sb.append(i == 0 ? "" : ", ");
            if (a == null || a.isEmpty()) sb.append("None");
            else if (a.size() == 1) sb.append(a.get(0));
            else sb.append('(').append(String.join(", ", a)).append(')');
        }
        return sb.append(')').toString();
    }

    @Override public String toString() { return show(dims); }
    @Override public boolean equals(Object o) { return o instanceof PartitionSpec p && trimmed().equals(p.trimmed()); }
    @Override public int hashCode() { return trimmed().hashCode(); }

    /** Without trailing replicated dimensions: {@code P(x, None)} equals {@code P(x)}. */
    private List<List<String>> trimmed() {
        int n = dims.size();
        while (n > 0 && dims.get(n - 1).isEmpty()) n--;
        return dims.subList(0, n);
    }
}
