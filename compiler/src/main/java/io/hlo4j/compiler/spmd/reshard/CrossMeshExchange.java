package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * A move between shardings on two meshes over the same devices that neither mesh's axes can express in the other's
 * (so it cannot be planned on one mesh): an exchange of the cells common to both tilings, read off each device's
 * block on its own mesh. A device whose source block holds part of its target block keeps that part (local copies),
 * and each device receives exactly what it lacks, in as few rounds as the cells allow (see {@link CellExchange}),
 * where gathering the whole tensor on one mesh and slicing it on the other would send every device the whole tensor
 * less its block.
 */
public final class CrossMeshExchange {
    private CrossMeshExchange() {}

    /**
     * The exchange from {@code from} (on {@code fromMesh}) to {@code to} (on {@code toMesh}), or null where it does not
     * apply: a sharding with unreduced axes, a dimension whose two block counts do not divide one another, or more
     * than {@link PlanSearch#MAX_EXCHANGE_CELLS} cells per target block. Meshes of different device counts are refused.
     */
    public static ReshardStep.Exchange plan(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                                            Location loc) {
        String tensor = "cross-mesh move of " + global;
        if (fromMesh.totalSize() != toMesh.totalSize()) {
            throw new ReshardException(tensor + ": " + fromMesh.body() + " has " + fromMesh.totalSize() + " devices, " + toMesh.body()
                    + " has " + toMesh.totalSize() + "; an exchange needs the same devices", loc);
        }
        if (!from.unreducedAxes().isEmpty() || !to.unreducedAxes().isEmpty()) return null;
        Layouts a = new Layouts(MeshAtoms.of(fromMesh, global.shape(), List.of(from), tensor, loc), global);
        Layouts b = new Layouts(MeshAtoms.of(toMesh, global.shape(), List.of(to), tensor, loc), global);
        Layouts.State s = a.stateOf(from), t = b.stateOf(to);
        int rank = global.rank(), n = a.m.devices;
        long[] sCount = new long[rank], tCount = new long[rank];
        long[][] sBlock = new long[n][rank], tBlock = new long[n][rank];
        long cells = 1;
        for (int d = 0; d < rank; d++) {
            sCount[d] = a.m.size(s.dims().get(d));
            tCount[d] = b.m.size(t.dims().get(d));
            long big = Math.max(sCount[d], tCount[d]);
            if (big % Math.min(sCount[d], tCount[d]) != 0) return null;
            cells *= big / tCount[d];
            for (int dev = 0; dev < n; dev++) {
                sBlock[dev][d] = a.m.linear(dev, s.dims().get(d));
                tBlock[dev][d] = b.m.linear(dev, t.dims().get(d));
            }
        }
        if (rank == 0 || cells > PlanSearch.MAX_EXCHANGE_CELLS) return null;
        return CellExchange.plan(global, sCount, sBlock, tCount, tBlock);
    }

    /** Emits the exchange on {@code local} (a block of its source layout) and returns the target block, or null where {@link #plan} is null. */
    public static Value emit(IrBuilder b, Value local, MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to,
                             TensorType global, LongSupplier channels, Location loc) {
        ReshardStep.Exchange x = plan(fromMesh, from, toMesh, to, global, loc);
        return x == null ? null : ReshardEmitter.emitExchange(x, b, local, channels, loc);
    }
}
