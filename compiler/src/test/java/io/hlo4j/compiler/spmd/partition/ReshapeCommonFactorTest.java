package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.propagate.ShardingConflict;
import io.hlo4j.mlir.ir.Hlo4jException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reshapes where a mesh axis neither divides nor is a multiple of the part of the major factor left for it: [24] on
 * "x"=4 to [6,4] is {@code ([ij])->([i, j]) {i=6, j=4}}, and 4 against 6 share only 2. As Shardy's projection does, the
 * axis splits by the common part: its major sub-axis "x":(1)2 shards i (device x holds elements 6x..6x+5, so the
 * devices 2a and 2a+1 together hold rows 3a..3a+2 of the result) and the minor "x":(2)2 cannot follow (a device's 6
 * elements are a row and a half). So only the minor part is gathered, in pairs, where the whole axis used to be. Each
 * case runs on the simulated devices against the unpartitioned program (bit for bit, {@link ReshapeCase}); bytes are
 * per device, f32. Where every device's block of the operand is a block of the result, nothing moves.
 */
class ReshapeCommonFactorTest {
    private static final String X4 = "\"x\"=4";

    /**
     * [24] on x=4 to [6,4]: the result is held [{"x":(1)2}, {}]; one all_gather over the minor half (pairs {0,1} and
     * {2,3}, 6 elements = 24 B each), then each device reshapes f32[12] to f32[3,4]. Propagation reports the minor half.
     */
    @Test
    void theCommonPartOfTheAxisStaysAndOnlyTheRestIsGathered() {
        ReshapeCase c = ReshapeCase.of(X4, new long[] {24}, "[{\"x\"}]", new long[] {6, 4}, null);
        assertThat(c.reshapeSharding()).isEqualTo("[{\"x\":(1)2}, {}]");
        assertThat(c.collectives()).containsExactly("all_gather [[0, 1], [2, 3]]");
        assertThat(c.maxBytesReceived()).isEqualTo(24);
        assertThat(c.printed()).contains("(tensor<12xf32>) -> tensor<3x4xf32>");
        assertThat(c.conflicts()).extracting(ShardingConflict::kind).containsExactly(ShardingConflict.Kind.NOT_DIVISIBLE);
        assertThat(c.conflicts().getFirst().describe()).contains("axis \"x\":(2)2 (size 2) does not divide what is left of factor i (3 of 6)");
        assertThat(c.program().report().entries()).isEmpty();
    }

    /**
     * The other way, [6,4] to [24] annotated [{"x"}]: the result's axis projects onto its major factor (6) as "x":(1)2 again.
     * An operand held [{"x":(1)2}, {}] is reshaped where it is (f32[3,4] to f32[12]) and each device keeps its half of
     * its pair's 12 elements by a local slice: no collective. An operand with no annotation is given that sharding by
     * propagation, so again nothing moves.
     */
    @Test
    void theReverseKeepsTheCommonPartWithoutACollective() {
        ReshapeCase held = ReshapeCase.of(X4, new long[] {6, 4}, "[{\"x\":(1)2}, {}]", new long[] {24}, "[{\"x\"}]");
        assertThat(held.reshapeSharding()).isEqualTo("[{\"x\":(1)2}]");
        assertThat(held.collectives()).isEmpty();
        assertThat(held.printed()).contains("(tensor<3x4xf32>) -> tensor<12xf32>");

        ReshapeCase free = ReshapeCase.of(X4, new long[] {6, 4}, null, new long[] {24}, "[{\"x\"}]");
        assertThat(free.program().argShardings().getFirst().toString()).isEqualTo("#sdy.sharding<@mesh, [{\"x\":(1)2}, {}]>");
        assertThat(free.collectives()).isEmpty();
        assertThat(free.printed()).contains("(tensor<3x4xf32>) -> tensor<12xf32>");
    }

    /** [6,4] split on its minor dimension to [24]: a device's columns are strided in the result, so x is gathered whole. */
    @Test
    void aSplitMinorDimensionOfAMergeIsStillGathered() {
        ReshapeCase c = ReshapeCase.of(X4, new long[] {6, 4}, "[{}, {\"x\"}]", new long[] {24}, null);
        assertThat(c.reshapeSharding()).isEqualTo("[{}]");
        assertThat(c.collectives()).containsExactly("all_gather [[0, 1, 2, 3]]");
        assertThat(c.maxBytesReceived()).isEqualTo(72);
    }

