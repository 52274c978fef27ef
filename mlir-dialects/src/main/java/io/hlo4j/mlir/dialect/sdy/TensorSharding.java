package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A tensor's sharding, {@code #sdy.sharding<@mesh, [{"x"}, {"y", ?}, {}], replicated={"z"}, unreduced={"w"}>}:
 * the mesh (a symbol {@code @mesh} or an inline {@code mesh<[...]>}), one {@link DimensionSharding} per
 * dimension, explicitly replicated axes, and unreduced axes with their pending reduction ({@code sum},
 * {@code max} or {@code min}; printed only when not sum).
 */
public record TensorSharding(String meshName, MeshAttr inlineMesh, List<DimensionSharding> dimShardings,
                             List<AxisRef> replicatedAxes, List<AxisRef> unreducedAxes, String reduction)
        implements DialectAttribute {
    public TensorSharding {
        if ((meshName == null) == (inlineMesh == null)) throw new IllegalArgumentException("a sharding names a mesh or inlines one, not both/neither");
        dimShardings = List.copyOf(dimShardings);
        replicatedAxes = List.copyOf(replicatedAxes);
        unreducedAxes = List.copyOf(unreducedAxes);
        reduction = reduction == null ? "sum" : reduction;
        if (!List.of("sum", "max", "min").contains(reduction)) throw new IllegalArgumentException("unknown reduction '" + reduction + "'");
    }

    /** {@code <@mesh, [dims]>} with nothing replicated or unreduced. */
    public static TensorSharding of(String meshName, DimensionSharding... dims) {
        return new TensorSharding(meshName, null, List.of(dims), List.of(), List.of(), "sum");
    }

    public int rank() { return dimShardings.size(); }

    /** The axes dimension {@code dim} is sharded over, major to minor. */
    public List<AxisRef> axesOfDim(int dim) { return dimShardings.get(dim).axes(); }

    public boolean isOpen(int dim) { return !dimShardings.get(dim).closed(); }

    /** Every axis this sharding names in its dimensions, in dimension order. */
    public List<AxisRef> shardingAxes() {
        List<AxisRef> all = new ArrayList<>();
        for (DimensionSharding d : dimShardings) all.addAll(d.axes());
        return all;
    }

    /** The mesh: the inline one, or the named one looked up in {@code meshes} (symbol name to mesh); null if unknown. */
    public MeshAttr resolveMesh(Map<String, MeshAttr> meshes) {
        return inlineMesh != null ? inlineMesh : meshes.get(meshName);
    }

    /** Whether every dimension is unsharded (the tensor is fully replicated). */
    public boolean isFullyReplicated() { return dimShardings.stream().allMatch(d -> d.axes().isEmpty()); }

    @Override public String name() { return "sdy.sharding"; }

    /** {@code <@mesh, [...]...>}: the form used inside {@code sharding_per_value} and op pretty syntaxes. */
    public String body() {
        StringBuilder sb = new StringBuilder("<");
        sb.append(inlineMesh != null ? "mesh" + inlineMesh.body() : "@" + SdyText.symbol(meshName));
        sb.append(", [");
        for (int i = 0; i < dimShardings.size(); i++) sb.append(i == 0 ? "" : ", ").append(dimShardings.get(i));
        sb.append(']');
        if (!replicatedAxes.isEmpty()) sb.append(", replicated={").append(SdyText.axes(replicatedAxes)).append('}');
        if (!unreducedAxes.isEmpty()) {
            sb.append(", unreduced=").append(reduction.equals("sum") ? "" : reduction).append('{').append(SdyText.axes(unreducedAxes)).append('}');
        }
        return sb.append('>').toString();
    }

    @Override public String toString() { return "#sdy.sharding" + body(); }

    @Override public boolean equals(Object o) {
        return o instanceof TensorSharding t && Objects.equals(meshName, t.meshName) && Objects.equals(inlineMesh, t.inlineMesh)
                && dimShardings.equals(t.dimShardings) && replicatedAxes.equals(t.replicatedAxes)
                && unreducedAxes.equals(t.unreducedAxes) && reduction.equals(t.reduction);
    }

    @Override public int hashCode() { return Objects.hash(meshName, inlineMesh, dimShardings, replicatedAxes, unreducedAxes, reduction); }
}
