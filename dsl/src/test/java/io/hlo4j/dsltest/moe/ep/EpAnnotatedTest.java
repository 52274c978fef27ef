package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.ep.CollectiveTraffic;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The annotated form of the EP program: one {@code sdy.mesh}, the 5D model mesh, a {@code sdy.manual_computation}
 * over all its axes whose body has exactly the direct module's collectives (same ops, groups and bytes); it
 * prints, parses back identically and verifies. Through hlo4j's partitioner (Spmd.explicit, then SpmdRunner), the
 * explicit program gives the unpartitioned one-device layer's results on every factorisation of 8 devices and a
 * sample of 16-device meshes, in every mode, and the direct runner's on two meshes.
 */
class EpAnnotatedTest {
    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] f : new int[][] {{1, 1, 2, 2, 2}, {2, 2, 2, 1, 1}}) for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m});
        return out.stream();
    }

    static ExpertMeshView view(int[] f) { return EpEquivalence.view(f); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void annotatedModuleHasTheDirectModulesCollectivesOnTheModelMesh(int[] f, EpMode mode) {
        ExpertParallelMoe ep = new ExpertParallelMoe(EpEquivalence.TOP2.cfg(), view(f), mode);
        Module annotated = ep.lowerAnnotated(16, 8, DType.F32, true);
        String text = MlirPrinter.print(annotated);
        Module back = MlirParser.parseModule(text, "ep.mlir");
        ModuleVerifier.verify(back);
        assertThat(MlirPrinter.print(back)).isEqualTo(text);
        assertThat(text.split("sdy.mesh @", -1)).as("one mesh").hasSize(2);
        assertThat(text).contains("sdy.mesh @mesh = <[\"dp\"=" + f[0] + ", \"fsdp\"=" + f[1] + ", \"ep\"=" + f[2] + ", \"tp\"=" + f[3] + ", \"sp\"=" + f[4] + "]>")
                .contains("manual_axes={\"dp\", \"fsdp\", \"ep\", \"tp\", \"sp\"}").contains("mhlo.num_partitions = 8 : i32");
        Module direct = ep.trace(16, 8, DType.F32, true).run().module();
        assertThat(CollectiveTraffic.of(annotated)).isEqualTo(CollectiveTraffic.of(direct));
    }

    /** Every factorisation of 8 devices, then the 16-device sample, each with every mode. */
    static Stream<Object[]> everyMesh() {
        List<Object[]> out = new ArrayList<>();
        EpEquivalence.eight().forEach(f -> { for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m}); });
        EpEquivalence.sixteen().forEach(f -> { for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m}); });
        return out.stream();
    }

    /**
     * The explicit partitioned program (annotated module, Spmd.explicit, SpmdRunner) against the unpartitioned
     * one-device FUSED layer: every factorisation of 8 devices (N = 16 tokens) and the 16-device sample (N = 32), each
     * EP mode, with biases.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyMesh")
    void partitionerRouteEqualsTheOneDeviceLayer(int[] f, EpMode mode) {
        EpCase c = devices(f) == 8 ? EpEquivalence.TOP2_BIAS : EpEquivalence.TOP2_BIAS_32;
        List<HostArray> got = viaPartitioner(c, f, mode);
        String what = Arrays.toString(f) + " " + mode + " partitioner route";
        long n = c.b() * c.s();
        EpCase.assertRelClose(what + " output", got.get(0), c.oracle().get(0).reshape(n, c.cfg().hiddenSize()), EpCase.TOL);
        EpCase.assertRelClose(what + " logits", got.get(1), c.oracle().get(1), EpCase.TOL);
        assertThat(got.get(2).toLongArray()).as(what + " expert loads").containsExactly(c.oracle().get(2).toLongArray());
        if (mode == EpMode.TOKEN_SHARDED && new ExpertParallelMoe(c.cfg(), view(f), mode).layout().expertSize() > 1) {
            assertThat(got.get(4).toLongArray()).as(what + " rows dropped").containsOnly(0L);
        }
    }

    /** The partitioner route against the direct per-device runner (ShardMapRun) on two meshes. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void partitionerRouteEqualsTheDirectRunner(int[] f, EpMode mode) {
        EpCase c = EpEquivalence.TOP2_BIAS;
        List<HostArray> viaPartitioner = viaPartitioner(c, f, mode);
        ExpertParallelMoe.Result direct = c.runEp(view(f), mode);
        String what = Arrays.toString(f) + " " + mode + " partitioner route";
        EpCase.assertRelClose(what + " output", viaPartitioner.get(0), direct.output(), EpCase.TOL);
        EpCase.assertRelClose(what + " logits", viaPartitioner.get(1), direct.routerLogits(), EpCase.TOL);
        assertThat(viaPartitioner.get(2).toLongArray()).isEqualTo(direct.expertLoads().toLongArray());
    }

    static int devices(int[] f) { return Arrays.stream(f).reduce(1, (a, b) -> a * b); }

    /** The annotated module of {@code c} (with biases) partitioned by Spmd.explicit and run by SpmdRunner on the mesh's devices. */
    static List<HostArray> viaPartitioner(EpCase c, int[] f, EpMode mode) {
        long n = c.b() * c.s(), h = c.cfg().hiddenSize();
        Module annotated = new ExpertParallelMoe(c.cfg(), view(f), mode).lowerAnnotated(n, c.cfg().moeIntermediateSize(), DType.F32, true);
        PartitionedProgram p = Spmd.explicit(annotated);
        List<HostArray> args = List.of(c.x().reshape(n, h), positions(n, c.s()), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB());
        return SpmdRunner.run(p.module(), p.mesh(), args, p.argShardings(), p.resultShardings(), p.resultTypes()).results();
    }

    static HostArray positions() { return positions(16, 8); }

    /** Token ids for HASH routing: each token's position in its sequence of {@code s}. */
    static HostArray positions(long n, long s) {
        long[] v = new long[(int) n];
        for (int i = 0; i < n; i++) v[i] = i % s;
        return HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, n), v);
    }
}
