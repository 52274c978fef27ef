package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sharding trees flatten as the values do (Pytree's order), records included: a record of shardings annotates the
 * record's leaves in component order, the same module as the equivalent list, and runs on 4 simulated devices to the
 * unsharded values.
 */
class ShardingTreesTest {
    static final Mesh MESH = Mesh.of(4, List.of("dp", "tp"), 2, 2);

    /** Components typed Object: Pytree rebuilds the record with tensors, host arrays, specs or shardings. */
    record Layer(Object w, Object b) {}

    @Test
    void aRecordOfShardingsIsTheRecordsLeavesInComponentOrder() {
        NamedSharding ws = NamedSharding.of(MESH, "tp", null), xs = NamedSharding.of(MESH, "dp", "tp");
        assertThat(ShardedJit.flat(new Layer(ws, null), xs)).containsExactly(ws, null, xs);

        TracedFunction onRecord = a -> { Layer p = (Layer) a[0]; return Ops.add(((Tensor) a[1]).matmul((Tensor) p.w()), (Tensor) p.b()); };
        TracedFunction onList = a -> {
            List<?> p = (List<?>) a[0];
            return Ops.add(((Tensor) a[1]).matmul((Tensor) p.get(0)), (Tensor) p.get(1));
        };
        Spec w = Spec.of(DType.F32, 16, 4), b = Spec.of(DType.F32, 4), x = Spec.of(DType.F32, 8, 16);
        String viaRecord = MlirPrinter.print(ShardedJit.jit("layer", onRecord, ShardedJit.flat(new Layer(ws, null), xs))
                .lower(new Layer(w, b), x).module());
        String viaList = MlirPrinter.print(ShardedJit.jit("layer", onList, ShardedJit.flat(java.util.Arrays.asList(ws, null), xs))
                .lower(List.of(w, b), x).module());
        assertThat(viaRecord).isEqualTo(viaList);
        assertThat(viaRecord.split("\\{sdy.sharding = ", -1).length - 1).as("w and x annotated, b not:\n" + viaRecord).isEqualTo(2);

        HostArray wv = ShardedJitOutShardingsTest.arr(new long[] {16, 4}, i -> Math.cos(0.3 * i)),
                bv = ShardedJitOutShardingsTest.arr(new long[] {4}, i -> i - 1.5), xv = ShardedJitOutShardingsTest.arr(new long[] {8, 16}, Math::sin);
        HostArray want = Jit.jit("layer", onRecord).call1(new Layer(wv, bv), xv);
        SimulatedRun run = ShardedJit.jit("layer", onRecord, ShardedJit.flat(new Layer(ws, null), xs)).callSimulated(new Layer(wv, bv), xv);
        HostArray got = (HostArray) run.results();
        assertThat(run.program().devices()).isEqualTo(4);
        double[] g = got.toDoubleArray(), e = want.toDoubleArray();
        assertThat(g).hasSize(32);
        for (int i = 0; i < e.length; i++) assertThat(g[i]).as("[" + i + "]").isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(e[i]))));
    }
}
