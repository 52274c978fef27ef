package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.MoePartitionSpecs;
import io.hlo4j.dsl.shard.MoePartitionSpecs.Direction;
import io.hlo4j.dsl.shard.PartitionSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsl.shard.MoePartitionSpecs.Direction.COLUMN;
import static io.hlo4j.dsl.shard.MoePartitionSpecs.Direction.ROW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tables of easydel-moe-behavior.md section 6.3, row by row. */
class MoePartitionSpecsTest {
    @Test
    void resultTable() {
        for (Direction d : Direction.values()) {
            assertThat(MoePartitionSpecs.get(d, true, true).toString()).isEqualTo("P(tp, None)");
            assertThat(MoePartitionSpecs.get(d, true, false).toString()).isEqualTo("P(tp, None, None)");
            assertThat(MoePartitionSpecs.get(d, false, true).toString()).isEqualTo("P(ep, tp)");
        }
        assertThat(MoePartitionSpecs.get(COLUMN, false, false).toString()).isEqualTo("P(ep, None, tp)");
        assertThat(MoePartitionSpecs.get(ROW, false, false).toString()).isEqualTo("P(ep, tp, None)");
    }

    @Test
    void expertPlacementTable() {
        for (boolean sp : new boolean[] {true, false}) for (boolean fsdp : new boolean[] {true, false}) {
            assertThat(MoePartitionSpecs.get(COLUMN, false, false, fsdp, sp, false).toString()).isEqualTo("P(ep, None, tp)");
        }
        assertThat(MoePartitionSpecs.get(COLUMN, false, false, true, true, true).toString()).isEqualTo("P((ep, sp, fsdp), None, tp)");
        assertThat(MoePartitionSpecs.get(COLUMN, false, false, false, true, true).toString()).isEqualTo("P((ep, sp), None, tp)");
        assertThat(MoePartitionSpecs.get(COLUMN, false, false, true, false, true).toString()).isEqualTo("P((ep, fsdp), None, tp)");
        assertThat(MoePartitionSpecs.get(COLUMN, false, false, false, false, true).toString()).isEqualTo("P(ep, None, tp)");
        assertThat(MoePartitionSpecs.onExpertMesh(ROW, false, false)).isEqualTo(PartitionSpec.of("expert", "tp", null));
        assertThatThrownBy(() -> MoePartitionSpecs.direction("diagonal")).hasMessageContaining("direction must be \"row\" or \"column\", got \"diagonal\"");
    }

    @Test
    void replicaGroupsAsStablehloAttribute() {
        Mesh m = Mesh.of(List.of("a", "b"), 2, 2);
        assertThat(m.replicaGroupsAttr(List.of("a")).toString()).isEqualTo("dense<[[0, 2], [1, 3]]> : tensor<2x2xi64>");
        assertThat(m.replicaGroupsAttr(List.of("b", "a")).toString()).isEqualTo("dense<[[0, 2, 1, 3]]> : tensor<1x4xi64>");
    }
}
