package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.PartitionSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The expert mesh written on the model mesh: a spec on the view axis {@code expert} is a spec on the folded model
 * axes ({@link ExpertMeshView#expertAxes()}, major to minor), {@code dp} likewise, and a collective over
 * {@code expert} is a collective over those model axes. {@link Mesh#replicaGroups} orders a group's members
 * row-major over the listed axes, which is the order of the view's {@code expert} coordinate, so shard i of the
 * view's expert axis is member i of every expert group and owns experts [i E/X, (i+1) E/X).
 *
 * <p>A device's coordinates come from {@code partition_id} on a mesh in iota order ({@link Collectives#axisIndex}).
 * On a mesh with another device order the body reads them from {@code position} instead: the device's position in
 * the mesh (a traced i32 scalar, the device's block of an iota over every axis, see {@link #positionsSpec}),
 * whose row-major digits are its coordinates; the collectives' replica groups already follow the mesh's device ids.
 *
 * @param position this device's position in the mesh while tracing a body on a non-iota mesh, else null
 */
public record EpLayout(ExpertMeshView view, Tensor position) {
    public EpLayout(ExpertMeshView view) { this(view, null); }

    public Mesh mesh() { return view.model(); }

    /** Whether the body needs the devices' positions as an argument: the mesh's device order is not iota. */
    public boolean needsPositions() { return !mesh().isIota(); }

    /** The positions' spec: an iota [devices] i32 split over every axis, so each device holds its own position. */
    public PartitionSpec positionsSpec() { return spec(allAxes()); }

    /** This layout with the traced position of the device whose body is being traced. */
    public EpLayout at(Tensor position) { return new EpLayout(view, position.reshape()); }

    /** This device's coordinate on one model axis (traced, i32 scalar). */
    private Tensor coordinate(String axis) {
        if (position == null) return Collectives.axisIndex(axis);
        int[] sizes = mesh().sizes();
        int ai = mesh().axisIndex(axis);
        long stride = 1;
        for (int i = ai + 1; i < sizes.length; i++) stride *= sizes[i];
        return Ops.rem(Ops.div(position, Ops.scalar(stride, DType.I32)), Ops.scalar(sizes[ai], DType.I32));
    }

    public List<String> dpAxes() { return view.dpAxes(); }

    public List<String> expertAxes() { return view.expertAxes(); }

    public int dpSize() { return mesh().axisSize(dpAxes()); }

    public int expertSize() { return mesh().axisSize(expertAxes()); }

    public int tpSize() { return mesh().axisSize("tp"); }

    /** The dp axes then the expert axes: the axes tokens are split on in the token-sharded and ring modes. */
    public List<String> dpAndExpertAxes() {
        List<String> a = new ArrayList<>(dpAxes());
        a.addAll(expertAxes());
        return a;
    }

    /** Every model axis in mesh order (a per-device diagnostic's spec). */
    public List<String> allAxes() { return mesh().axisNames(); }

    public static PartitionSpec spec(List<?>... dims) {
        List<List<String>> d = new ArrayList<>();
        for (List<?> l : dims) d.add(l.stream().map(o -> (String) o).toList());
        return PartitionSpec.ofAxes(d);
    }

    public String[] expertArray() { return expertAxes().toArray(String[]::new); }

    /** This device's coordinate on the view's expert axis (traced, i32 scalar): row-major over the expert axes. */
    public Tensor expertIndex() {
        Tensor idx = Ops.scalar(0, DType.I32);
        for (String a : expertAxes()) {
            idx = Ops.add(Ops.mul(idx, Ops.scalar(mesh().axisSize(a), DType.I32)), coordinate(a));
        }
        return idx;
    }

    /** This device's index over {@code axes} (traced, i32 scalar): row-major in the listed order, a spec's block order. */
    public Tensor indexOver(List<String> axes) {
        Tensor idx = Ops.scalar(0, DType.I32);
        for (String a : axes) idx = Ops.add(Ops.mul(idx, Ops.scalar(mesh().axisSize(a), DType.I32)), coordinate(a));
        return idx;
    }

    /** This device's tp coordinate (traced, i32 scalar). */
    public Tensor tpIndex() { return tpSize() == 1 ? Ops.scalar(0, DType.I32) : coordinate("tp"); }
}
