package io.hlo4j.compiler.spmd.partition;

import java.util.List;

/**
 * What the partitioner did not split the way the propagated shardings asked: ops computed on the whole
 * (global) value on every device, and ops computed with fewer shards than their result sharding (their
 * result is then sliced). Each entry names the op, its source location and why.
 */
public record PartitionReport(List<Entry> entries) {
    public PartitionReport { entries = List.copyOf(entries); }

    public enum Kind {
        /** Operands gathered to replicated, the op computed globally, the result sliced to its sharding. */
        COMPUTED_REPLICATED,
        /** Computed on local blocks, but some result axes could not be used by the op's rule. */
        COMPUTED_LESS_SHARDED,
        /** A value moved between two meshes whose axes do not correspond: gathered whole on one, sliced on the other. */
        CROSS_MESH_GATHERED,
        /** A value moved between two meshes whose axes do not correspond by a cross-mesh plan (its steps and bytes in {@code why}). */
        CROSS_MESH_PLANNED
    }

    /** One op: its name, where it came from ({@code Location.describe()}) and why. */
    public record Entry(Kind kind, String op, String location, String why) {
        @Override public String toString() { return kind + " " + op + " at " + location + ": " + why; }
    }

    public List<Entry> replicated() { return entries.stream().filter(e -> e.kind == Kind.COMPUTED_REPLICATED).toList(); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) sb.append(e).append('\n');
        return sb.toString();
    }
}
