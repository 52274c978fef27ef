package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.compiler.spmd.partition.DeviceGrid;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.MeshCoordinates;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MeshAtoms} reads each device's coordinate on an atom through {@link MeshCoordinates} (the rule the runtime's
 * shard layout and the partitioner's {@link DeviceGrid} use) and keeps a stride in mesh positions to form collective
 * groups. Here, on random meshes (sizes 2 to 6, permuted device_ids) cut by random sub-axes: the coordinate equals
 * both {@code MeshCoordinates.coordinate} of the atom's reference and {@code position / stride % size}, the block
 * index over a list of atoms is {@link DeviceGrid#index}'s over their references, and the groups over them are
 * {@link DeviceGrid#groups}'.
 */
class MeshAtomsCoordinatesTest {
    @Test
    void atomCoordinatesStridesAndGroupsAgreeWithTheMeshTypesRule() {
        Random r = new Random(1129);
        int checked = 0;
        for (int it = 0; it < 60; it++) {
            MeshAttr mesh = CrossMeshChoiceTest.randomMesh(new int[] {4, 6, 8, 12, 16, 24}[r.nextInt(6)], r, "m");
            // one dimension sharded on a sub-axis of the first axis whose size is composite (cuts the atoms), the rest whole
            List<List<AxisRef>> dims = new ArrayList<>(List.of(new ArrayList<>(), new ArrayList<>()));
            for (MeshAttr.Axis a : mesh.axes()) {
                long split = smallestFactor(a.size());
                if (split < a.size() && dims.get(0).isEmpty()) dims.get(0).add(AxisRef.part(a.name(), 1, split, a.size()));
                else dims.get(1).add(AxisRef.of(a.name()));
            }
            TensorSharding s = ReshardHarness.of(dims, List.of());
            long[] shape = {mesh.totalSize() * 4, mesh.totalSize() * 4};
            for (boolean primes : new boolean[] {false, true}) {
                MeshAtoms m = MeshAtoms.of(mesh, shape, List.of(s), "t", Location.UNKNOWN, primes);
                DeviceGrid grid = new DeviceGrid(mesh);
                for (int dev = 0; dev < m.devices; dev++) {
                    long pos = m.positionOfDevice[dev];
                    assertThat(mesh.deviceOrder().get((int) pos)).isEqualTo(dev);
                    long[] coords = MeshCoordinates.of(mesh, pos);
                    for (int k = 0; k < m.atoms.size(); k++) {
                        MeshAtoms.Atom a = m.atoms.get(k);
                        assertThat(m.coord[dev][k]).as(mesh + " atom " + a + " device " + dev)
                                .isEqualTo(MeshCoordinates.coordinate(mesh, a.ref(), coords))
                                .isEqualTo(pos / a.stride() % a.size())
                                .isEqualTo(grid.index(dev, a.ref()));
                        checked++;
                    }
                }
                for (int d = 0; d < 2; d++) {
                    List<Integer> ids = m.expand(s.axesOfDim(d));
                    for (int dev = 0; dev < m.devices; dev++) assertThat(m.linear(dev, ids)).isEqualTo(grid.index(dev, s.axesOfDim(d)));
                    assertThat(m.groups(ids)).as(mesh + " groups over " + s.axesOfDim(d)).isDeepEqualTo(grid.groups(s.axesOfDim(d)));
                }
            }
        }
        assertThat(checked).isGreaterThan(1000);
    }

    private static long smallestFactor(long n) {
        for (long p = 2; p * p <= n; p++) if (n % p == 0) return p;
        return n;
    }
}
