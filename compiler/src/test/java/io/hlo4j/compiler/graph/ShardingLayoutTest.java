package io.hlo4j.compiler.graph;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.spmd.ShardLayout;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Device layouts worked out by hand for small meshes; the SVG is well-formed and shows every device. */
class ShardingLayoutTest {
    static final MeshAttr MESH = MeshAttr.of(new MeshAttr.Axis("x", 2), new MeshAttr.Axis("y", 4));
    static final TensorType T = TensorType.of(FloatType.F32, 8, 16);

    @Test void twoDimensionsOverTwoAxes() {
        // Device k has x = k / 4, y = k % 4; rows follow x, columns y.
        ShardingLayout l = ShardingLayout.of(T, TensorSharding.of("mesh", DimensionSharding.closedOn(AxisRef.of("x")),
                DimensionSharding.closedOn(AxisRef.of("y"))), MESH);
        assertThat(l.rows()).isEqualTo(2);
        assertThat(l.cols()).isEqualTo(4);
        assertThat(l.blockShape()).containsExactly(4, 4);
        assertThat(l.devicesAt(0, 0)).containsExactly(0L);
        assertThat(l.devicesAt(0, 3)).containsExactly(3L);
        assertThat(l.devicesAt(1, 2)).containsExactly(6L);
    }

    @Test void replicatedAxisPutsSeveralDevicesOnABlock() {
        // Rows split over y only: devices with the same y (k and k + 4) hold the same rows.
        ShardingLayout l = ShardingLayout.of(T, TensorSharding.of("mesh", DimensionSharding.closedOn(AxisRef.of("y")),
                DimensionSharding.closedOn()), MESH);
        assertThat(l.rows()).isEqualTo(4);
        assertThat(l.cols()).isEqualTo(1);
        assertThat(l.devicesAt(1, 0)).containsExactly(1L, 5L);
        assertThat(l.table()).contains("dev 1,5").contains("dev 3,7");
    }

    @Test void twoAxesOnOneDimensionAreMajorToMinor() {
        // Dim 1 over ("y", "x"): block = y * 2 + x. Device 1 (x=0, y=1) takes block 2; device 4 (x=1, y=0) block 1.
        ShardingLayout l = ShardingLayout.of(T, TensorSharding.of("mesh", DimensionSharding.closedOn(),
                DimensionSharding.closedOn(AxisRef.of("y"), AxisRef.of("x"))), MESH);
        assertThat(l.cols()).isEqualTo(8);
        assertThat(l.devicesAt(0, 2)).containsExactly(1L);
        assertThat(l.devicesAt(0, 1)).containsExactly(4L);
    }

    @Test void subAxisTakesItsSliceOfTheCoordinate() {
        // Shardy reshapes y=4 for "y":(2)2 into [2, 2, 1]: the sub-axis is the minor half, coordinate y % 2.
        // Devices k = 4x + y: y in {0, 2} -> block 0, y in {1, 3} -> block 1.
        ShardingLayout l = ShardingLayout.of(T, TensorSharding.of("mesh", DimensionSharding.closedOn(AxisRef.sub("y", 2, 2)),
                DimensionSharding.closedOn()), MESH);
        assertThat(l.rows()).isEqualTo(2);
        assertThat(l.devicesAt(0, 0)).containsExactly(0L, 2L, 4L, 6L);
        assertThat(l.devicesAt(1, 0)).containsExactly(1L, 3L, 5L, 7L);
        // "y":(1)2 is the major half: [1, 2, 2], coordinate y / 2.
        ShardingLayout major = ShardingLayout.of(T, TensorSharding.of("mesh", DimensionSharding.closedOn(AxisRef.sub("y", 1, 2)),
                DimensionSharding.closedOn()), MESH);
        assertThat(major.devicesAt(0, 0)).containsExactly(0L, 1L, 4L, 5L);
        assertThat(major.devicesAt(1, 0)).containsExactly(2L, 3L, 6L, 7L);
    }