    /**
     * Where every device's block is a block on both sides nothing moves: [12] on x=4 to [2,6] (the axis is a multiple of
     * the major factor 2: both halves shard a dimension), [4,6] on dim 0 to [24] and [8,3]. [4,6] with x=4 on dim 1 (4 does not
     * divide 6) Shardy accepts with implicit padding; hlo4j refuses it by name (it never pads).
     */
    @Test
    void contiguousBlocksMoveNothing() {
        ReshapeCase split = ReshapeCase.of(X4, new long[] {12}, "[{\"x\"}]", new long[] {2, 6}, null);
        assertThat(split.reshapeSharding()).isEqualTo("[{\"x\":(1)2}, {\"x\":(2)2}]");
        assertThat(split.collectives()).isEmpty();
        assertThat(split.printed()).contains("(tensor<3xf32>) -> tensor<1x3xf32>");

        ReshapeCase merged = ReshapeCase.of(X4, new long[] {4, 6}, "[{\"x\"}, {}]", new long[] {24}, null);
        assertThat(merged.reshapeSharding()).isEqualTo("[{\"x\"}]");
        assertThat(merged.collectives()).isEmpty();

        ReshapeCase regrouped = ReshapeCase.of(X4, new long[] {4, 6}, "[{\"x\"}, {}]", new long[] {8, 3}, null);
        assertThat(regrouped.reshapeSharding()).isEqualTo("[{\"x\"}, {}]");
        assertThat(regrouped.collectives()).isEmpty();
        assertThat(regrouped.printed()).contains("(tensor<1x6xf32>) -> tensor<2x3xf32>");

        assertThatThrownBy(() -> ReshapeCase.of(X4, new long[] {4, 6}, "[{}, {\"x\"}]", new long[] {24}, null))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("dimension 1 of size 6 is not divisible by mesh axes [\"x\"] with 4 shards");
    }

    /**
     * [4,6] split on dim 1 over x=2 or x=3 to [8,3]: a device's columns land on every other row of the result (strided),
     * so x is gathered whole. With x=6 each device holds one column, which lands on column x%3 of every other row;
     * the result is computed whole and held on "x":(2)3 (the minor factor 3 of the result's dim 1), after one all_gather.
     */
    @Test
    void columnsOfARegroupedMatrixAreGathered() {
        for (int n : new int[] {2, 3}) {
            ReshapeCase c = ReshapeCase.of("\"x\"=" + n, new long[] {4, 6}, "[{}, {\"x\"}]", new long[] {8, 3}, null);
            assertThat(c.reshapeSharding()).as("x=%d", n).isEqualTo("[{}, {}]");
            assertThat(c.log()).as("x=%d", n).hasSize(1);
            assertThat(c.collectives().getFirst()).startsWith("all_gather");
        }
        ReshapeCase c = ReshapeCase.of("\"x\"=6", new long[] {4, 6}, "[{}, {\"x\"}]", new long[] {8, 3}, null);
        assertThat(c.reshapeSharding()).isEqualTo("[{}, {\"x\":(2)3}]");
        assertThat(c.collectives()).containsExactly("all_gather [[0, 1, 2, 3, 4, 5]]");
    }

