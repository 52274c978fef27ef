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
 */
public record EpLayout(ExpertMeshView view) {
    public Mesh mesh() { return view.model(); }

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
            idx = Ops.add(Ops.mul(idx, Ops.scalar(mesh().axisSize(a), DType.I32)), Collectives.axisIndex(a));
        }
        return idx;
    }

    /** This device's tp coordinate (traced, i32 scalar). */
    public Tensor tpIndex() { return tpSize() == 1 ? Ops.scalar(0, DType.I32) : Collectives.axisIndex("tp"); }
}
