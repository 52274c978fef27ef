package io.hlo4j.mlir.jaxinterop;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.gspmd.GspmdMesh;
import io.hlo4j.mlir.gspmd.GspmdSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** mhlo.sharding strings as JAX and XLA write them: parsed, and written on one Shardy mesh with the same blocks. */
class GspmdShardingTest {
    static GspmdSharding.Tiled tiled(String s) { return (GspmdSharding.Tiled) GspmdSharding.parse(s); }

    @Test
    void parsesTheSimpleForms() {
        assertThat(GspmdSharding.parse("{replicated}")).isEqualTo(new GspmdSharding.Replicated());
        assertThat(GspmdSharding.parse("{manual}")).isEqualTo(new GspmdSharding.Manual());
        assertThat(GspmdSharding.parse("{maximal device=3}")).isEqualTo(new GspmdSharding.Maximal(3));
        assertThat(GspmdSharding.parse("{replicated metadata={op_name=\"jit(f)/x{y}\" source_file=\"a.py\"}}"))
                .isEqualTo(new GspmdSharding.Replicated());
        assertThat(GspmdSharding.parse("{{replicated}, {maximal device=0}}"))
                .isEqualTo(new GspmdSharding.Tuple(List.of(new GspmdSharding.Replicated(), new GspmdSharding.Maximal(0))));
    }

    @Test
    void explicitAndIotaTileAssignmentsGiveTheSameDevices() {
        assertThat(tiled("{devices=[2,1]0,1}").devices()).containsExactly(0, 1);
        assertThat(tiled("{devices=[2,2]<=[4]}").devices()).containsExactly(0, 1, 2, 3);
        // iota(4).reshape(2,2).T = [[0,2],[1,3]]
        assertThat(tiled("{devices=[2,2]<=[2,2]T(1,0)}").devices()).containsExactly(0, 2, 1, 3);
        // iota(8).reshape(2,2,2).transpose(2,0,1): element (a,b,c) = 4b + 2c + a
        assertThat(tiled("{devices=[2,4]<=[2,2,2]T(2,0,1)}").devices()).containsExactly(0, 2, 4, 6, 1, 3, 5, 7);
        GspmdSharding.Tiled r = tiled("{devices=[2,1,2]<=[4] last_tile_dim_replicate}");
        assertThat(r.rank()).isEqualTo(2);
        assertThat(r.subgroups()).containsExactly("replicated");
        assertThat(tiled("{devices=[1,2,2]<=[4] last_tile_dims={manual}}").subgroups()).containsExactly("manual");
        assertThat(tiled("{devices=[2,1,1,2]<=[4] last_tile_dims={manual, replicated}}").rank()).isEqualTo(2);
    }

    @Test
    void malformedStringsAreRefusedWithTheText() {
        assertThatThrownBy(() -> GspmdSharding.parse("{devices=[2,2]0,1,2}"))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("{devices=[2,2]0,1,2}").hasMessageContaining("3 devices listed");
        assertThatThrownBy(() -> GspmdSharding.parse("{devices=[2,2]<=[8]}")).hasMessageContaining("hold 8 devices");
        assertThatThrownBy(() -> GspmdSharding.parse("{devices=[2]<=[2] shard_as 1}")).hasMessageContaining("unsupported clause");
        assertThatThrownBy(() -> GspmdSharding.parse("{devices=[2,2]<=[2,2]T(0,0)}")).hasMessageContaining("not a permutation");
        assertThatThrownBy(() -> GspmdSharding.parse("{devices=[2]0,0}")).hasMessageContaining("listed twice");
    }

    @Test
    void oneMeshForAModuleShardingsWithTheirAxes() {
        List<String> texts = List.of("{devices=[2,1,2]<=[4] last_tile_dim_replicate}", "{devices=[2,2]<=[4]}", "{devices=[2,2]<=[2,2]T(1,0)}",
                "{replicated}");
        List<GspmdSharding> ss = texts.stream().map(GspmdSharding::parse).toList();
        GspmdMesh m = GspmdMesh.derive(4, ss, Location.UNKNOWN);
        assertThat(m.mesh().body()).isEqualTo("<[\"g0\"=2, \"g1\"=2]>");
        assertThat(m.toSdy(ss.get(0), 2, "gspmd", "a", Location.UNKNOWN).body()).isEqualTo("<@gspmd, [{\"g0\"}, {}]>");
        assertThat(m.toSdy(ss.get(1), 2, "gspmd", "b", Location.UNKNOWN).body()).isEqualTo("<@gspmd, [{\"g0\"}, {\"g1\"}]>");
        assertThat(m.toSdy(ss.get(2), 2, "gspmd", "c", Location.UNKNOWN).body()).isEqualTo("<@gspmd, [{\"g1\"}, {\"g0\"}]>");
        assertThat(m.toSdy(ss.get(3), 2, "gspmd", "d", Location.UNKNOWN).body()).isEqualTo("<@gspmd, [{}, {}]>");
    }

