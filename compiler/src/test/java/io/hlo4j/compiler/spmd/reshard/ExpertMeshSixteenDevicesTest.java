package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ExpertMeshReshardTest.ACT;
import static io.hlo4j.compiler.spmd.reshard.ExpertMeshReshardTest.expertAct;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.check;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.model;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ExpertMeshReshardTest} on a sample of 16-device model meshes, run on 16 simulated devices: the default plans
 * and the {@link ReshardCost#TIGHT} ones; the TIGHT ones move at most the lower bound, the default ones are never
 * slower under the model.
 */
class ExpertMeshSixteenDevicesTest {
    @Test
    void activationsOnSixteenDevices() {
        TensorType act = f32(16, 8, 8);
        for (int[] f : List.of(new int[] {2, 2, 2, 2, 1}, new int[] {2, 2, 1, 2, 2}, new int[] {1, 2, 2, 2, 2}, new int[] {4, 2, 1, 1, 2})) {
            MeshAttr m = model(f[0], f[1], f[2], f[3], f[4]);
            for (ExpertMeshReshardTest.View v : List.of(new ExpertMeshReshardTest.View(true, true), new ExpertMeshReshardTest.View(false, false))) {
                for (TensorSharding[] dir : List.of(new TensorSharding[] {ACT, expertAct(v)}, new TensorSharding[] {expertAct(v), ACT})) {
                    ReshardPlan tight = check(m, act, dir[0], dir[1], ReshardCost.TIGHT), def = check(m, act, dir[0], dir[1]);
                    assertThat(tight.maxBytes()).as(tight.toString()).isLessThanOrEqualTo(tight.lowerBoundBytes());
                    assertThat(ReshardCost.DEFAULT.seconds(def)).as(def + "\n  against " + tight).isLessThanOrEqualTo(ReshardCost.DEFAULT.seconds(tight));
                }
            }
        }
    }

}
