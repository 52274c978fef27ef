package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/**
 * The block of a global array a device must hold under a sharding, written independently of the partitioner and of
 * {@code SpmdRunner}'s {@code ShardLayout}: the device's mesh position is its index in the mesh's device order,
 * its coordinates row-major; a whole axis contributes its coordinate, a sub-axis {@code "a":(pre)size} of an axis of
 * size N the digit {@code (c / (N / (pre * size))) % size} of a's coordinate; a dimension's block index is row-major
 * over its axes, major first.
 */
final class BlockOracle {
    private BlockOracle() {}

    static long[] coords(MeshAttr mesh, int device) {
        List<Long> order = mesh.deviceOrder();
        long pos = order.indexOf((long) device);
        if (pos < 0) throw new AssertionError("device " + device + " not in mesh " + mesh.body());
        long[] c = new long[mesh.axes().size()];
        for (int a = c.length - 1; a >= 0; a--) {
            long s = mesh.axes().get(a).size();
            c[a] = pos % s;
            pos /= s;
        }
        return c;
    }

    private static long digit(MeshAttr mesh, long[] coords, AxisRef r) {
        int a = mesh.axisNames().indexOf(r.name());
        long n = mesh.axes().get(a).size();
        if (!r.isSubAxis()) return coords[a];
        return (coords[a] / (n / (r.preSize() * r.size()))) % r.size();
    }

    /** Device {@code device}'s block of {@code global} under {@code s}, as raw bits (replicas hold the same block). */
    static HostArray block(HostArray global, MeshAttr mesh, TensorSharding s, int device) {
        long[] shape = global.shape(), c = coords(mesh, device), local = shape.clone(), start = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            long n = 1, idx = 0;
            for (AxisRef r : s.axesOfDim(d)) {
                long size = r.size(mesh);
                n *= size;
                idx = idx * size + digit(mesh, c, r);
            }
            if (shape[d] % n != 0) throw new AssertionError("dimension " + d + " of " + global.type() + " is not divisible by " + s);
            local[d] = shape[d] / n;
            start[d] = idx * local[d];
        }
        TensorType lt = TensorType.of(global.elementType(), local);
        int size = (int) lt.numElements();
        long[] bits = new long[size], idx = new long[shape.length];
        for (int i = 0; i < size; i++) {
            long rem = i;
            for (int d = shape.length - 1; d >= 0; d--) { idx[d] = start[d] + rem % local[d]; rem /= local[d]; }
            int flat = 0;
            for (int d = 0; d < shape.length; d++) flat = (int) (flat * shape[d] + idx[d]);
            bits[i] = global.getBits(flat);
        }
        return HostArray.fromBits(lt, bits);
    }
}
