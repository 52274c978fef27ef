package io.hlo4j.mlir.dialect.sdy;

import java.util.List;

/**
 * How one tensor dimension is sharded: the axes it is split over (major to minor), whether it is closed
 * ({@code {"x"}}) or open to further sharding by propagation ({@code {"x", ?}}), and an optional user
 * priority ({@code {"x"}p1}; null when absent).
 */
public record DimensionSharding(List<AxisRef> axes, boolean closed, Long priority) {
    public DimensionSharding { axes = List.copyOf(axes); }

    public static DimensionSharding closedOn(AxisRef... axes) { return new DimensionSharding(List.of(axes), true, null); }
    public static DimensionSharding openOn(AxisRef... axes) { return new DimensionSharding(List.of(axes), false, null); }

    public List<String> axisNames() { return axes.stream().map(AxisRef::name).toList(); }

    /** Product of the axis sizes: how many shards this dimension is split into. */
    public long shardCount(MeshAttr mesh) {
        long n = 1;
        for (AxisRef a : axes) n = Math.multiplyExact(n, a.size(mesh));
        return n;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : ", ").append(axes.get(i));
        if (!closed) sb.append(axes.isEmpty() ? "?" : ", ?");
        sb.append('}');
        if (priority != null) sb.append('p').append(priority);
        return sb.toString();
    }
}
