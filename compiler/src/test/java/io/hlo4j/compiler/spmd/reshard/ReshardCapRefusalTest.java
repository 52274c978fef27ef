package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.mesh;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The memory cap's refusal. The tightest cap a {@link ReshardCost} allows is {@code withMaxGrowth(1)}: no block
 * larger than the larger of the source and target blocks. No reshard is known that has no plan under it:
 * <ul>
 *   <li>where the tilings refine to equal cells (at most 64 per target block) and the target keeps no sum pending,
 *       none can exist: an all_reduce of any pending sum keeps the source block, and the exchange then goes
 *       straight to the target, holding only the source and target blocks (its rounds write into the target block);
 *       so on power-of-two meshes every such reshard has a plan within the cap (here: all 2,401 rank-2 pairs on
 *       2x2x2 under {@code withMaxGrowth(1)});</li>
 *   <li>for the rest (3 against 2 blocks on a dimension, a sum the target keeps pending, more than 64 cells) this is
 *       not proven; a random search while writing this test (346,000 pairs of shardings, with and without pending
 *       sums, on meshes 3x2, 2x3, 2x2x2, 4x2, 6, 2x2, 2, 3x4 and 2x3x2, ranks 1 to 3, dimensions of 1 to 12) found
 *       none, because an all_to_all or a collective_permute keeps the block size and slicing shrinks it, so a
 *       plan can slice to a common refinement, reorder and gather only up to the target.</li>
 * </ul>
 * So the refusal is reached through a cap below the target block, which only a package-private entry point of the
 * planner sets; its message is the one a real refusal gives.
 */
class ReshardCapRefusalTest {
    static final Location HERE = new Location.FileLineCol("model.java", 12, 3);

    /**
     * On 2x2x2, f32[4,4] with sums pending over x and z (the whole 64-byte tensor per device) to rows split over y
     * with the sum over z still pending (32 B): the sum over x is finished by an all_reduce or a reduce_scatter, and
     * since the target keeps a sum pending no exchange applies. Under a cap of 31 B: from the 64-byte source only
     * slices are allowed (an all_reduce holds 64 B, a reduce_scatter to one split dimension 32 B); after slicing, the
     * all_reduce of the 32-byte sliced block is over the cap, and a reduce_scatter to a 16-byte block needs an
     * all_gather (32 B) to reach the target (a permute keeps the shard counts): refused. At 32 B, slice + all_reduce.
     */
    @Test
    void aCapBelowTheTargetBlockIsRefusedNamingTheTensorTheShardingsAndTheCap() {
        MeshAttr xyz = ReshardMinimalTest.XYZ;
        TensorSharding from = ReshardHarness.of(List.of(List.of(), List.of()), List.of(AxisRef.of("x"), AxisRef.of("z")));
        TensorSharding to = ReshardHarness.of(List.of(List.of(AxisRef.of("y")), List.of()), List.of(AxisRef.of("z")));
        TensorType t = f32(4, 4);
        assertThatThrownBy(() -> ReshardPlanner.plan(xyz, t, from, to, HERE, ReshardCost.DEFAULT.withMaxGrowth(1), 31))
                .isInstanceOf(ReshardException.class)
                .hasMessageContaining("reshard of tensor<4x4xf32>")
                .hasMessageContaining(from.body() + " -> " + to.body())
                .hasMessageContaining("on " + xyz.body())
                .hasMessageContaining("no plan keeps every per-device block within the cap of 31 B (source block 64 B, target block 32 B)")
                .hasMessageContaining("ReshardCost.withMaxGrowth")
                .satisfies(e -> assertThat(((ReshardException) e).location()).isEqualTo(HERE));
        assertThatThrownBy(() -> ReshardPlanner.plan(xyz, t, from, to, HERE, ReshardCost.TIGHT, 31)).hasMessageContaining("cap of 31 B");
        // at the target block's own size the slice + all_reduce fits (values checked on 8 devices: the partials add up)
        ReshardPlan at32 = ReshardPlanner.plan(xyz, t, from, to, HERE, ReshardCost.DEFAULT, 32);
        assertThat(ReshardLatencyTest.kinds(at32)).containsExactly(ReshardStep.LocalSlice.class, ReshardStep.AllReduce.class);
        ReshardHarness.run(xyz, at32);
        // and under the public caps the same reshard is planned within the larger block (64 B)
        ReshardPlan one = check(xyz, t, from, to, ReshardCost.DEFAULT.withMaxGrowth(1));
        assertThat(one.peakBlockBytes()).isEqualTo(64);
    }

    /**
     * The cases closest to a refusal under {@code withMaxGrowth(1)}: the docs' 2x2x2 example (whose one-gather plan
     * holds twice the target block) and the 3-to-2 row blocks (no exchange from the source) are planned within the
     * larger block and run; and every pair of the 49 rank-2 shardings on 2x2x2 is planned within it.
     */
    @Test
    void withMaxGrowthOneEveryPlanStaysWithinTheLargerBlock() {
        ReshardCost one = ReshardCost.DEFAULT.withMaxGrowth(1);
        ReshardPlan docs = check(ReshardMinimalTest.XYZ, ReshardMinimalTest.T, spec("x,y,z", ""), spec("", "x"), one);
        assertThat(docs.peakBlockBytes()).isEqualTo(128);
        assertThat(ReshardLatencyTest.kinds(docs)).containsExactly(ReshardStep.AllToAll.class, ReshardStep.AllGather.class);
        ReshardPlan threeToTwo = check(mesh("x", 3, "y", 2), f32(6, 6), spec("x", ""), spec("y", ""), one);
        assertThat(threeToTwo.peakBlockBytes()).isEqualTo(72); // the 3-row target block; the one-gather plan would hold 144 B
        List<String> over = new ArrayList<>();
        List<TensorSharding> all = ReshardMinimalTest.shardings(List.of("x", "y", "z"));
        for (TensorSharding from : all) {
            for (TensorSharding to : all) {
                ReshardPlan p = ReshardPlanner.plan(ReshardMinimalTest.XYZ, ReshardMinimalTest.T, from, to, Location.UNKNOWN, one);
                long larger = Math.max(ReshardHarness.bytes(p.localInput()), ReshardHarness.bytes(p.localOutput()));
                if (p.peakBlockBytes() > larger) over.add(p.toString());
            }
        }
        assertThat(over).as(String.join("\n", over)).isEmpty();
    }
}
