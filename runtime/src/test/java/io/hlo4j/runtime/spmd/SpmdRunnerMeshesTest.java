package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SpmdRunner#run(Module, Map, List, List, List, List)}: arguments and results on different meshes of the same
 * devices, each resolved on the mesh it names. The per-device program is the identity, so what comes back is the
 * argument's blocks read through the result's mesh.
 */
class SpmdRunnerMeshesTest {
    static final String IDENTITY = """
            module @id attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func @main(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
                return %x : tensor<2x2xf32>
              }
            }
            """;

    /** @a = x=2, y=2 (device d at x = d / 2, y = d % 2); @v = e=4 with device_ids [0, 2, 1, 3]: device d at e = 2y + x. */
    static Map<String, MeshAttr> meshes() {
        Map<String, MeshAttr> m = new LinkedHashMap<>();
        m.put("a", new MeshAttr(List.of(new MeshAttr.Axis("x", 2), new MeshAttr.Axis("y", 2)), List.of()));
        m.put("v", new MeshAttr(List.of(new MeshAttr.Axis("e", 4)), List.of(0L, 2L, 1L, 3L)));
        return m;
    }

    static TensorSharding on(String mesh, List<AxisRef> rows, List<AxisRef> cols) {
        return new TensorSharding(mesh, null, List.of(new DimensionSharding(rows, true, null), new DimensionSharding(cols, true, null)),
                List.of(), List.of(), "sum");
    }

    static final HostArray X = HostArray.fromDoubles(TensorType.of(FloatType.F32, 4, 4),
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    @Test
    void eachShardingIsResolvedOnTheMeshItNames() {
        Module id = MlirParser.parseModule(IDENTITY, "id.mlir");
        TensorSharding in = on("a", List.of(AxisRef.of("x")), List.of(AxisRef.of("y")));
        // rows by x = the minor bit of e ("e":(2)2), columns by y = its major bit ("e":(1)2): the same blocks
        TensorSharding same = on("v", List.of(AxisRef.sub("e", 2, 2)), List.of(AxisRef.sub("e", 1, 2)));
        SpmdRun run = SpmdRunner.run(id, meshes(), List.of(X), List.of(in), List.of(same), List.of(X.type()));
        assertThat(run.results().get(0)).isEqualTo(X);
        // the other way round the blocks land transposed: block (x, y) is read as block (y, x)
        TensorSharding swapped = on("v", List.of(AxisRef.sub("e", 1, 2)), List.of(AxisRef.sub("e", 2, 2)));
        HostArray t = SpmdRunner.run(id, meshes(), List.of(X), List.of(in), List.of(swapped), List.of(X.type())).results().get(0);
        assertThat(t.toDoubleArray()).containsExactly(0, 1, 8, 9, 4, 5, 12, 13, 2, 3, 10, 11, 6, 7, 14, 15);
    }

    @Test
    void anUnknownMeshOrMeshesOfDifferentSizesAreRefused() {
        Module id = MlirParser.parseModule(IDENTITY, "id.mlir");
        TensorSharding in = on("a", List.of(AxisRef.of("x")), List.of(AxisRef.of("y")));
        TensorSharding elsewhere = on("w", List.of(AxisRef.of("x")), List.of(AxisRef.of("y")));
        assertThatThrownBy(() -> SpmdRunner.run(id, meshes(), List.of(X), List.of(in), List.of(elsewhere), List.of(X.type())))
                .hasMessageContaining("result 0").hasMessageContaining("mesh @w").hasMessageContaining("[a, v]");
        Map<String, MeshAttr> bad = meshes();
        bad.put("b", new MeshAttr(List.of(new MeshAttr.Axis("z", 8)), List.of()));
        assertThatThrownBy(() -> SpmdRunner.run(id, bad, List.of(X), List.of(in), List.of(in), List.of(X.type())))
                .hasMessageContaining("mesh @b").hasMessageContaining("8 devices").hasMessageContaining("4");
    }
}