    /**
     * Axes of 2, 3, 4, 6 and 8 against factors of 6, 12, 18 and 24 elements: where the axis and what is left of the major
     * factor share a part g (1 < g < axis), "x":(1)g stays and the devices are gathered in groups of axis/g; where the
     * axis is a multiple of the factor both parts shard; where they share nothing, the operand is gathered whole.
     * Columns: mesh axis, operand, result, result's sharding, collectives, bytes received per device.
     */
    @Test
    void axesAgainstFactorsOfSixTwelveEighteenAndTwentyFour() {
        Object[][] cases = {
                {8, new long[] {24}, new long[] {6, 4}, "[{\"x\":(1)2}, {}]", List.of("all_gather [[0, 1, 2, 3], [4, 5, 6, 7]]"), 36L},
                {6, new long[] {24}, new long[] {4, 6}, "[{\"x\":(1)2}, {}]", List.of("all_gather [[0, 1, 2], [3, 4, 5]]"), 32L},
                {6, new long[] {12}, new long[] {4, 3}, "[{\"x\":(1)2}, {}]", List.of("all_gather [[0, 1, 2], [3, 4, 5]]"), 16L},
                {4, new long[] {12}, new long[] {6, 2}, "[{\"x\":(1)2}, {}]", List.of("all_gather [[0, 1], [2, 3]]"), 12L},
                {4, new long[] {24}, new long[] {6, 2, 2}, "[{\"x\":(1)2}, {}, {}]", List.of("all_gather [[0, 1], [2, 3]]"), 24L},
                {4, new long[] {36}, new long[] {6, 6}, "[{\"x\":(1)2}, {}]", List.of("all_gather [[0, 1], [2, 3]]"), 36L},
                {6, new long[] {36}, new long[] {4, 9}, "[{\"x\":(1)2}, {}]", List.of("all_gather [[0, 1, 2], [3, 4, 5]]"), 48L},
                {6, new long[] {18}, new long[] {3, 6}, "[{\"x\":(1)3}, {\"x\":(3)2}]", List.of(), 0L},
                {6, new long[] {18}, new long[] {6, 3}, "[{\"x\"}, {}]", List.of(), 0L},
                {8, new long[] {24}, new long[] {4, 6}, "[{\"x\":(1)4}, {\"x\":(4)2}]", List.of(), 0L},
                {3, new long[] {18}, new long[] {2, 9}, "[{}, {}]", List.of("all_gather [[0, 1, 2]]"), 48L},
                {2, new long[] {18}, new long[] {3, 6}, "[{}, {}]", List.of("all_gather [[0, 1]]"), 36L},
                {4, new long[] {12}, new long[] {3, 4}, "[{}, {}]", List.of("all_gather [[0, 1, 2, 3]]"), 36L},
        };
        for (Object[] k : cases) {
            long[] in = (long[]) k[1], out = (long[]) k[2];
            ReshapeCase c = ReshapeCase.of("\"x\"=" + k[0], in, "[{\"x\"}]", out, null);
            String what = "x=" + k[0] + " " + ReshapeCase.type(in) + " -> " + ReshapeCase.type(out);
            assertThat(c.reshapeSharding()).as(what).isEqualTo(k[3]);
            assertThat(c.collectives()).as(what).isEqualTo(k[4]);
            assertThat(c.maxBytesReceived()).as(what).isEqualTo(k[5]);
        }
    }

    /**
     * On x=2, y=3: [24] on ("x", "y") to [4,6] keeps x on the major factor 4 (2 divides it) and gathers y, whose 3 shares
     * nothing with the 2 left; on ("y", "x") the first axis already shares nothing with 4, so nothing stays.
     */
    @Test
    void twoAxesStopAtTheFirstThatSharesNothing() {
        ReshapeCase xy = ReshapeCase.of("\"x\"=2, \"y\"=3", new long[] {24}, "[{\"x\", \"y\"}]", new long[] {4, 6}, null);
        assertThat(xy.reshapeSharding()).isEqualTo("[{\"x\"}, {}]");
        assertThat(xy.collectives()).containsExactly("all_gather [[0, 1, 2], [3, 4, 5]]");
        ReshapeCase yx = ReshapeCase.of("\"x\"=2, \"y\"=3", new long[] {24}, "[{\"y\", \"x\"}]", new long[] {4, 6}, null);
        assertThat(yx.reshapeSharding()).isEqualTo("[{}, {}]");
        assertThat(yx.collectives()).containsExactly("all_gather [[0, 3, 1, 4, 2, 5]]");
    }

