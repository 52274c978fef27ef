package io.hlo4j.dsltest.userjourney;

import static io.hlo4j.dsltest.userjourney.TinyMoeBlock.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoeSpecs;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link TinyMoeBlock} sharded as docs/sharding.md shows, on the 5D model mesh dp=2, fsdp=1, ep=2, tp=2, sp=1 (8
 * simulated devices): x split on its batch over (dp, fsdp) and its sequence over sp, the attention projections
 * column/row split over tp, the expert kernels by {@link MoeSpecs} (experts over ep, the intermediate dim over tp),
 * norms and the gate replicated. The annotated module ({@link ShardedJit}) is partitioned by {@link Spmd#explicit}
 * and run by {@link SpmdRunner}; the oracle is the same block jit'd unsharded on one device.
 */
class MoeBlockShardedJourneyTest {
    static final List<String> AXES = List.of("dp", "fsdp", "ep", "tp", "sp");

    @Test
    void eightDeviceRunEqualsTheUnshardedBlock() {
        Mesh mesh = Mesh.of(8, AXES, 2, 1, 2, 2, 1);
        NamedSharding replicated = new NamedSharding(mesh, PartitionSpec.replicated());
        NamedSharding column = NamedSharding.of(mesh, null, "tp"), row = NamedSharding.of(mesh, "tp", null);
        Map<String, NamedSharding> byName = Map.of(
                "gate", replicated, "norm1", replicated, "norm2", replicated,
                "wq", column, "wk", column, "wv", column, "wo", row,
                "wi", new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.COLUMN, false, false)),
                "wu", new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.COLUMN, false, false)),
                "wd", new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.ROW, false, false)));
        NamedSharding xSharding = new NamedSharding(mesh, PartitionSpec.of(new String[] {"dp", "fsdp"}, "sp", null));
        // in-shardings are one per flattened argument leaf (the parameter map in key order, then x); flat() orders them
        List<NamedSharding> in = ShardedJit.flat(byName, xSharding);
        List<NamedSharding> byHand = new ArrayList<>(new TreeMap<>(byName).values());
        byHand.add(xSharding);
        assertThat(in).isEqualTo(byHand);

        Map<String, HostArray> params = params(11);
        HostArray x = input(12);
        List<HostArray> args = flatArgs(params, x);
        List<HostArray> want = Jit.jit("moe_block", block()).lower(paramSpecs(), x).compile().call(args.toArray(HostArray[]::new));

        Module annotated = ShardedJit.jit("moe_block", block(), in, Collections.nCopies(RESULTS.size(), null)).lower(paramSpecs(), x).module();
        PartitionedProgram p = Spmd.explicit(annotated);
        assertThat(p.devices()).isEqualTo(8);
        // each device holds its blocks: gate, norms whole; wq [8, 4]; the experts [2, 8, 8]; x [1, 4, 8]
        List<String> local = p.module().entryFunction().region(0).entry().arguments().stream().map(a -> a.type().toString()).toList();
        assertThat(local).containsExactly("tensor<8x4xf32>", "tensor<8xf32>", "tensor<8xf32>", "tensor<2x8x8xf32>", "tensor<2x8x8xf32>",
                "tensor<8x4xf32>", "tensor<4x8xf32>", "tensor<8x4xf32>", "tensor<2x8x8xf32>", "tensor<8x4xf32>", "tensor<1x4x8xf32>");
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), args, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> got = run.results();

        assertThat(got).hasSize(RESULTS.size());
        for (int i = 0; i < RESULTS.size(); i++) {
            String name = RESULTS.get(i);
            assertThat(got.get(i).type()).as(name).isEqualTo(want.get(i).type());
            if (name.equals("expert_loads")) {
                assertThat(got.get(i).toLongArray()).as(name).containsExactly(want.get(i).toLongArray());
                continue;
            }
            double[] g = got.get(i).toDoubleArray(), w = want.get(i).toDoubleArray();
            double scale = 0, diff = 0;
            for (int j = 0; j < w.length; j++) {
                scale = Math.max(scale, Math.abs(w[j]));
                diff = Math.max(diff, Math.abs(g[j] - w[j]));
            }
            assertThat(scale).as("%s is not all zero", name).isPositive();
            assertThat(diff / scale).as("%s: max |sharded - unsharded| / max |unsharded|", name).isLessThanOrEqualTo(1e-5);
        }
        assertThat(run.log()).as("the 8-device run communicated").isNotEmpty();

        // the one-call form gives the same arrays bit for bit, in the function's output structure
        SimulatedRun simulated = ShardedJit.jit("moe_block", block(), in, Collections.nCopies(RESULTS.size(), null)).callSimulated(params, x);
        assertThat(simulated.program().devices()).isEqualTo(8);
        assertThat((List<?>) simulated.results()).isEqualTo(got);
        assertThat(simulated.run().log()).hasSameSizeAs(run.log());
    }
}
