package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.attr.Attribute;
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
            // Shardy's sharding_rule_parse_print CHECK lines.
            "#sdy.op_sharding_rule<([], [])->([])>",
            "#sdy.op_sharding_rule<([i, j])->([ij]) {i=2, j=4}>",
            "#sdy.op_sharding_rule<([i, j])->([i, j]) {i=16, j=32}, custom>",
            "#sdy.op_sharding_rule<([i])->([i]) {i=8589934592}, custom>",
            "#sdy.op_sharding_rule<([i, j, k, l])->([i, k, l]) {i=2, j=3, k=5, l=7} reduction={j} need_replication={i, l} permutation={k}, custom>",
            "#sdy.op_sharding_rule<([i, j, k, l])->([i, k, l]) {i=2, j=3, k=5, l=7} reduction={j} need_replication={i, l} permutation={k} blocked_propagation={l}>",
    })
    void canonicalTextRoundTrips(String text) {
        Attribute a = MlirParser.parseAttribute(text);
        assertThat(a.toString()).isEqualTo(text);
        assertThat(MlirParser.parseAttribute(a.toString())).isEqualTo(a);
    }

    @Test
    void unreducedBeforeReplicatedIsPrintedInCanonicalOrder() {
        Attribute a = MlirParser.parseAttribute("#sdy.sharding<@foo, [{}, {}], unreduced={\"b\"}, replicated={\"a\"}>");
        assertThat(a.toString()).isEqualTo("#sdy.sharding<@foo, [{}, {}], replicated={\"a\"}, unreduced={\"b\"}>");
    }

    @Test
    void iotaDeviceIdsAreDropped() {
        assertThat(MlirParser.parseAttribute("#sdy.mesh<[\"a\"=2, \"b\"=2], device_ids=[0, 1, 2, 3]>").toString())
                .isEqualTo("#sdy.mesh<[\"a\"=2, \"b\"=2]>");
        assertThat(MlirParser.parseAttribute("#sdy.mesh<[\"a\"=1], device_ids=[0]>").toString()).isEqualTo("#sdy.mesh<[\"a\"=1]>");
    }

    @Test
    void spacingInsideTheAttributeDoesNotMatter() {
        assertThat(MlirParser.parseAttribute("#sdy.sharding<@mesh, [{\"a\",?}, { } ]>").toString())
                .isEqualTo("#sdy.sharding<@mesh, [{\"a\", ?}, {}]>");
    }

    @Test
    void meshAccessors() {
        MeshAttr m = (MeshAttr) MlirParser.parseAttribute("#sdy.mesh<[\"x\"=2, \"y\"=4], device_ids=[7, 6, 5, 4, 3, 2, 1, 0]>");
        assertThat(m.axisNames()).containsExactly("x", "y");
        assertThat(m.axisSize("y")).isEqualTo(4);
        assertThat(m.axisSize("z")).isEqualTo(-1);
        assertThat(m.totalSize()).isEqualTo(8);
        assertThat(m.deviceOrder()).containsExactly(7L, 6L, 5L, 4L, 3L, 2L, 1L, 0L);
        assertThat(MeshAttr.of(new MeshAttr.Axis("x", 3)).deviceOrder()).containsExactly(0L, 1L, 2L);
        assertThat(((MeshAttr) MlirParser.parseAttribute("#sdy.mesh<[], device_ids=[3]>")).isMaximal()).isTrue();
    }

    @Test
    void shardingAccessors() {
        TensorSharding s = (TensorSharding) MlirParser.parseAttribute(
                "#sdy.sharding<@mesh, [{\"x\", \"y\":(2)2}, {\"z\", ?}p2, {}], replicated={\"w\"}>");
        assertThat(s.meshName()).isEqualTo("mesh");
        assertThat(s.rank()).isEqualTo(3);
        assertThat(s.axesOfDim(0)).containsExactly(AxisRef.of("x"), AxisRef.sub("y", 2, 2));
        assertThat(s.isOpen(1)).isTrue();
        assertThat(s.isOpen(0)).isFalse();
        assertThat(s.dimShardings().get(1).priority()).isEqualTo(2L);
        assertThat(s.replicatedAxes()).containsExactly(AxisRef.of("w"));
        MeshAttr mesh = (MeshAttr) MlirParser.parseAttribute("#sdy.mesh<[\"x\"=2, \"y\"=8, \"z\"=3, \"w\"=1]>");
        assertThat(s.resolveMesh(Map.of("mesh", mesh))).isSameAs(mesh);
        assertThat(s.dimShardings().get(0).shardCount(mesh)).isEqualTo(4);
        assertThat(s.isFullyReplicated()).isFalse();
        assertThat(TensorSharding.of("m", DimensionSharding.closedOn(), DimensionSharding.openOn()).toString())
                .isEqualTo("#sdy.sharding<@m, [{}, {?}]>");
    }

    @Test
    void perValueAndManualAxesAccessors() {
        TensorShardingPerValue v = (TensorShardingPerValue) MlirParser.parseAttribute(
                "#sdy.sharding_per_value<[<@mesh, [{\"dp\"}, {}]>, <@mesh, []>]>");
        assertThat(v.size()).isEqualTo(2);
        assertThat(v.get(1).rank()).isZero();
        ManualAxes m = (ManualAxes) MlirParser.parseAttribute("#sdy<manual_axes{\"ep\"}>");
        assertThat(m.contains("ep")).isTrue();
        assertThat(m.axes()).isEqualTo(List.of("ep"));
    }

    @Test
    void parseErrorsNameTheProblem() {
        assertThatThrownBy(() -> MlirParser.parseAttribute("#sdy.sharding<@mesh, [{\"x\"}], partial={\"y\"}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expected 'replicated' or 'unreduced'");
        assertThatThrownBy(() -> MlirParser.parseAttribute("#sdy.sharding<@m, [{}], unreduced=avg{\"y\"}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("unknown reduction 'avg'");
        assertThatThrownBy(() -> MlirParser.parseAttribute("#sdy.sharding<meshy<[]>, []>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expected a mesh symbol");
        assertThatThrownBy(() -> MlirParser.parseAttribute("#sdy<manual_axis{\"x\"}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("unknown sdy attribute 'manual_axis'");
    }

    @Test
    void shardingRuleFactorsBeyondZ() {
        StringBuilder in = new StringBuilder("#sdy.op_sharding_rule<([");
        StringBuilder sizes = new StringBuilder(" {");
        for (int i = 0; i < 20; i++) {
            in.append(i == 0 ? "" : ", ").append(OpShardingRule.factorSymbol(i));
            sizes.append(i == 0 ? "" : ", ").append(OpShardingRule.factorSymbol(i)).append("=2");
        }
        String text = in + "])->([zz_1, z_2])" + sizes + "}>";
        OpShardingRule r = (OpShardingRule) MlirParser.parseAttribute(text);
        assertThat(OpShardingRule.factorSymbol(17)).isEqualTo("z");
        assertThat(OpShardingRule.factorSymbol(18)).isEqualTo("z_1");
        assertThat(r.numFactors()).isEqualTo(20);
        assertThat(r.resultDimFactors(0, 0)).containsExactly(17, 18);
        assertThat(r.operandDimFactors(0, 19)).containsExactly(19);
        assertThat(r.toString()).isEqualTo(text);
        assertThatThrownBy(() -> MlirParser.parseAttribute("#sdy.op_sharding_rule<([i])->([i]) {j=2}>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("ordered like an iota");
        assertThatThrownBy(() -> MlirParser.parseAttribute("#sdy.op_sharding_rule<([a])->([a])>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expecting symbol from 'i' to 'z'");
    }
}
