package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMapRun;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

/** The direct shard_map runner: split, per-device interpreter run with real collectives, assemble. */
class ShardMapRunTest {
    static HostArray f32(long[] shape, double... v) { return HostArray.fromDoubles(TensorType.of(FloatType.F32, shape), v); }

    static HostArray iota(long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return f32(shape, v);
    }

    /** psum over "x" of row blocks: every device holds the column sums of the 4 blocks; assembled replicated. */
    @Test
    void psumOfRowBlocksIsTheBlockSum() {
        Mesh m = Mesh.of(List.of("x", "y"), 4, 2);
        ShardMapRun run = ShardMapRun.trace("psum", m, List.of(PartitionSpec.of("x", "y")), List.of(PartitionSpec.of(null, "y")),
                a -> List.of(Collectives.psum(a.get(0), "x")), List.of(iota(8, 4)));
        HostArray out = run.run(List.of(iota(8, 4))).get(0);
        // rows r and r+2, r+4, r+6 summed: element (i, j) = sum_b (2b + i) * 4 + j
        double[] want = new double[8];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int b = 0; b < 4; b++) s += (2 * b + i) * 4 + j;
            want[i * 4 + j] = s;
        }
        assertThat(out.shape()).containsExactly(2, 4);
        assertThat(out.toDoubleArray()).containsExactly(want);
        assertThat(MlirPrinter.print(run.module())).contains("mhlo.num_partitions = 8 : i32").contains("replica_groups = dense<[[0, 2, 4, 6], [1, 3, 5, 7]]>");
    }

    /**
     * ragged_all_to_all on 3 devices: device d sends d+1 rows to each peer j (rows [j(d+1), +(d+1)) of its input,
     * filled with 10d + j), landing in j's buffer at the offset after the chunks of lower senders. Hand-computed:
     * receiver j's buffer is [10*0+j] x1, [10*1+j] x2, [10*2+j] x3, then the fill -1.
     */
    @Test
    void raggedAllToAllPlacesEachSendersChunk() {
        Mesh m = Mesh.of(List.of("e"), 3);
        HostArray dev = HostArray.fromLongs(TensorType.of(IntegerType.I32, 3), 0, 1, 2);
        ShardMapRun run = ShardMapRun.trace("ragged", m, List.of(PartitionSpec.of("e")), List.of(PartitionSpec.of("e")), a -> {
            Tensor d = a.get(0).reshape();                                                     // this device's index
            Tensor j = Ops.iota(DType.I32, io.hlo4j.dsl.Shape.of(9), 0);                       // input rows
            Tensor size = Ops.add(d, Ops.scalar(1, DType.I32));
            Tensor peerOfRow = Ops.div(j, size.broadcastTo(9));
            Tensor input = Ops.add(Ops.mul(d.broadcastTo(9), Ops.full(io.hlo4j.dsl.Shape.of(9), 10, DType.I32)), peerOfRow).astype(DType.F32)
                    .reshape(9, 1);
            Tensor peers = Ops.iota(DType.I32, io.hlo4j.dsl.Shape.of(3), 0);
            Tensor sizes = size.broadcastTo(3);
            Tensor inOff = Ops.mul(peers, sizes);
            Tensor outOff = Ops.full(io.hlo4j.dsl.Shape.of(3), 0, DType.I32);
            outOff = Ops.add(outOff, Ops.div(Ops.mul(d, size), Ops.scalar(2, DType.I32)).broadcastTo(3)); // 0, 1, 3 = sum_{i<d}(i+1)
            Tensor buf = Ops.full(io.hlo4j.dsl.Shape.of(7, 1), -1, DType.F32);
            Tensor recv = Ops.add(peers, Ops.full(io.hlo4j.dsl.Shape.of(3), 1, DType.I32));
            return List.of(Collectives.raggedAllToAll(input, buf, inOff, sizes, outOff, recv, "e").reshape(1, 7));
        }, List.of(dev));
        HostArray out = run.run(List.of(dev)).get(0);
        double[] want = new double[21];
        for (int r = 0; r < 3; r++) {
            double[] row = {r, 10 + r, 10 + r, 20 + r, 20 + r, 20 + r, -1};
            System.arraycopy(row, 0, want, r * 7, 7);
        }
        assertThat(out.toDoubleArray()).containsExactly(want);
        assertThat(MlirPrinter.print(run.module())).contains("stablehlo.custom_call @ragged_all_to_all")
                .contains("backend_config = {channel_id = 1 : i64, replica_groups = dense<[[0, 1, 2]]> : tensor<1x3xi64>}");
    }

    /** On the 5D model mesh an out spec that claims replication where devices differ is refused by assembly. */
    @Test
    void disagreeingReplicasAreRefused() {
        Mesh m = ExpertMeshView.modelMesh(1, 1, 2, 1, 1);
        HostArray x = iota(2, 2);
        ShardMapRun run = ShardMapRun.trace("bad", m, List.of(PartitionSpec.of("ep")), List.of(PartitionSpec.replicated()),
                a -> List.of(a.get(0)), List.of(x));
        assertThatThrownBy(() -> run.run(List.of(x))).hasMessageContaining("replicas disagree");
    }

    @Test
    void aDimensionNotDivisibleByItsAxesIsRefusedByName() {
        Mesh m = ExpertMeshView.modelMesh(1, 1, 4, 1, 1);
        assertThatThrownBy(() -> ShardMapRun.trace("odd", m, List.of(PartitionSpec.of("ep")), List.of(PartitionSpec.of("ep")),
                a -> List.of(a.get(0)), List.of(iota(6, 2))))
                .hasMessageContaining("dimension 0 of size 6 is not divisible by mesh axes (ep=4)").hasMessageContaining("@odd");
    }
}
