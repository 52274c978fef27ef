package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.moe.ep.CollectiveTraffic;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The annotated form of the EP program: one {@code sdy.mesh}, the 5D model mesh, a {@code sdy.manual_computation}
 * over all its axes whose body has exactly the direct module's collectives (same ops, groups and bytes); it
 * prints, parses back identically and verifies. When the SPMD partitioner is in the build, its explicit program
 * gives the direct runner's results (the two routes agree).
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

    /** The partitioner route (Spmd.explicit, then SpmdRunner) against the direct runner (skipped in a build without the partitioner). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void partitionerRouteEqualsTheDirectRunner(int[] f, EpMode mode) throws Exception {
        Class<?> spmd;
        try {
            spmd = Class.forName("io.hlo4j.compiler.spmd.Spmd");
            spmd.getMethod("explicit", Module.class);
        } catch (ReflectiveOperationException e) {
            Assumptions.abort("the SPMD partitioner (io.hlo4j.compiler.spmd.Spmd.explicit) is not in this build yet");
            return;
        }
        EpCase c = EpEquivalence.TOP2_BIAS;
        ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), view(f), mode);
        Module annotated = ep.lowerAnnotated(16, 8, DType.F32, true);
        Object prog = spmd.getMethod("explicit", Module.class).invoke(null, annotated);
        Module explicit = (Module) accessor(prog, "module");
        MeshAttr mesh = (MeshAttr) accessor(prog, "mesh");
        @SuppressWarnings("unchecked") List<TensorSharding> argS = (List<TensorSharding>) accessor(prog, "argShardings");
        @SuppressWarnings("unchecked") List<TensorSharding> resS = (List<TensorSharding>) accessor(prog, "resultShardings");
        @SuppressWarnings("unchecked") List<TensorType> resT = (List<TensorType>) accessor(prog, "resultTypes");
        List<HostArray> args = new ArrayList<>(List.of(c.x().reshape(16, 8), positions(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB()));
        List<HostArray> viaPartitioner = SpmdRunner.run(explicit, mesh, args, argS, resS, resT).results();
        ExpertParallelMoe.Result direct = c.runEp(view(f), mode);
        String what = Arrays.toString(f) + " " + mode + " partitioner route";
        EpCase.assertRelClose(what + " output", viaPartitioner.get(0), direct.output(), EpCase.TOL);
        EpCase.assertRelClose(what + " logits", viaPartitioner.get(1), direct.routerLogits(), EpCase.TOL);
        assertThat(viaPartitioner.get(2).toLongArray()).isEqualTo(direct.expertLoads().toLongArray());
    }

    static HostArray positions() {
        long[] v = new long[16];
        for (int i = 0; i < 16; i++) v[i] = i % 8;
        return HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 16), v);
    }

    static Object accessor(Object record, String name) throws ReflectiveOperationException {
        return record.getClass().getMethod(name).invoke(record);
    }
}
