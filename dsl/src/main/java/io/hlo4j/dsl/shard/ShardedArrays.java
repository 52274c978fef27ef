package io.hlo4j.dsl.shard;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Concrete data under a {@link NamedSharding}: splitting a global array into the block each device holds, and
 * assembling per-device blocks back into the global array (what simulated devices need). Bit-exact for every
 * non-complex element type (elements are moved as bit patterns). Assembly refuses replicas that disagree.
 */
public final class ShardedArrays {
    private ShardedArrays() {}

    /** The block of {@code global} held by each device, indexed by device id. */
    public static List<HostArray> split(HostArray global, NamedSharding sharding) {
        refuseComplex(global.type());
        long[] shape = global.shape();
        sharding.check(shape, "array " + global.type());
        long[] local = sharding.shardShape(shape);
        TensorType localType = TensorType.of(global.elementType(), local);
        List<HostArray> out = new ArrayList<>();
        int n = (int) Arrays.stream(local).reduce(1, Math::multiplyExact);
        for (int dev = 0; dev < sharding.mesh().size(); dev++) {
            long[][] r = sharding.indexRanges(dev, shape);
            long[] bits = new long[n];
            long[] idx = new long[shape.length];
            for (int k = 0; k < n; k++) {
                long rem = k;
                for (int d = shape.length - 1; d >= 0; d--) {
                    idx[d] = r[d][0] + rem % local[d];
                    rem /= local[d];
                }
                bits[k] = global.getBits(flat(shape, idx));
            }
            out.add(HostArray.fromBits(localType, bits));
        }
        return out;
    }

    /**
     * The global array from each device's block (indexed by device id). Devices holding the same block (replicas)
     * must hold identical bits; a mismatch is an error naming both devices and the element.
     */
    public static HostArray assemble(List<HostArray> shards, NamedSharding sharding, long[] globalShape) {
        Mesh mesh = sharding.mesh();
        if (shards.size() != mesh.size()) {
            throw Mesh.fail("assemble got " + shards.size() + " shards but mesh @" + mesh.name() + " " + mesh.describe() + " has " + mesh.size() + " devices");
        }
        long[] local = sharding.shardShape(globalShape);
        TensorType type = TensorType.of(shards.get(0).elementType(), globalShape);
        refuseComplex(type);
        int total = (int) Arrays.stream(globalShape).reduce(1, Math::multiplyExact);
        long[] bits = new long[total];
        int[] owner = new int[total];
        Arrays.fill(owner, -1);
        long[] idx = new long[globalShape.length];
        for (int dev = 0; dev < shards.size(); dev++) {
            HostArray s = shards.get(dev);
            if (!Arrays.equals(s.shape(), local) || !s.elementType().equals(type.elementType())) {
                throw Mesh.fail("device " + dev + " holds " + s.type() + " but " + sharding + " of " + type + " needs "
                        + TensorType.of(type.elementType(), local));
            }
            long[][] r = sharding.indexRanges(dev, globalShape);
            for (int k = 0; k < s.size(); k++) {
                long rem = k;
                for (int d = globalShape.length - 1; d >= 0; d--) {
                    idx[d] = r[d][0] + rem % local[d];
                    rem /= local[d];
                }
                int g = flat(globalShape, idx);
                long b = s.getBits(k);
                if (owner[g] >= 0 && bits[g] != b) {
                    throw Mesh.fail("replicas disagree at global index " + Arrays.toString(idx) + ": device " + owner[g] + " holds bits 0x"
                            + Long.toHexString(bits[g]) + ", device " + dev + " holds 0x" + Long.toHexString(b));
                }
                bits[g] = b;
                owner[g] = dev;
            }
        }
        return HostArray.fromBits(type, bits);
    }

    private static int flat(long[] shape, long[] idx) {
        long f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
        return (int) f;
    }

    private static void refuseComplex(TensorType t) {
        if (t.elementType() instanceof ComplexType) throw Mesh.fail("sharding complex arrays (" + t + ") is not supported yet");
    }
}
