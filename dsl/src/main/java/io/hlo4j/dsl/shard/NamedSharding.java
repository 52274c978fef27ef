package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link PartitionSpec} on a {@link Mesh}: which block of a global tensor each device holds. Dimension d is
 * cut into {@code prod(sizes of its axes)} equal blocks; a device's block index along d is the row-major
 * linearisation of its coordinates on those axes (first axis major). Axes the spec does not name replicate.
 * A dimension not divisible by its axes is refused (never padded, never silently replicated).
 */
public record NamedSharding(Mesh mesh, PartitionSpec spec) {
    public NamedSharding {
        for (String a : spec.usedAxes()) {
            if (!mesh.hasAxis(a)) {
                throw new DslException("NamedSharding", "spec " + spec + " names unknown mesh axis \"" + a + "\" (mesh axes "
                        + mesh.axisNames() + ")", SourceLoc.here());
            }
        }
    }

    public static NamedSharding of(Mesh mesh, Object... specEntries) { return new NamedSharding(mesh, PartitionSpec.of(specEntries)); }

    /** Number of blocks dimension d is cut into. */
    public int shards(int d) { return mesh.axisSize(spec.axes(d)); }

    /**
     * Checks {@code shape} against the spec, naming {@code tensor} (e.g. "argument #0") in errors: the spec may
     * not list more dimensions than the rank, and each dimension must divide evenly by its axes.
     */
    public void check(long[] shape, String tensor) { check(shape, tensor, "NamedSharding"); }

    /** As {@link #check(long[], String)}, the refusal attributed to {@code op} (the DSL call the user wrote). */
    public void check(long[] shape, String tensor, String op) {
        if (spec.length() > shape.length) {
            throw new DslException(op, tensor + " has shape " + Arrays.toString(shape) + " (rank " + shape.length + ") but spec " + spec
                    + " lists " + spec.length() + " dimensions", SourceLoc.here());
        }
        for (int d = 0; d < shape.length; d++) {
            int n = shards(d);
            if (shape[d] % n != 0) {
                StringBuilder axes = new StringBuilder();
                for (String a : spec.axes(d)) axes.append(axes.isEmpty() ? "" : ", ").append(a).append('=').append(mesh.axisSize(a));
                throw new DslException(op, tensor + " dimension " + d + " of size " + shape[d] + " is not divisible by mesh axes (" + axes
                        + ") with " + n + " shards (spec " + spec + ", shape " + Arrays.toString(shape) + ")", SourceLoc.here());
            }
        }
    }

    /** The per-device (local) shape of a global tensor of {@code shape}. */
    public long[] shardShape(long[] shape) {
        check(shape, "tensor");
        long[] out = shape.clone();
        for (int d = 0; d < shape.length; d++) out[d] = shape[d] / shards(d);
        return out;
    }

    /** The block index along each dimension held by {@code device}. */
    public int[] blockIndex(int device, int rank) {
        int[] c = mesh.coordsOfDevice(device);
        int[] b = new int[rank];
        for (int d = 0; d < rank; d++) {
            int idx = 0;
            for (String a : spec.axes(d)) {
                int ai = mesh.axisIndex(a);
                idx = idx * mesh.sizes()[ai] + c[ai];
            }
            b[d] = idx;
        }
        return b;
    }

    /** The half-open index range {@code [start, end)} per dimension of the global tensor that {@code device} holds. */
    public long[][] indexRanges(int device, long[] shape) {
        long[] local = shardShape(shape);
        int[] b = blockIndex(device, shape.length);
        long[][] r = new long[shape.length][2];
        for (int d = 0; d < shape.length; d++) {
            r[d][0] = b[d] * local[d];
            r[d][1] = r[d][0] + local[d];
        }
        return r;
    }

    /** Mesh axes that do not shard any dimension (the tensor is replicated over them). */
    public List<String> replicatedAxes() {
        List<String> r = new ArrayList<>();
        for (String a : mesh.axisNames()) if (!spec.usedAxes().contains(a)) r.add(a);
        return r;
    }

    /** {@code #sdy.sharding<@mesh, [{"dp"}, {}]>} for a tensor of the given rank: every dimension closed. */
    public TensorSharding toSdy(int rank) {
        if (spec.length() > rank) throw fail("spec " + spec + " lists " + spec.length() + " dimensions but the tensor has rank " + rank);
        List<DimensionSharding> dims = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            List<AxisRef> refs = spec.axes(d).stream().map(AxisRef::of).toList();
            dims.add(new DimensionSharding(refs, true, null));
        }
        return new TensorSharding(mesh.name(), null, dims, List.of(), List.of(), "sum");
    }

    static DslException fail(String message) { return new DslException("NamedSharding", message, SourceLoc.here()); }

    @Override public String toString() { return "NamedSharding(@" + mesh.name() + ", " + spec + ")"; }
}