    /**
     * On x=2, y=3, [4,6] with no annotation to [2,6,2] annotated [{}, {"x", "y"}, {}]: factors i=2 (operand dim 0, result
     * dim 0), j=2 (operand dim 0, result dim 1), k=3 (operand dim 1, result dim 1), l=2 (operand dim 1, result dim 2).
     * The result's x shards j and y shards k, but j follows the unsplit i in the operand's dim 0, so the partitioner
     * keeps neither (and k then follows a j not split in the result). Propagation mirrors that: the operand is left
     * unsplit rather than given {"y"} (which used to be all-gathered back); the reshape is computed whole and each device
     * slices its block of the result locally: no collective. Propagation reports both stops as NOT_EXPRESSIBLE.
     */
    @Test
    void aFreeOperandIsNotGivenAxesThePartitionerCannotKeep() {
        ReshapeCase c = ReshapeCase.of("\"x\"=2, \"y\"=3", new long[] {4, 6}, null, new long[] {2, 6, 2}, "[{}, {\"x\", \"y\"}, {}]");
        assertThat(c.program().argShardings().getFirst().toString()).isEqualTo("#sdy.sharding<@mesh, [{}, {}]>");
        assertThat(c.collectives()).isEmpty();
        assertThat(c.reshapeSharding()).isEqualTo("[{}, {\"x\", \"y\"}, {}]");
        assertThat(c.printed()).contains("(tensor<4x6xf32>) -> tensor<2x6x2xf32>");
        assertThat(c.conflicts()).extracting(ShardingConflict::kind)
                .containsExactly(ShardingConflict.Kind.NOT_EXPRESSIBLE, ShardingConflict.Kind.NOT_EXPRESSIBLE);
        assertThat(c.conflicts().get(1).describe()).contains("factor k (size 3) follows, in another tensor of this op, a major factor");
    }

    /**
     * The MoE layer's reshapes stay split with no collective: tokens [B,S,H] <-> [B*S,H] with B split (over one axis, over
     * two, and with S split too), expert buffers [E,C,H] <-> [E*C,H] with E split.
     */
    @Test
    void moeReshapesStaySplitWithNoCollective() {
        Object[][] cases = {
                {"\"dp\"=2", new long[] {4, 6, 8}, "[{\"dp\"}, {}, {}]", new long[] {24, 8}, "[{\"dp\"}, {}]"},
                {"\"dp\"=2", new long[] {24, 8}, "[{\"dp\"}, {}]", new long[] {4, 6, 8}, "[{\"dp\"}, {}, {}]"},
                {"\"dp\"=2, \"fsdp\"=2", new long[] {4, 6, 8}, "[{\"dp\", \"fsdp\"}, {}, {}]", new long[] {24, 8}, "[{\"dp\", \"fsdp\"}, {}]"},
                {"\"dp\"=2, \"fsdp\"=2", new long[] {24, 8}, "[{\"dp\", \"fsdp\"}, {}]", new long[] {4, 6, 8}, "[{\"dp\", \"fsdp\"}, {}, {}]"},
                {"\"dp\"=2, \"sp\"=3", new long[] {2, 6, 8}, "[{\"dp\"}, {\"sp\"}, {}]", new long[] {12, 8}, "[{\"dp\", \"sp\"}, {}]"},
                {"\"dp\"=2, \"sp\"=3", new long[] {12, 8}, "[{\"dp\", \"sp\"}, {}]", new long[] {2, 6, 8}, "[{\"dp\"}, {\"sp\"}, {}]"},
                {"\"ep\"=4", new long[] {4, 6, 8}, "[{\"ep\"}, {}, {}]", new long[] {24, 8}, "[{\"ep\"}, {}]"},
                {"\"ep\"=4", new long[] {24, 8}, "[{\"ep\"}, {}]", new long[] {4, 6, 8}, "[{\"ep\"}, {}, {}]"},
                {"\"ep\"=2, \"tp\"=2", new long[] {4, 6, 8}, "[{\"ep\"}, {}, {\"tp\"}]", new long[] {24, 8}, "[{\"ep\"}, {\"tp\"}]"},
        };
        for (Object[] k : cases) {
            ReshapeCase c = ReshapeCase.of((String) k[0], (long[]) k[1], (String) k[2], (long[]) k[3], null);
            String what = k[0] + " " + ReshapeCase.type((long[]) k[1]) + " " + k[2];
            assertThat(c.reshapeSharding()).as(what).isEqualTo(k[4]);
            assertThat(c.collectives()).as(what).isEmpty();
            assertThat(c.program().report().entries()).as(what).isEmpty();
        }
    }
}
