package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.model;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static io.hlo4j.compiler.spmd.reshard.ReshardLatencyTest.kinds;
import static io.hlo4j.compiler.spmd.reshard.ReshardLatencyTest.latencyBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The default objective (least modeled time over all moves, every block within 2 x the larger of the source and
 * target blocks) against {@link ReshardCost#TIGHT} (no device receives more than it lacks where possible), on
 * hand-computed cases, each run on simulated devices.
 */
class ReshardObjectiveTest {
    static final MeshAttr XYZ = ReshardMinimalTest.XYZ;
    static final TensorType T = ReshardMinimalTest.T;

    @Test
    void defaultsAndRefusals() {
        assertThat(ReshardCost.DEFAULT.objective()).isEqualTo(ReshardCost.Objective.TIME);
        assertThat(ReshardCost.DEFAULT.maxGrowth()).isEqualTo(2);
        assertThat(ReshardCost.TIGHT).isEqualTo(new ReshardCost(5e-6, 450e9, ReshardCost.Objective.TIGHT, 2));
        assertThat(ReshardCost.BYTES_ONLY.tight().time()).isEqualTo(ReshardCost.BYTES_ONLY);
        assertThat(ReshardCost.DEFAULT.capBytes(32, 128)).isEqualTo(256);
        assertThat(ReshardCost.DEFAULT.withMaxGrowth(1.5).capBytes(100, 10)).isEqualTo(150);
        assertThat(ReshardCost.DEFAULT.withMaxGrowth(Double.POSITIVE_INFINITY).capBytes(100, 10)).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> ReshardCost.DEFAULT.withMaxGrowth(0.5)).hasMessageContaining("maxGrowth").hasMessageContaining("0.5");
        assertThatThrownBy(() -> ReshardCost.DEFAULT.withMaxGrowth(Double.NaN)).hasMessageContaining("maxGrowth").hasMessageContaining("NaN");
        assertThatThrownBy(() -> new ReshardCost(1e-6, 1e9, null, 2)).hasMessageContaining("objective");
    }

    /**
     * {@code [{x,y,z}, {}] -> [{}, {x}]} on 2x2x2, f32[8,8]: each device holds one 32-byte row and needs an 8x4 block
     * (128 B), of which it holds 16 B. TIGHT: the exchange of 16-byte cells, 112 B into every device (what it lacks),
     * in 7 rounds (each device sends and receives 7 cells; see ReshardExchangeRoundsTest): 7 alpha + 112 B / beta =
     * 35.00025 us. Default: one all_gather of the rows over all 8 devices (7 x 32 = 224 B into
     * every device; the full 256-byte tensor is 2 x the 128-byte target block, at the cap) and a free slice:
     * alpha + 224 B / beta = 5.0005 us.
     */
    @Test
    void theSevenRoundExchangeBecomesOneAllGatherAndASlice() {
        TensorSharding from = spec("x,y,z", ""), to = spec("", "x");
        ReshardPlan tight = check(XYZ, T, from, to, ReshardCost.TIGHT);
        assertThat(tight.steps()).singleElement().isInstanceOf(ReshardStep.Exchange.class);
        assertThat(tight.collectives()).isEqualTo(7);
        assertThat(tight.peakBlockBytes()).isEqualTo(128);
        assertThat(tight.bytesPerDevice()).containsOnly(112).containsExactly(ReshardMinimalTest.lacking(XYZ, T, from, to));
        assertThat(tight.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(7 * 5e-6 + 112 / 450e9, within(1e-15));

        ReshardPlan def = check(XYZ, T, from, to);
        assertThat(kinds(def)).containsExactly(ReshardStep.AllGather.class, ReshardStep.LocalSlice.class);
        ReshardStep.AllGather g = (ReshardStep.AllGather) def.steps().get(0);
        assertThat(g.dim()).isZero();
        assertThat(g.axes()).containsExactly(AxisRef.of("x"), AxisRef.of("y"), AxisRef.of("z"));
        assertThat(def.bytesPerDevice()).containsOnly(224);
        assertThat(def.peakBlockBytes()).isEqualTo(256);
        assertThat(def.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(5e-6 + 224 / 450e9, within(1e-15));
        assertThat(ReshardPlanner.plan(XYZ, T, from, to)).hasToString(def.toString()); // the partitioner's entry point plans the same
    }

    /**
     * The same reshard with alpha x beta = L bytes: all_gather + slice costs L + 224; all_to_all of the rows' columns
     * over (x, y, z) (7/8 x 32 = 28 B) and then all_gather of dim 1 over (y, z) (3 x 32 = 96 B) costs 2L + 124. The
     * crossover is at L = 100; at 50 the two collectives win, at 200 the one. The 7-round exchange costs 7L + 112: it
     * wins only below L = 12/5 bytes, as at alpha = 0.
     */
    @Test
    void betweenOneGatherAndAllToAllPlusGatherTheCrossoverIsAtOneHundredBytes() {
        TensorSharding from = spec("x,y,z", ""), to = spec("", "x");
        ReshardPlan two = check(XYZ, T, from, to, latencyBytes(50));
        assertThat(kinds(two)).containsExactly(ReshardStep.AllToAll.class, ReshardStep.AllGather.class);
        assertThat(two.steps().get(0).bytesPerDevice()).containsOnly(28);
        assertThat(two.steps().get(1).bytesPerDevice()).containsOnly(96);
        assertThat(two.estimatedSeconds(latencyBytes(50))).isCloseTo((2 * 50 + 124) * 1e-9, within(1e-15));
        assertThat(two.peakBlockBytes()).isEqualTo(128);
        ReshardPlan one = check(XYZ, T, from, to, latencyBytes(200));
        assertThat(kinds(one)).containsExactly(ReshardStep.AllGather.class, ReshardStep.LocalSlice.class);
        assertThat(one.estimatedSeconds(latencyBytes(200))).isCloseTo((200 + 224) * 1e-9, within(1e-15));
        // at alpha = 0 both objectives take the exchange: its 7 rounds each cost one 16-byte cell, 112 B in all,
        // under the 124 B of all_to_all + all_gather (the greedy 14-round schedule used to cost more than 124 B)
        for (ReshardCost c : List.of(ReshardCost.BYTES_ONLY, ReshardCost.BYTES_ONLY.tight())) {
            ReshardPlan least = check(XYZ, T, from, to, c);
            assertThat(least.steps()).singleElement().isInstanceOf(ReshardStep.Exchange.class);
            assertThat(least.busiestBytesPerCollective()).isEqualTo(112);
            assertThat(least.maxBytes()).isEqualTo(112);
        }
        // and from L = 3 bytes on, all_to_all + all_gather again (2 x 3 + 124 = 130 < 7 x 3 + 112 = 133)
        assertThat(kinds(check(XYZ, T, from, to, latencyBytes(3)))).containsExactly(ReshardStep.AllToAll.class, ReshardStep.AllGather.class);
        assertThat(kinds(ReshardPlanner.plan(XYZ, T, from, to, Location.UNKNOWN, latencyBytes(2)))).containsExactly(ReshardStep.Exchange.class);
    }

    /**
     * {@code [{x,y,z}, {}] -> [{}, {x,y}]}: the target block is 8x2 (64 B), so the cap is 128 B and the full 256-byte
     * tensor is over it. Without the cap, all_gather + slice (alpha + 224 B / beta) would win; under it, all_to_all
     * (28 B) and all_gather over z (32 B): 2 alpha + 60 B / beta, never holding more than 64 B. Raising the cap to 4
     * lets the gather back in.
     */
    @Test
    void theCapKeepsTheFullTensorOutWhereItIsOverTwiceTheLargerBlock() {
        TensorSharding from = spec("x,y,z", ""), to = spec("", "x,y");
        ReshardPlan capped = check(XYZ, T, from, to);
        assertThat(kinds(capped)).containsExactly(ReshardStep.AllToAll.class, ReshardStep.AllGather.class);
        assertThat(((ReshardStep.AllGather) capped.steps().get(1)).axes()).containsExactly(AxisRef.of("z"));
        assertThat(capped.bytesPerDevice()).containsOnly(60);
        assertThat(capped.peakBlockBytes()).isEqualTo(64);
        assertThat(capped.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(10e-6 + 60 / 450e9, within(1e-15));
        for (ReshardCost loose : List.of(ReshardCost.DEFAULT.withMaxGrowth(4), ReshardCost.DEFAULT.withMaxGrowth(Double.POSITIVE_INFINITY))) {
            ReshardPlan p = check(XYZ, T, from, to, loose);
            assertThat(kinds(p)).containsExactly(ReshardStep.AllGather.class, ReshardStep.LocalSlice.class);
            assertThat(p.peakBlockBytes()).isEqualTo(256);
            assertThat(p.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(5e-6 + 224 / 450e9, within(1e-15))
                    .isLessThan(capped.estimatedSeconds(ReshardCost.DEFAULT));
        }
    }

    /**
     * On dp=2, fsdp=4 the 5D -> 3D move P((fsdp, dp)) -> P(dp) of f32[8,8,8]: TIGHT permutes one 256-byte row into 4
     * devices and gathers over fsdp's halves (2 alpha + 1024 B / beta); the default gathers all 8 rows (1792 B into
     * every device; the full 2 KiB tensor is 2 x the 1 KiB target block) and slices: alpha + 1792 B / beta.
     */
    @Test
    void fiveToThreeDOnTwoByFourIsOneAllGatherAndASlice() {
        MeshAttr m = model(2, 4, 1, 1, 1);
        TensorType t = f32(8, 8, 8);
        ReshardPlan def = check(m, t, ExpertMeshReshardTest.ACT, spec("dp", "", ""));
        assertThat(kinds(def)).containsExactly(ReshardStep.AllGather.class, ReshardStep.LocalSlice.class);
        assertThat(((ReshardStep.AllGather) def.steps().get(0)).axes()).containsExactly(AxisRef.of("fsdp"), AxisRef.of("dp"));
        assertThat(def.bytesPerDevice()).containsOnly(1792);
        assertThat(def.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(5e-6 + 1792 / 450e9, within(1e-15));
        ReshardPlan tight = ReshardPlanner.plan(m, t, ExpertMeshReshardTest.ACT, spec("dp", "", ""), Location.UNKNOWN, ReshardCost.TIGHT);
        assertThat(tight.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(10e-6 + 1024 / 450e9, within(1e-15));
        // for a tensor of T bytes: 2L + T/2 (permute + gather) against L + 7T/8: bytes win past T = 8L/3 = 6 MB
        ReshardPlan big = ReshardPlanner.plan(m, f32(8, 512, 512), ExpertMeshReshardTest.ACT, spec("dp", "", ""));
        assertThat(kinds(big)).containsExactly(ReshardStep.CollectivePermute.class, ReshardStep.AllGather.class);
        assertThat(big.busiestBytesPerCollective()).isEqualTo((8 << 20) / 2);
        ReshardPlan below = ReshardPlanner.plan(m, f32(8, 256, 512), ExpertMeshReshardTest.ACT, spec("dp", "", ""));
        assertThat(kinds(below)).containsExactly(ReshardStep.AllGather.class, ReshardStep.LocalSlice.class);
        assertThat(below.busiestBytesPerCollective()).isEqualTo((4 << 20) / 8 * 7);
    }

    /**
     * On x=4, y=2, f32[8,8,8] from [{x}, {y}, {}] to [{y}, {x}, {}] (256-byte blocks of two 128-byte cells; device
     * (x, y) holds cells (x, 2y), (x, 2y+1) and needs (2y, x), (2y+1, x), so the 4 devices with x / 2 = y lack 128 B
     * and the others 256 B): both objectives exchange the cells in 2 rounds (every device sends and receives at most
     * 2 cells), 2 alpha + 256 B / beta. The next best moves the minor half of x to dim 1 with an all_to_all
     * (1/2 x 256 = 128 B) and permutes to the target (256 B): 2 alpha + 384 B / beta.
     */
    @Test
    void swappingDimsOnFourByTwoIsATwoRoundExchange() {
        MeshAttr m = ReshardHarness.mesh("x", 4, "y", 2);
        TensorType t = f32(8, 8, 8);
        ReshardPlan tight = check(m, t, spec("x", "y", ""), spec("y", "x", ""), ReshardCost.TIGHT);
        assertThat(tight.steps()).singleElement().isInstanceOf(ReshardStep.Exchange.class);
        assertThat(tight.collectives()).isEqualTo(2);
        assertThat(tight.maxBytes()).isEqualTo(256).isEqualTo(tight.lowerBoundBytes());
        assertThat(tight.bytesPerDevice()).containsExactly(ReshardMinimalTest.lacking(m, t, spec("x", "y", ""), spec("y", "x", "")));
        ReshardPlan def = check(m, t, spec("x", "y", ""), spec("y", "x", ""));
        assertThat(def.toString()).isEqualTo(tight.toString());
        assertThat(def.estimatedSeconds(ReshardCost.DEFAULT)).isCloseTo(10e-6 + 256 / 450e9, within(1e-15));
    }
}
