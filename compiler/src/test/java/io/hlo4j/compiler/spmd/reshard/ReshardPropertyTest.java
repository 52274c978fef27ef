package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.mesh;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.model;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random pairs of shardings (full axes and sub-axes, any order, some with pending sums) on meshes of 8 and 16
 * devices: the emitted reshard, run on simulated devices, leaves every device exactly its block of the target, and
 * moves exactly the bytes the plan claims, never more than gathering everything and slicing again.
 */
class ReshardPropertyTest {
    @Test
    void randomPairsOnEightDevices() {
        List<MeshAttr> meshes = List.of(mesh("x", 8), mesh("x", 4, "y", 2), mesh("a", 2, "b", 2, "c", 2),
                model(1, 2, 2, 2, 1), model(2, 1, 2, 1, 2), model(1, 1, 2, 2, 2), model(2, 2, 1, 1, 2),
                new MeshAttr(List.of(new MeshAttr.Axis("x", 2), new MeshAttr.Axis("y", 4)), List.of(3L, 6L, 0L, 5L, 1L, 7L, 2L, 4L)));
        int seed = 1;
        for (MeshAttr m : meshes) pairs(m, f32(8, 8, 8), new Random(seed++), 16);
    }

    @Test
    void randomPairsOnEveryFiveAxisFactorisationOfEight() {
        int seed = 50;
        for (int[] f : ExpertMeshReshardTest.factorisations(8)) pairs(model(f[0], f[1], f[2], f[3], f[4]), f32(8, 8, 8), new Random(seed++), 2);
    }

    @Test
    void randomPairsOnSixteenDevices() {
        List<MeshAttr> meshes = List.of(mesh("x", 4, "y", 4), mesh("a", 2, "b", 2, "c", 2, "d", 2), model(2, 2, 1, 2, 2));
        int seed = 100;
        for (MeshAttr m : meshes) pairs(m, f32(16, 16), new Random(seed++), 12);
    }

    private static void pairs(MeshAttr mesh, TensorType type, Random rnd, int count) {
        for (int i = 0; i < count; i++) {
            TensorSharding from = random(mesh, type, rnd, true);
            TensorSharding to = rnd.nextInt(4) == 0 ? keepPartial(from, mesh, type, rnd) : random(mesh, type, rnd, false);
            ReshardPlan p = check(mesh, type, from, to);
            long gatherAll = type.numElements() * 4; // upper bound: receive the whole tensor
            assertThat(p.maxBytes()).as(p.toString()).isLessThanOrEqualTo(from.unreducedAxes().isEmpty() ? gatherAll : 2 * gatherAll);
        }
    }

    /** A random valid sharding: each axis unused, whole, or cut into two sub-axes; pieces placed on random dims. */
    static TensorSharding random(MeshAttr mesh, TensorType type, Random rnd, boolean allowPartial) {
        while (true) {
            List<AxisRef> pieces = new ArrayList<>();
            for (MeshAttr.Axis a : mesh.axes()) {
                int choice = rnd.nextInt(a.size() >= 4 ? 4 : 3);
                if (choice == 1 || choice == 2) pieces.add(AxisRef.of(a.name()));
                if (choice == 3) {
                    if (rnd.nextBoolean()) pieces.add(AxisRef.sub(a.name(), 1, 2));
                    if (rnd.nextBoolean()) pieces.add(AxisRef.sub(a.name(), 2, a.size() / 2));
                }
            }
            Collections.shuffle(pieces, rnd);
            List<List<AxisRef>> dims = new ArrayList<>();
            for (int d = 0; d < type.rank(); d++) dims.add(new ArrayList<>());
            List<AxisRef> unreduced = new ArrayList<>();
            for (AxisRef p : pieces) {
                int d = rnd.nextInt(type.rank() + 1);
                if (d < type.rank()) dims.get(d).add(p);
                else if (allowPartial && rnd.nextInt(3) == 0) unreduced.add(p);
            }
            TensorSharding s = ReshardHarness.of(dims, unreduced);
            if (divisible(mesh, type, s)) return s;
        }
    }

    /** A random target keeping (some of) the pending sums of {@code from}. */
    private static TensorSharding keepPartial(TensorSharding from, MeshAttr mesh, TensorType type, Random rnd) {
        if (from.unreducedAxes().isEmpty()) return random(mesh, type, rnd, false);
        while (true) {
            TensorSharding t = random(mesh, type, rnd, false);
            List<List<AxisRef>> dims = new ArrayList<>();
            for (int d = 0; d < type.rank(); d++) {
                List<AxisRef> keep = new ArrayList<>(t.axesOfDim(d));
                keep.removeIf(a -> from.unreducedAxes().stream().anyMatch(u -> u.name().equals(a.name())));
                dims.add(keep);
            }
            TensorSharding s = ReshardHarness.of(dims, from.unreducedAxes());
            if (divisible(mesh, type, s)) return s;
        }
    }

    private static boolean divisible(MeshAttr mesh, TensorType type, TensorSharding s) {
        for (int d = 0; d < type.rank(); d++) {
            long n = 1;
            for (AxisRef a : s.axesOfDim(d)) n *= a.size(mesh);
            if (type.dim(d) % n != 0) return false;
        }
        return true;
    }
}
