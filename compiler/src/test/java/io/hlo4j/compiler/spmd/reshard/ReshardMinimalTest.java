package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.mesh;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Under the {@link ReshardCost#TIGHT} objective, devices that already hold what their target block needs receive
 * nothing: every device receives at most the bytes of its target block that its source block lacks, counted directly
 * from the runtime's split of an index array.
 */
class ReshardMinimalTest {
    static final MeshAttr XYZ = mesh("x", 2, "y", 2, "z", 2);
    static final TensorType T = f32(8, 8);

    @Test
    void rowsByYToRowsByXColumnsByZMovesOnlyToDevicesLackingRows() {
        ReshardPlan p = check(XYZ, T, spec("y", ""), spec("x", "z"), ReshardCost.TIGHT);
        // device = 4x + 2y + z; a device with x == y holds rows [4x, 4x+4) and slices its columns locally; one with
        // x != y lacks its whole 4x4 f32 target block (64 B)
        assertThat(p.bytesPerDevice()).containsExactly(0, 0, 64, 64, 64, 64, 0, 0);
        assertThat(p.bytesPerDevice()).containsExactly(lacking(XYZ, T, spec("y", ""), spec("x", "z")));
    }

    /** Every pair of the 49 shardings of a rank-2 tensor on the 2x2x2 mesh (each axis on one dim at most, any order). */
    @Test
    void everyPairOnTwoByTwoByTwoMovesNoMoreThanEachDeviceLacks() {
        List<TensorSharding> all = shardings(List.of("x", "y", "z"));
        assertThat(all).hasSize(49);
        List<String> over = new ArrayList<>();
        for (TensorSharding from : all) {
            for (TensorSharding to : all) {
                ReshardPlan p = check(XYZ, T, from, to, ReshardCost.TIGHT); // values equal the global array, measured bytes equal the plan's
                long[] got = p.bytesPerDevice(), need = lacking(XYZ, T, from, to);
                for (int d = 0; d < got.length; d++) {
                    if (got[d] > need[d]) {
                        over.add(p + "\n  device " + d + " receives " + got[d] + " B, lacks " + need[d] + " B");
                        break;
                    }
                }
            }
        }
        assertThat(over).as(String.join("\n", over)).isEmpty();
    }

    /** Per device: f32 elements of its target block not in its source block, times 4 bytes. */
    static long[] lacking(MeshAttr mesh, TensorType type, TensorSharding from, TensorSharding to) {
        return ReshardHarness.lacking(mesh, from, mesh, to, type);
    }

    /** Each axis on dim 0, dim 1 or neither; every order within a dim. */
    static List<TensorSharding> shardings(List<String> axes) {
        List<TensorSharding> out = new ArrayList<>();
        int n = axes.size(), combos = (int) Math.pow(3, n);
        for (int c = 0; c < combos; c++) {
            List<String> d0 = new ArrayList<>(), d1 = new ArrayList<>();
            for (int i = 0, r = c; i < n; i++, r /= 3) {
                if (r % 3 == 0) d0.add(axes.get(i));
                if (r % 3 == 1) d1.add(axes.get(i));
            }
            for (List<String> a : orders(d0)) for (List<String> b : orders(d1)) out.add(spec(String.join(",", a), String.join(",", b)));
        }
        return out;
    }

    private static List<List<String>> orders(List<String> xs) {
        if (xs.isEmpty()) return List.of(List.of());
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            List<String> rest = new ArrayList<>(xs);
            String head = rest.remove(i);
            for (List<String> tail : orders(rest)) {
                List<String> o = new ArrayList<>();
                o.add(head);
                o.addAll(tail);
                out.add(o);
            }
        }
        return out;
    }
}
