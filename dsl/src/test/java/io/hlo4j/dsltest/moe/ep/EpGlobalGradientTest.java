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
 * Gradients of the EP block through the global annotated module, the route XLA takes: Grad of the function whose
 * body is the sdy.manual_computation, partitioned by hlo4j's SPMD partitioner, run on simulated devices.
 */
class EpGlobalGradientTest {
    static Stream<Object[]> cases() { return EpAnnotatedTest.cases(); }

    static ExpertMeshView view(int[] f) { return EpEquivalence.view(f); }

    static HostArray positions() { return EpAnnotatedTest.positions(); }

    static Object accessor(Object record, String name) throws ReflectiveOperationException { return EpAnnotatedTest.accessor(record, name); }

    /**
     * Gradients through the global module: Grad of the annotated function (the autodiff's VJP of
     * sdy.manual_computation), partitioned by Spmd.explicit and run by SpmdRunner, against the direct per-device
     * gradients (EpGradientTest checks those against the one-device layer).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gradientsThroughTheGlobalModule(int[] f, EpMode mode) throws Exception {
        if (mode == EpMode.TOKEN_SHARDED) {
            Assumptions.abort("the ragged all-to-all's custom VJP is a func.call inside the sdy.manual_computation body, and the autodiff "
                    + "refuses func.call inside a region of a differentiated function");
        }
        Class<?> spmd = Class.forName("io.hlo4j.compiler.spmd.Spmd");
        EpCase c = EpEquivalence.TOP2_BIAS;
        HostArray ct = EpCase.f32(new java.util.Random(61), 1.0, 16, 8);
        ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), view(f), mode);
        Module annotated = ep.lowerAnnotatedGradient(16, 8, DType.F32, true);
        Object prog = spmd.getMethod("explicit", Module.class).invoke(null, annotated);
        @SuppressWarnings("unchecked") List<TensorSharding> argS = (List<TensorSharding>) accessor(prog, "argShardings");
        @SuppressWarnings("unchecked") List<TensorSharding> resS = (List<TensorSharding>) accessor(prog, "resultShardings");
        @SuppressWarnings("unchecked") List<TensorType> resT = (List<TensorType>) accessor(prog, "resultTypes");
        List<HostArray> args = new ArrayList<>(List.of(c.x().reshape(16, 8), positions(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(),
                c.wdB(), ct));
        List<HostArray> global = SpmdRunner.run((Module) accessor(prog, "module"), (MeshAttr) accessor(prog, "mesh"), args, argS, resS, resT).results();
        List<HostArray> direct = ep.gradients(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), ct);
        assertThat(global).hasSameSizeAs(direct);
        for (int i = 0; i < direct.size(); i++) {
            EpCase.assertRelClose(Arrays.toString(f) + " " + mode + " gradient #" + i + " via the global module", global.get(i), direct.get(i), EpCase.TOL);
        }
    }

}
