package io.hlo4j.dsl.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.moe.MoeSpecs.Direction;
import io.hlo4j.dsl.shard.PartitionSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole table of easydel-moe-behavior.md section 6.3, every combination of the six arguments. Expected
 * specs are written in JAX's repr; {@link #jax} maps them to {@link PartitionSpec}'s own (unquoted) text.
 */
class MoeSpecsTest {
    private static String jax(String repr) { return repr.replace("'", ""); }

    /** Expert placement X, the doc's first table, keyed "moduleView,spBound,fsdpBound" (JAX repr of one entry). */
    private static final Map<String, String> X = Map.of(
            "false,true,true", "'ep'", "false,true,false", "'ep'", "false,false,true", "'ep'", "false,false,false", "'ep'",
            "true,true,true", "('ep', 'sp', 'fsdp')",
            "true,true,false", "('ep', 'sp')",
            "true,false,true", "('ep', 'fsdp')",
            "true,false,false", "'ep'");

    @Test
    void everyCombination() {
        int checked = 0;
        for (Direction dir : Direction.values()) {
            for (boolean expert : new boolean[] {false, true}) {
                for (boolean bias : new boolean[] {false, true}) {
                    for (boolean fsdp : new boolean[] {false, true}) {
                        for (boolean sp : new boolean[] {false, true}) {
                            for (boolean view : new boolean[] {false, true}) {
                                String x = X.get(view + "," + sp + "," + fsdp);
                                String want;
                                if (expert) want = bias ? "P('tp', None)" : "P('tp', None, None)";
                                else if (bias) want = "P(" + x + ", 'tp')";
                                else if (dir == Direction.COLUMN) want = "P(" + x + ", None, 'tp')";
                                else want = "P(" + x + ", 'tp', None)";
                                PartitionSpec got = MoeSpecs.getMoePartitionSpec(dir, expert, bias, fsdp, sp, view);
                                assertThat(got.toString()).as("%s expert=%s bias=%s fsdp=%s sp=%s view=%s",
                                        dir, expert, bias, fsdp, sp, view).isEqualTo(jax(want));
                                assertThat(MoeSpecs.getMoePartitionSpec(dir.value(), expert, bias, fsdp, sp, view))
                                        .isEqualTo(got);
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(checked).isEqualTo(64);
    }

    @Test
    void specValuesNotOnlyTheirText() {
        PartitionSpec s = MoeSpecs.getMoePartitionSpec(Direction.ROW, false, false, true, true, true);
        assertThat(s).isEqualTo(PartitionSpec.of(new String[] {"ep", "sp", "fsdp"}, "tp", null));
        assertThat(s.length()).isEqualTo(3);
        assertThat(s.axes(2)).isEmpty();
        assertThat(MoeSpecs.getMoePartitionSpec(Direction.COLUMN, false, true, true, true, false))
                .isEqualTo(PartitionSpec.of("ep", "tp"));
    }

    @Test
    void getMoeSpecIgnoresTheBoundFlags() {
        assertThat(MoeSpecs.getMoeSpec("column", false, false).toString()).isEqualTo(jax("P('ep', None, 'tp')"));
        assertThat(MoeSpecs.getMoeSpec("row", false, false).toString()).isEqualTo(jax("P('ep', 'tp', None)"));
        assertThat(MoeSpecs.getMoeSpec("row", false, true).toString()).isEqualTo(jax("P('ep', 'tp')"));
        assertThat(MoeSpecs.getMoeSpec("column", true, true).toString()).isEqualTo(jax("P('tp', None)"));
        assertThat(MoeSpecs.getMoeSpec(Direction.ROW, true, false).toString()).isEqualTo(jax("P('tp', None, None)"));
    }

    @Test
    void customAxisNames() {
        MeshAxisNames names = new MeshAxisNames("data", "zero", "expert", "tensor", "seq");
        assertThat(MoeSpecs.getMoePartitionSpec(names, Direction.COLUMN, false, false, true, true, true).toString())
                .isEqualTo(jax("P(('expert', 'seq', 'zero'), None, 'tensor')"));
    }

    @Test
    void directionIsCheckedEvenInExpertTensorMode() {
        assertThatThrownBy(() -> MoeSpecs.getMoePartitionSpec("diagonal", true, false, true, true, false))
                .isInstanceOf(MoeException.class).hasMessageContaining("'diagonal'").hasMessageContaining("'row' or 'column'");
        assertThatThrownBy(() -> MoeSpecs.getMoeSpec("Row", false, false))
                .isInstanceOf(MoeException.class).hasMessageContaining("'Row'");
    }

    @Test
    void expertMeshPlacesExpertsOnTheExpertAxis() {
        assertThat(MoeSpecs.onExpertMesh(Direction.ROW, false, false)).isEqualTo(PartitionSpec.of("expert", "tp", null));
        assertThat(MoeSpecs.onExpertMesh(Direction.COLUMN, false, false).toString()).isEqualTo(jax("P('expert', None, 'tp')"));
        assertThat(MoeSpecs.onExpertMesh(Direction.COLUMN, false, true).toString()).isEqualTo(jax("P('expert', 'tp')"));
        assertThat(MoeSpecs.onExpertMesh(Direction.ROW, true, false).toString()).isEqualTo(jax("P('tp', None, None)"));
        assertThat(MoeSpecs.onExpertMesh(Direction.ROW, true, true).toString()).isEqualTo(jax("P('tp', None)"));
    }
}
