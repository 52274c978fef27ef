package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.dialect.check.testing.MiniAsm;
import io.hlo4j.mlir.ir.ParseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shardy attributes: the spellings of the reference notes and Shardy's docs, and the typed accessors. */
class SdyAttributesTest {
    /** Already canonical: parse then print gives the same text, and parsing that again the same attribute. */
    @ParameterizedTest
    @ValueSource(strings = {
            "#sdy.mesh<[\"dp\"=2, \"fsdp\"=2, \"ep\"=2, \"tp\"=1, \"sp\"=1]>",
            "#sdy.mesh<[\"a\"=2], device_ids=[1, 0]>",
            "#sdy.mesh<[]>",
            "#sdy.mesh<[], device_ids=[3]>",
            "#sdy.sharding<@mesh, [{\"dp\", \"fsdp\"}, {}, {\"tp\", ?}], replicated={\"sp\"}, unreduced={\"x\"}>",
            "#sdy.sharding<@mesh, [{\"x\":(1)2}, {?}]>",
            "#sdy.sharding<@mesh, [{\"x\"}p1, {\"y\", ?}p0]>",
            "#sdy.sharding<@foo, [], replicated={\"b\"}>",
            "#sdy.sharding<@foo, [{}, {}], unreduced=max{\"a\"}>",
            "#sdy.sharding_per_value<[<@mesh, [{\"dp\"}, {}]>]>",
            "#sdy.sharding_per_value<[]>",
            "#sdy.sharding_per_value<[<mesh<[\"x\"=2, \"y\"=2]>, [{\"x\"}, {}]>]>",
            "#sdy<manual_axes{\"x\", \"y\"}>",
            "#sdy<manual_axes{}>",
    })
    void canonicalTextRoundTrips(String text) {
        Attribute a = MiniAsm.parseAttribute(text);
        assertThat(a.toString()).isEqualTo(text);
        assertThat(MiniAsm.parseAttribute(a.toString())).isEqualTo(a);
    }

    @Test
    void unreducedBeforeReplicatedIsPrintedInCanonicalOrder() {
        Attribute a = MiniAsm.parseAttribute("#sdy.sharding<@foo, [{}, {}], unreduced={\"b\"}, replicated={\"a\"}>");
        assertThat(a.toString()).isEqualTo("#sdy.sharding<@foo, [{}, {}], replicated={\"a\"}, unreduced={\"b\"}>");
    }

    @Test
    void iotaDeviceIdsAreDropped() {
        assertThat(MiniAsm.parseAttribute("#sdy.mesh<[\"a\"=2, \"b\"=2], device_ids=[0, 1, 2, 3]>").toString())
                .isEqualTo("#sdy.mesh<[\"a\"=2, \"b\"=2]>");
        assertThat(MiniAsm.parseAttribute("#sdy.mesh<[\"a\"=1], device_ids=[0]>").toString()).isEqualTo("#sdy.mesh<[\"a\"=1]>");
    }

    @Test
    void spacingInsideTheAttributeDoesNotMatter() {
        assertThat(MiniAsm.parseAttribute("#sdy.sharding<@mesh, [{\"a\",?}, { } ]>").toString())
                .isEqualTo("#sdy.sharding<@mesh, [{\"a\", ?}, {}]>");
    }

    @Test
    void meshAccessors() {
        MeshAttr m = (MeshAttr) MiniAsm.parseAttribute("#sdy.mesh<[\"x\"=2, \"y\"=4], device_ids=[7, 6, 5, 4, 3, 2, 1, 0]>");
        assertThat(m.axisNames()).containsExactly("x", "y");
        assertThat(m.axisSize("y")).isEqualTo(4);
        assertThat(m.axisSize("z")).isEqualTo(-1);
        assertThat(m.totalSize()).isEqualTo(8);
        assertThat(m.deviceOrder()).containsExactly(7L, 6L, 5L, 4L, 3L, 2L, 1L, 0L);
        assertThat(MeshAttr.of(new MeshAttr.Axis("x", 3)).deviceOrder()).containsExactly(0L, 1L, 2L);
        assertThat(((MeshAttr) MiniAsm.parseAttribute("#sdy.mesh<[], device_ids=[3]>")).isMaximal()).isTrue();
    }

    @Test
    void shardingAccessors() {
        TensorSharding s = (TensorSharding) MiniAsm.parseAttribute(
                "#sdy.sharding<@mesh, [{\"x\", \"y\":(2)2}, {\"z\", ?}p2, {}], replicated={\"w\"}>");
        assertThat(s.meshName()).isEqualTo("mesh");
        assertThat(s.rank()).isEqualTo(3);
        assertThat(s.axesOfDim(0)).containsExactly(AxisRef.of("x"), AxisRef.sub("y", 2, 2));
        assertThat(s.isOpen(1)).isTrue();
        assertThat(s.isOpen(0)).isFalse();
        assertThat(s.dimShardings().get(1).priority()).isEqualTo(2L);
        assertThat(s.replicatedAxes()).containsExactly(AxisRef.of("w"));
        MeshAttr mesh = (MeshAttr) MiniAsm.parseAttribute("#sdy.mesh<[\"x\"=2, \"y\"=8, \"z\"=3, \"w\"=1]>");
        assertThat(s.resolveMesh(Map.of("mesh", mesh))).isSameAs(mesh);
        assertThat(s.dimShardings().get(0).shardCount(mesh)).isEqualTo(4);
        assertThat(s.isFullyReplicated()).isFalse();
        assertThat(TensorSharding.of("m", DimensionSharding.closedOn(), DimensionSharding.openOn()).toString())
                .isEqualTo("#sdy.sharding<@m, [{}, {?}]>");
    }

    @Test
    void perValueAndManualAxesAccessors() {
        TensorShardingPerValue v = (TensorShardingPerValue) MiniAsm.parseAttribute(
                "#sdy.sharding_per_value<[<@mesh, [{\"dp\"}, {}]>, <@mesh, []>]>");
        assertThat(v.size()).isEqualTo(2);
        assertThat(v.get(1).rank()).isZero();
        ManualAxes m = (ManualAxes) MiniAsm.parseAttribute("#sdy<manual_axes{\"ep\"}>");
        assertThat(m.contains("ep")).isTrue();
        assertThat(m.axes()).isEqualTo(List.of("ep"));
    }

    @Test
    void parseErrorsNameTheProblem() {
        assertThatThrownBy(() -> MiniAsm.parseAttribute("#sdy.sharding<@mesh, [{\"x\"}], partial={\"y\"}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expected 'replicated' or 'unreduced'");
        assertThatThrownBy(() -> MiniAsm.parseAttribute("#sdy.sharding<@m, [{}], unreduced=avg{\"y\"}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("unknown reduction 'avg'");
        assertThatThrownBy(() -> MiniAsm.parseAttribute("#sdy.sharding<meshy<[]>, []>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expected a mesh symbol");
        assertThatThrownBy(() -> MiniAsm.parseAttribute("#sdy<manual_axis{\"x\"}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("unknown sdy attribute 'manual_axis'");
    }
}