    @Test
    void aCoarseIotaIsSplitWhereAnotherShardingNeedsIt() {
        List<GspmdSharding> ss = List.of(GspmdSharding.parse("{devices=[4]<=[4]}"), GspmdSharding.parse("{devices=[2,2]<=[4]}"));
        GspmdMesh m = GspmdMesh.derive(4, ss, Location.UNKNOWN);
        assertThat(m.mesh().body()).isEqualTo("<[\"g0\"=2, \"g1\"=2]>");
        assertThat(m.toSdy(ss.get(0), 1, "m", "x", Location.UNKNOWN).body()).isEqualTo("<@m, [{\"g0\", \"g1\"}]>");
    }

    /** Every device holds the same tile under the GSPMD assignment and under the Shardy sharding written for it. */
    @Test
    void everyDeviceHoldsTheSameTileOnTheDerivedMesh() {
        List<String> texts = List.of("{devices=[2,4]<=[8]}", "{devices=[4,2]<=[2,4]T(1,0)}", "{devices=[2,4]<=[2,2,2]T(2,0,1)}",
                "{devices=[1,2,4]<=[2,4]T(1,0) last_tile_dim_replicate}", "{devices=[8,1]<=[8]}", "{devices=[2,2,2]<=[2,2,2]T(1,2,0)}",
                "{devices=[4,1,2]<=[8] last_tile_dim_replicate}", "{devices=[2,4]0,1,2,3,4,5,6,7}");
        List<GspmdSharding> ss = texts.stream().map(GspmdSharding::parse).toList();
        GspmdMesh m = GspmdMesh.derive(8, ss, Location.UNKNOWN);
        MeshAttr mesh = m.mesh();
        assertThat(mesh.totalSize()).isEqualTo(8);
        for (GspmdSharding s : ss) {
            GspmdSharding.Tiled t = (GspmdSharding.Tiled) s;
            TensorSharding sdy = m.toSdy(t, t.rank(), "m", "v", Location.UNKNOWN);
            for (int dev = 0; dev < 8; dev++) {
                assertThat(sdyTile(mesh, sdy, dev)).as(t + " device " + dev).containsExactly(gspmdTile(t, dev));
            }
        }
    }

    /** The tile of {@code dev} under GSPMD: its position in the device array, as an index over the value's tile dims. */
    static long[] gspmdTile(GspmdSharding.Tiled t, long dev) {
        long[] d = t.devices();
        int pos = 0;
        while (d[pos] != dev) pos++;
        long[] idx = new long[t.tileDims().length];
        for (int k = idx.length - 1; k >= 0; k--) {
            idx[k] = pos % t.tileDims()[k];
            pos /= (int) t.tileDims()[k];
        }
        return java.util.Arrays.copyOf(idx, t.rank());
    }

    /** The tile of {@code dev} under Shardy: per dim, the row-major index over its axes of the device's mesh coordinates. */
    static long[] sdyTile(MeshAttr mesh, TensorSharding s, long dev) {
        long[] out = new long[s.rank()];
        for (int dim = 0; dim < s.rank(); dim++) {
            long idx = 0;
            for (AxisRef a : s.axesOfDim(dim)) idx = idx * mesh.axisSize(a.name()) + coordinate(mesh, a.name(), dev);
            out[dim] = idx;
        }
        return out;
    }

    static long coordinate(MeshAttr mesh, String axis, long dev) {
        long after = 1;
        List<MeshAttr.Axis> axes = mesh.axes();
        for (int k = axes.size() - 1; k >= 0; k--) {
            if (axes.get(k).name().equals(axis)) return (dev / after) % axes.get(k).size();
            after *= axes.get(k).size();
        }
        throw new AssertionError(axis);
    }

    @Test
    void shardingsWithNoCommonMeshAndUnsupportedFormsAreRefused() {
        assertThatThrownBy(() -> GspmdMesh.derive(6, List.of(GspmdSharding.parse("{devices=[2,3]<=[6]}"),
                GspmdSharding.parse("{devices=[3,2]<=[6]}")), Location.UNKNOWN)).isInstanceOf(Hlo4jException.class);
        assertThatThrownBy(() -> GspmdMesh.derive(4, List.of(GspmdSharding.parse("{devices=[4]1,0,2,3}")), Location.UNKNOWN))
                .hasMessageContaining("not 0..3");
        assertThatThrownBy(() -> GspmdMesh.derive(4, List.of(GspmdSharding.parse("{devices=[2]<=[2]}")), Location.UNKNOWN))
                .hasMessageContaining("spans 2 devices but the module runs on 4");
        GspmdMesh m = GspmdMesh.derive(2, List.of(), Location.UNKNOWN);
        assertThatThrownBy(() -> m.toSdy(GspmdSharding.parse("{maximal device=1}"), 2, "m", "argument 0 of @main", Location.UNKNOWN))
                .hasMessageContaining("argument 0 of @main").hasMessageContaining("{maximal device=1}");
        assertThatThrownBy(() -> m.toSdy(GspmdSharding.parse("{manual}"), 2, "m", "x", Location.UNKNOWN)).hasMessageContaining("pre-Shardy");
        assertThatThrownBy(() -> m.toSdy(GspmdSharding.parse("{devices=[2]<=[2]}"), 2, "m", "x", Location.UNKNOWN))
                .hasMessageContaining("tiles 1 dims but the value has 2");
    }
}
