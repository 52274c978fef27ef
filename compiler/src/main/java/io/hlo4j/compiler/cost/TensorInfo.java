package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An argument or result of the entry function: its type and bytes and, when it carries an {@code sdy.sharding},
 * the mesh axes each dimension is split over and the shape of one device's shard (ceil(dim / shards), as
 * Shardy pads uneven splits). {@code unevenDims} lists the dimensions whose size the shard count does not divide:
 * Shardy pads them, hlo4j's partitioner and interpreter refuse them (reports say so).
 */
public record TensorInfo(int index, String type, long bytes, String sharding, String mesh,
                         List<List<String>> axesPerDim, List<Long> shardShape, long shardBytes, List<Integer> unevenDims) {

    static TensorInfo of(int index, Type type, DictionaryAttr attrs, Map<String, MeshAttr> meshes) {
        long bytes = TensorBytes.of(type);
        Attribute a = attrs == null ? null : attrs.get("sdy.sharding");
        if (!(a instanceof TensorSharding s) || !(type instanceof TensorType t)) {
            return new TensorInfo(index, type.toString(), bytes, null, null, List.of(), List.of(), bytes, List.of());
        }
        MeshAttr mesh = s.resolveMesh(meshes);
        if (mesh == null) throw new IllegalArgumentException("sharding " + s + " names mesh @" + s.meshName() + ", which the module does not declare");
        if (s.rank() != t.rank()) throw new IllegalArgumentException("sharding " + s + " has " + s.rank() + " dimensions for " + t);
        List<List<String>> axes = new ArrayList<>();
        List<Long> shard = new ArrayList<>();
        List<Integer> uneven = new ArrayList<>();
        long shardElements = 1;
        for (int d = 0; d < t.rank(); d++) {
            List<String> names = new ArrayList<>();
            long n = 1;
            for (AxisRef r : s.axesOfDim(d)) {
                names.add(r.isSubAxis() ? r.name() + ":(" + r.preSize() + ")" + r.size() : r.name());
                n *= r.size(mesh);
            }
            axes.add(List.copyOf(names));
            // A dynamic dimension stays dynamic in the shard (-1, printed as ?); it counts as 1 in the bytes.
            long size = t.isDynamicDim(d) ? -1 : (t.dim(d) + n - 1) / n;
            shard.add(size);
            if (!t.isDynamicDim(d) && t.dim(d) % n != 0) uneven.add(d);
            shardElements *= Math.max(1, size);
        }
        long shardBytes = shardElements * TensorBytes.elementBytes(t.elementType());
        return new TensorInfo(index, type.toString(), bytes, s.toString(),
                s.meshName() != null ? "@" + s.meshName() : mesh.toString(), List.copyOf(axes), List.copyOf(shard), shardBytes,
                List.copyOf(uneven));
    }
}
