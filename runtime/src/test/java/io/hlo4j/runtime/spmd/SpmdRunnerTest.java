package io.hlo4j.runtime.spmd;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Splitting, assembling and running explicit programs on simulated devices, checked against hand-computed blocks. */
class SpmdRunnerTest {
    static MeshAttr mesh(Object... nameSize) {
        List<MeshAttr.Axis> axes = new ArrayList<>();
        for (int i = 0; i < nameSize.length; i += 2) axes.add(new MeshAttr.Axis((String) nameSize[i], ((Number) nameSize[i + 1]).longValue()));
        return new MeshAttr(axes, List.of());
    }

    static DimensionSharding dim(AxisRef... axes) { return DimensionSharding.closedOn(axes); }

    static AxisRef ax(String n) { return AxisRef.of(n); }

    static TensorSharding sharding(DimensionSharding... dims) { return TensorSharding.of("mesh", dims); }

    static HostArray iota(long... shape) {
        TensorType t = TensorType.of(FloatType.F32, shape);
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return HostArray.fromDoubles(t, v);
    }

    @Test
    void splitsRowsAndColumnsByMeshCoordinates() {
        // x=2 (major), y=2; 4x4 iota; P(x, y): device (x, y) = 2x + y holds rows 2x.., cols 2y..
        MeshAttr m = mesh("x", 2, "y", 2);
        List<HostArray> blocks = SpmdRunner.split(iota(4, 4), m, sharding(dim(ax("x")), dim(ax("y"))));
        assertThat(blocks.get(0).toDoubleArray()).containsExactly(0, 1, 4, 5);
        assertThat(blocks.get(1).toDoubleArray()).containsExactly(2, 3, 6, 7);
        assertThat(blocks.get(2).toDoubleArray()).containsExactly(8, 9, 12, 13);
        assertThat(blocks.get(3).toDoubleArray()).containsExactly(10, 11, 14, 15);
        // P(y, None): rows by y only, replicated over x
        List<HostArray> byY = SpmdRunner.split(iota(4, 4), m, sharding(dim(ax("y")), dim()));
        assertThat(byY.get(0).toDoubleArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(byY.get(1).toDoubleArray()).containsExactly(8, 9, 10, 11, 12, 13, 14, 15);
        assertThat(byY.get(2)).isEqualTo(byY.get(0));
    }

    @Test
    void deviceIdsPermuteWhichDeviceHoldsWhichBlock() {
        MeshAttr m = new MeshAttr(List.of(new MeshAttr.Axis("x", 4)), List.of(2L, 0L, 3L, 1L));
        List<HostArray> blocks = SpmdRunner.split(iota(4), m, sharding(dim(ax("x"))));
        // position p holds element p and is device ids[p]
        assertThat(blocks.get(2).toDoubleArray()).containsExactly(0);
        assertThat(blocks.get(0).toDoubleArray()).containsExactly(1);
        assertThat(blocks.get(3).toDoubleArray()).containsExactly(2);
        assertThat(blocks.get(1).toDoubleArray()).containsExactly(3);
        assertThat(SpmdRunner.assemble(blocks, m, sharding(dim(ax("x"))), TensorType.of(FloatType.F32, 4))).isEqualTo(iota(4));
    }

    @Test
    void subAxesSplitByTheirPartOfTheCoordinate() {
        // x=4: "x":(1)2 is the major half (c / 2), "x":(2)2 the minor one (c % 2)
        MeshAttr m = mesh("x", 4);
        List<HostArray> major = SpmdRunner.split(iota(2), m, sharding(dim(AxisRef.sub("x", 1, 2))));
        List<HostArray> minor = SpmdRunner.split(iota(2), m, sharding(dim(AxisRef.sub("x", 2, 2))));
        double[] gotMajor = new double[4], gotMinor = new double[4];
        for (int d = 0; d < 4; d++) {
            gotMajor[d] = major.get(d).toDoubleArray()[0];
            gotMinor[d] = minor.get(d).toDoubleArray()[0];
        }
        assertThat(gotMajor).containsExactly(0, 0, 1, 1);
        assertThat(gotMinor).containsExactly(0, 1, 0, 1);
        // both sub-axes on one dim equal the full axis
        TensorSharding both = sharding(dim(AxisRef.sub("x", 1, 2), AxisRef.sub("x", 2, 2)));
        assertThat(SpmdRunner.split(iota(4), m, both)).isEqualTo(SpmdRunner.split(iota(4), m, sharding(dim(ax("x")))));
    }

    @Test
    void unreducedValuesLiveOnIndexZeroAndAssembleBySumming() {
        MeshAttr m = mesh("x", 2, "y", 2);
        TensorSharding s = new TensorSharding("mesh", null, List.of(dim(ax("x"))), List.of(), List.of(ax("y")), "sum");
        List<HostArray> blocks = SpmdRunner.split(iota(4), m, s);
        assertThat(blocks.get(1).toDoubleArray()).containsExactly(0, 0); // (x=0, y=1)
        assertThat(blocks.get(2).toDoubleArray()).containsExactly(2, 3); // (x=1, y=0)
        List<HostArray> partial = List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), 1, 2),
                HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), 10, 20),
                HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), 3, 4),
                HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), 30, 40));
        assertThat(SpmdRunner.assemble(partial, m, s, TensorType.of(FloatType.F32, 4)).toDoubleArray()).containsExactly(11, 22, 33, 44);
    }

    @Test
    void replicasThatDisagreeAreNamed() {
        MeshAttr m = mesh("x", 2, "y", 2);
        TensorSharding s = sharding(dim(ax("x")));
        List<HostArray> blocks = new ArrayList<>(SpmdRunner.split(iota(4), m, s));
        blocks.set(3, HostArray.fromDoubles(TensorType.of(FloatType.F32, 2), 2, 99));
        assertThatThrownBy(() -> SpmdRunner.assemble(blocks, m, s, TensorType.of(FloatType.F32, 4)))
                .hasMessageContaining("replicas disagree").hasMessageContaining("devices 2 and 3").hasMessageContaining("local element 1");
    }

    @Test
    void badShardingsAreRefusedByName() {
        MeshAttr m = mesh("x", 2, "y", 4);
        assertThatThrownBy(() -> SpmdRunner.split(iota(8), m, sharding(dim(ax("z")))))
                .hasMessageContaining("dimension 0").hasMessageContaining("unknown mesh axis \"z\"").hasMessageContaining("[x, y]");
        assertThatThrownBy(() -> SpmdRunner.split(iota(8, 8), m, sharding(dim(ax("x")), dim(ax("x")))))
                .hasMessageContaining("\"x\" is used twice").hasMessageContaining("dimension 0").hasMessageContaining("dimension 1");
        assertThatThrownBy(() -> SpmdRunner.split(iota(6), m, sharding(dim(ax("x"), ax("y")))))
                .hasMessageContaining("dimension 0 of size 6").hasMessageContaining("8 shards").hasMessageContaining("[\"x\", \"y\"]")
                .hasMessageContaining("[2, 4]");
        assertThatThrownBy(() -> SpmdRunner.split(iota(8), m, sharding(dim(AxisRef.sub("y", 1, 4)), dim())))
                .hasMessageContaining("rank 1").hasMessageContaining("2 dimension shardings");
        assertThatThrownBy(() -> SpmdRunner.split(iota(8), m, sharding(dim(AxisRef.sub("y", 1, 4), AxisRef.sub("y", 2, 2)))))
                .hasMessageContaining("\"y\" is used twice");
    }

    static final String PROGRAM = """
            module @collectives attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func @main(%x: tensor<2x4xf32>) -> (tensor<4x4xf32>, tensor<2x4xf32>) {
                %g = "stablehlo.all_gather"(%x) {all_gather_dim = 0 : i64, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<2x4xf32>) -> tensor<4x4xf32>
                %a = "stablehlo.all_to_all"(%g) {split_dimension = 1 : i64, concat_dimension = 0 : i64, split_count = 4 : i64,
                    replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 2, type = 1>} : (tensor<4x4xf32>) -> tensor<16x1xf32>
                %p = "stablehlo.collective_permute"(%x) {source_target_pairs = dense<[[0, 1], [1, 0], [2, 2], [3, 3]]> : tensor<4x2xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 3, type = 1>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
                %r = "stablehlo.all_reduce"(%p) ({
                  ^bb0(%u: tensor<f32>, %v: tensor<f32>):
                    %s = stablehlo.add %u, %v : tensor<f32>
                    stablehlo.return %s : tensor<f32>
                }) {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 4, type = 1>, use_global_device_ids} : (tensor<2x4xf32>) -> tensor<2x4xf32>
                return %g, %r : tensor<4x4xf32>, tensor<2x4xf32>
              }
            }
            """;

    @Test
    void runAssemblesResultsAndLogsEveryCollectiveWithItsBytes() {
        MeshAttr m = mesh("x", 2, "y", 2);
        HostArray x = iota(8, 4);
        TensorSharding rows = sharding(dim(ax("x"), ax("y")), dim());
        // %g gathers over y: result rows sharded by x; %r is the sum over all 4 devices of (permuted) blocks
        SpmdRun run = SpmdRunner.run(MlirParser.parseModule(PROGRAM, "c.mlir"), m, List.of(x), List.of(rows),
                List.of(sharding(dim(ax("x")), dim()), sharding(dim(), dim())),
                List.of(TensorType.of(FloatType.F32, 8, 4), TensorType.of(FloatType.F32, 2, 4)));
        assertThat(run.results().get(0)).isEqualTo(x);
        double[] sum = new double[8];
        for (int i = 0; i < 32; i++) sum[i % 8] += i;
        assertThat(run.results().get(1).toDoubleArray()).containsExactly(sum);
        assertThat(run.log()).hasSize(4);
        CollectiveRecord g = run.log().get(0), a = run.log().get(1), p = run.log().get(2), r = run.log().get(3);
        assertThat(g.op()).isEqualTo("stablehlo.all_gather");
        assertThat(g.groups()).containsExactly(List.of(0, 1), List.of(2, 3));
        assertThat(g.groupSize()).isEqualTo(2);
        assertThat(g.axes()).containsExactly("y");
        assertThat(a.axes()).containsExactly("x", "y");
        assertThat(p.axes()).containsExactly("y");
        assertThat(g.bytesReceived()).containsExactly(32, 32, 32, 32);   // (2-1)/2 of the 64-byte output
        assertThat(g.location()).contains("c.mlir");
        assertThat(a.bytesReceived()).containsExactly(48, 48, 48, 48);   // 3/4 of the 64-byte input
        assertThat(p.bytesReceived()).containsExactly(32, 32, 0, 0);     // devices 2, 3 keep theirs
        assertThat(p.bytesSent()).containsExactly(32, 32, 0, 0);
        assertThat(p.groups()).containsExactly(List.of(1, 0), List.of(0, 1));
        assertThat(r.bytesReceived()).containsExactly(48, 48, 48, 48);   // 2 * 3/4 of 32 bytes
        assertThat(run.maxBytesReceived(4)).isEqualTo(32 + 48 + 32 + 48);
        assertThat(run.deviceResults().get(3).get(0)).isEqualTo(SpmdRunner.split(x, m, sharding(dim(ax("x")), dim())).get(3));
    }

    static final String POINT_TO_POINT = """
            module @p2p attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              func.func @main(%x: tensor<4xf32>, %o: tensor<4xf32>, %io: tensor<2xi64>, %ss: tensor<2xi64>, %oo: tensor<2xi64>,
                              %rs: tensor<2xi64>) -> (tensor<4xf32>, tensor<4xf32>) {
                %r = stablehlo.custom_call @ragged_all_to_all(%x, %o, %io, %ss, %oo, %rs)
                    {backend_config = {channel_id = 1 : i64, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>}}
                    : (tensor<4xf32>, tensor<4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<4xf32>
                %b = "stablehlo.collective_broadcast"(%x) {replica_groups = dense<[[1, 0]]> : tensor<1x2xi64>,
                    channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>} : (tensor<4xf32>) -> tensor<4xf32>
                return %r, %b : tensor<4xf32>, tensor<4xf32>
              }
            }
            """;

    @Test
    void pointToPointCollectivesLogWhatActuallyMoved() {
        MeshAttr m = mesh("x", 2);
        TensorSharding byX = sharding(dim(ax("x")));
        io.hlo4j.mlir.types.TensorType i64 = TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, 4);
        // device 0 sends 1 row to itself and 2 to device 1; device 1 sends 2 rows to device 0 and 1 to itself
        List<HostArray> args = List.of(HostArray.fromDoubles(TensorType.of(FloatType.F32, 8), 1, 2, 3, 4, 5, 6, 7, 8),
                HostArray.fromDoubles(TensorType.of(FloatType.F32, 8), -1, -1, -1, -1, -1, -1, -1, -1),
                HostArray.fromLongs(i64, 0, 1, 0, 2), HostArray.fromLongs(i64, 1, 2, 2, 1),
                HostArray.fromLongs(i64, 0, 0, 1, 2), HostArray.fromLongs(i64, 1, 2, 2, 1));
        SpmdRun run = SpmdRunner.run(MlirParser.parseModule(POINT_TO_POINT, "p2p.mlir"), m, args, java.util.Collections.nCopies(6, byX),
                List.of(byX, sharding(dim())), List.of(TensorType.of(FloatType.F32, 8), TensorType.of(FloatType.F32, 4)));
        assertThat(run.results().get(0).toDoubleArray()).containsExactly(1, 5, 6, -1, 2, 3, 7, -1);
        assertThat(run.results().get(1).toDoubleArray()).containsExactly(5, 6, 7, 8); // device 1 (the root) broadcast its block
        CollectiveRecord ragged = run.log().get(0), bcast = run.log().get(1);
        assertThat(ragged.op()).isEqualTo("ragged_all_to_all");
        assertThat(ragged.bytesReceived()).containsExactly(8, 8);  // 2 rows of 4 bytes from the other device
        assertThat(ragged.bytesSent()).containsExactly(8, 8);
        assertThat(bcast.bytesReceived()).containsExactly(16, 0);
        assertThat(bcast.bytesSent()).containsExactly(0, 16);
        assertThat(bcast.groups()).containsExactly(List.of(1, 0));
    }

    @Test
    void aMeshWhoseSizeIsNotThePartitionCountIsRefused() {
        MeshAttr m = mesh("x", 2);
        assertThatThrownBy(() -> SpmdRunner.run(MlirParser.parseModule(PROGRAM, "c.mlir"), m, List.of(iota(8, 4)),
                List.of(sharding(dim(ax("x")), dim())), List.of(), List.of()))
                .hasMessageContaining("mhlo.num_partitions = 4").hasMessageContaining("2 partitions");
    }
}
