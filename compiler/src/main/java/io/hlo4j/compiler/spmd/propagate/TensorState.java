package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * The sharding being built for one tensor: per dimension the axes so far (major to minor), whether the user
 * fixed the dimension (closed in an annotation: propagation never changes it), whether its axes came from the
 * user, and the user's priority. Axes only ever grow by extension, which makes the fixpoint terminate.
 */
final class TensorState {
    final String label;
    final long[] shape;
    MeshRef mesh;
    final List<List<AxisRef>> axes = new ArrayList<>();
    final boolean[] fixed;
    final boolean[] explicit;
    final Long[] priority;
    /** The user's annotation, kept verbatim on function arguments and results. */
    TensorSharding user;
    /** Axes of user dimensions whose priority (p1, p2, ...) has not come yet: hidden, and reserved in this tensor. */
    private final List<List<AxisRef>> deferred = new ArrayList<>();

    TensorState(String label, Type type) {
        this.label = label;
        this.shape = type instanceof TensorType t ? t.shape() : new long[0];
        for (int d = 0; d < shape.length; d++) {
            axes.add(new ArrayList<>());
            deferred.add(null);
        }
        fixed = new boolean[shape.length];
        explicit = new boolean[shape.length];
        priority = new Long[shape.length];
    }

    int rank() { return shape.length; }

    /** Seeds the state from a user annotation: closed dimensions are fixed, open ones keep their axes and may grow. */
    void seed(TensorSharding s, MeshRef m) {
        if (s.rank() != rank()) {
            throw new IllegalArgumentException(label + ": sharding " + s + " has " + s.rank() + " dimensions but the tensor has rank " + rank());
        }
        user = s;
        mesh = m;
        for (int d = 0; d < rank(); d++) {
            DimensionSharding ds = s.dimShardings().get(d);
            axes.get(d).clear();
            axes.get(d).addAll(ds.axes());
            fixed[d] = ds.closed();
            explicit[d] = ds.closed() || !ds.axes().isEmpty();
            priority[d] = ds.priority();
        }
    }

    /** Priority of dimension d for ordering candidates; a missing priority is the highest (0), as in Shardy. */
    long priorityOf(int d) { return priority[d] == null ? 0 : priority[d]; }

    /**
     * Hides the user dimensions with a priority above 0 until {@link #release} (Shardy's user-priority
     * iterations): they are closed and empty meanwhile, and their axes are reserved in this tensor.
     */
    void defer(java.util.Set<Long> levels) {
        for (int d = 0; d < rank(); d++) {
            if (user == null || priority[d] == null || priority[d] == 0) continue;
            levels.add(priority[d]);
            deferred.set(d, new ArrayList<>(axes.get(d)));
            axes.get(d).clear();
            fixed[d] = true;
        }
    }

    /** Brings back the user dimensions of priority {@code level} as the user wrote them. */
    void release(long level) {
        for (int d = 0; d < rank(); d++) {
            if (deferred.get(d) == null || priority[d] != level) continue;
            axes.get(d).clear();
            axes.get(d).addAll(deferred.get(d));
            fixed[d] = user.dimShardings().get(d).closed();
            deferred.set(d, null);
        }
    }

    /**
     * Whether axis {@code a} is taken outside dimension {@code dim}: by another dimension (deferred ones included), or
     * named explicitly replicated or held unreduced by the user ({@code replicated={"a"}} and {@code unreduced={"a"}} close
     * the axis: an open dimension never takes it, else the sharding would use "a" twice).
     */
    boolean usesAxisOutside(int dim, AxisRef a) {
        if (user != null && (overlaps(user.replicatedAxes(), a) || overlaps(user.unreducedAxes(), a))) return true;
        for (int d = 0; d < rank(); d++) {
            if (d != dim && overlaps(axes.get(d), a)) return true;
            if (deferred.get(d) != null && overlaps(deferred.get(d), a)) return true;
        }
        return false;
    }

    /** Two references overlap when they name the same axis and (for sub-axes) their ranges intersect. */
    static boolean overlaps(List<AxisRef> list, AxisRef a) {
        for (AxisRef b : list) if (a.overlaps(b)) return true;
        return false;
    }

    /** The closed sharding this state stands for, on {@code fallback} when it never met a mesh. */
    TensorSharding closed(MeshRef fallback) {
        MeshRef m = mesh != null ? mesh : fallback;
        List<DimensionSharding> dims = new ArrayList<>();
        for (List<AxisRef> a : axes) dims.add(new DimensionSharding(a, true, null));
        return m.sharding(dims);
    }

    @Override public String toString() { return label + " " + axes; }
}