    /** The picture must put every device where the interpreter's {@link ShardLayout} puts its block. */
    @Test void agreesWithTheRuntimeShardLayoutOnSubAxisMeshes() {
        MeshAttr eight = MeshAttr.of(new MeshAttr.Axis("x", 8));
        MeshAttr twoBy = new MeshAttr(List.of(new MeshAttr.Axis("a", 2), new MeshAttr.Axis("b", 4)), List.of(3L, 7L, 1L, 5L, 0L, 4L, 2L, 6L));
        List<Object[]> cases = List.of(
                new Object[]{eight, new AxisRef[]{AxisRef.sub("x", 1, 2)}, new AxisRef[]{AxisRef.sub("x", 2, 4)}},
                new Object[]{eight, new AxisRef[]{AxisRef.sub("x", 2, 2)}, new AxisRef[]{AxisRef.sub("x", 4, 2), AxisRef.sub("x", 1, 2)}},
                new Object[]{eight, new AxisRef[]{AxisRef.sub("x", 4, 2)}, new AxisRef[]{}},
                new Object[]{twoBy, new AxisRef[]{AxisRef.sub("b", 2, 2), AxisRef.of("a")}, new AxisRef[]{AxisRef.sub("b", 1, 2)}},
                new Object[]{twoBy, new AxisRef[]{AxisRef.of("b")}, new AxisRef[]{AxisRef.of("a")}});
        TensorType t = TensorType.of(FloatType.F32, 16, 16);
        for (Object[] c : cases) {
            MeshAttr mesh = (MeshAttr) c[0];
            TensorSharding s = TensorSharding.of("mesh", DimensionSharding.closedOn((AxisRef[]) c[1]),
                    DimensionSharding.closedOn((AxisRef[]) c[2]));
            ShardingLayout picture = ShardingLayout.of(t, s, mesh);
            ShardLayout runtime = ShardLayout.of(mesh, s, new long[]{16, 16}, "t");
            for (int dev = 0; dev < runtime.devices(); dev++) {
                long[] block = runtime.blockIndex(dev);
                assertThat(picture.devicesAt((int) block[0], (int) block[1])).as(s + " device " + dev).contains((long) dev);
            }
        }
    }

    @Test void opResultShardingsAreCollected() {
        Module m = MlirParser.parseModule("""
                module {
                  sdy.mesh @mesh = <["x"=2, "y"=4]>
                  func.func @main(%a: tensor<8x16xf32>) -> tensor<8x16xf32> {
                    %0 = stablehlo.negate %a {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {"y"}]>]>} : tensor<8x16xf32>
                    return %0 : tensor<8x16xf32>
                  }
                }""", "o.mlir");
        List<ShardingSvg.Item> items = ShardedTensors.collect(m);
        assertThat(items).hasSize(1);
        assertThat(items.get(0).title()).startsWith("@main stablehlo.negate");
        ShardingLayout l = items.get(0).layout();
        assertThat(l.cols()).isEqualTo(4);
        assertThat(l.devicesAt(0, 1)).containsExactly(1L, 5L); // y = 1 for devices 1 (x=0) and 5 (x=1)
    }

    @Test void svgIsWellFormedAndShowsEveryDeviceOfEveryTensor() throws Exception {
        Module m = MlirParser.parseModule("""
                module {
                  sdy.mesh @mesh = <["x"=2, "y"=4], device_ids=[7, 6, 5, 4, 3, 2, 1, 0]>
                  func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> (tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}) {
                    return %a : tensor<8x16xf32>
                  }
                }""", "s.mlir");
        List<ShardingSvg.Item> items = ShardedTensors.collect(m);
        assertThat(items).hasSize(2);
        // Explicit device ids: mesh position 0 is device 7.
        assertThat(items.get(0).layout().devicesAt(0, 0)).containsExactly(7L);
        Document d = GraphTest.xml(ShardingSvg.render(items));
        List<String> texts = GraphTest.texts(d);
        for (long dev = 0; dev < 8; dev++) assertThat(texts).contains("dev " + dev);
        assertThat(texts).contains("dev 7,3", "dev 4,0");
        assertThat(d.getElementsByTagName("rect").getLength()).isEqualTo(8 + 4);
    }
}
