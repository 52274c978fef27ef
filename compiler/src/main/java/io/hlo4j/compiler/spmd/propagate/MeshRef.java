package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.List;
import java.util.Map;

/** The mesh a sharding names ({@code @name}) or inlines, with its resolved axes. Equal when they name the same mesh. */
record MeshRef(String name, MeshAttr inline, MeshAttr mesh) {
    static MeshRef of(TensorSharding s, Map<String, MeshAttr> meshes) {
        MeshAttr m = s.resolveMesh(meshes);
        if (m == null) throw new IllegalArgumentException("sharding " + s + " names an unknown mesh @" + s.meshName());
        return new MeshRef(s.meshName(), s.inlineMesh(), m);
    }

    /** Index of the axis in the mesh (axis order breaks ties between candidates). */
    int axisIndex(String axis) { return mesh.axisNames().indexOf(axis); }

    TensorSharding sharding(List<DimensionSharding> dims) {
        return new TensorSharding(name, inline, dims, List.of(), List.of(), "sum");
    }

    @Override public boolean equals(Object o) {
        return o instanceof MeshRef r && java.util.Objects.equals(name, r.name) && java.util.Objects.equals(inline, r.inline);
    }

    @Override public int hashCode() { return java.util.Objects.hash(name, inline); }

    @Override public String toString() { return name != null ? "@" + name : "mesh" + inline.body(); }
}
