package io.hlo4j.dsl.moe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A JAX-style partition spec: per tensor dimension, the mesh axes it is split over (empty = replicated,
 * JAX's None; one axis; or several axes, major first). A small value type for the MoE specs until the
 * sharding package provides one.
 */
public record PartitionSpec(List<List<String>> dims) {
    public PartitionSpec {
        dims = dims.stream().map(List::copyOf).toList();
        for (List<String> d : dims) {
            for (String a : d) {
                if (a == null || a.isEmpty()) throw new MoeException("PartitionSpec: empty axis name in " + dims);
            }
        }
    }

    /**
     * Builds a spec from per-dimension entries: {@code null} (replicated), a {@code String} axis, or a
     * {@code String[]} / {@code List<String>} of axes.
     */
    public static PartitionSpec of(Object... entries) {
        List<List<String>> dims = new ArrayList<>();
        for (Object e : entries) {
            switch (e) {
                case null -> dims.add(List.of());
                case String s -> dims.add(List.of(s));
                case String[] a -> dims.add(List.of(a));
                case List<?> l -> dims.add(l.stream().map(String.class::cast).toList());
                default -> throw new MoeException(
                        "PartitionSpec.of: entry " + e + " is not null, an axis name or axes");
            }
        }
        return new PartitionSpec(dims);
    }

    public int rank() { return dims.size(); }

    public List<String> dim(int i) { return dims.get(i); }

    /** JAX's repr: {@code P('ep', None, 'tp')}, {@code P(('ep', 'sp', 'fsdp'), 'tp')}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("P(");
        for (int i = 0; i < dims.size(); i++) {
            if (i > 0) sb.append(", ");
            List<String> d = dims.get(i);
            if (d.isEmpty()) sb.append("None");
            else if (d.size() == 1) sb.append('\'').append(d.getFirst()).append('\'');
            else sb.append(Arrays.toString(d.stream().map(a -> "'" + a + "'").toArray())
                    .replace('[', '(').replace(']', ')'));
        }
        return sb.append(')').toString();
    }
}
