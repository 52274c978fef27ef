package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeFusedHooks;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Gradients of the EP block through the global annotated module, the route XLA takes: Grad of the function whose
 * body is the sdy.manual_computation, partitioned by hlo4j's SPMD partitioner, run on simulated devices. Every mode,
 * token-sharded included: its ragged all-to-alls are custom-VJP func.calls inside the manual computation's body,
 * which the autodiff differentiates with their declared backward and the DSL's grad inlines
 * ({@code io.hlo4j.compiler.ad.Calls}). Oracles: Grad of the unpartitioned one-device FUSED layer, and the direct
 * per-device gradients.
 */
class EpGlobalGradientTest {
    static final EpCase CASE = EpEquivalence.TOP2_BIAS;
    static final HostArray CT = EpCase.f32(new java.util.Random(61), 1.0, 16, 8);
    /** Grad of the one-device FUSED layer: d/dx, gate, wi, wu, wd and the three biases of sum(y * CT). */
    static final List<HostArray> ORACLE = oracle();

    static List<HostArray> oracle() {
        EpCase c = CASE;
        Jit jit = Jit.jit("oracle_grad", Grad.grad(a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7]);
            Tensor y = new BaseMoeModule(c.cfg(), MoeFusedHooks.none()).moeCall(((Tensor) a[0]).reshape(c.b(), c.s(), c.cfg().hiddenSize()),
                    BaseMoeModule.linearGate((Tensor) a[1]), w, false).output().reshape(16, 8);
            return Reductions.sum(Ops.mul(y.astype(DType.F32), (Tensor) a[8]), 0, 1);
        }, 0, 1, 2, 3, 4, 5, 6, 7));
        HostArray[] argv = {c.x().reshape(16, 8), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), CT};
        return jit.lower((Object[]) argv).compile().call(argv);
    }

    static Stream<Object[]> cases() { return EpAnnotatedTest.cases(); }

    static ExpertMeshView view(int[] f) { return EpEquivalence.view(f); }

    static HostArray positions() { return EpAnnotatedTest.positions(); }

    static Object accessor(Object record, String name) throws ReflectiveOperationException { return EpAnnotatedTest.accessor(record, name); }

    /**
     * Gradients through the global module: Grad of the annotated function (the autodiff's VJP of
     * sdy.manual_computation), partitioned by Spmd.explicit and run by SpmdRunner, against Grad of the unpartitioned
     * one-device layer and against the direct per-device gradients.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gradientsThroughTheGlobalModule(int[] f, EpMode mode) throws Exception {
        EpCase c = CASE;
        HostArray ct = CT;
        ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), view(f), mode);
        List<HostArray> global = global(ep, mode);
        List<HostArray> direct = ep.gradients(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), ct);
        assertThat(global).hasSameSizeAs(direct).hasSameSizeAs(ORACLE);
        for (int i = 0; i < direct.size(); i++) {
            String what = Arrays.toString(f) + " " + mode + " d/d" + NAMES[i] + " via the global module";
            EpCase.assertRelClose(what + " vs the unpartitioned layer", global.get(i), ORACLE.get(i), EpCase.TOL);
            EpCase.assertRelClose(what + " vs the direct per-device route", global.get(i), direct.get(i), EpCase.TOL);
        }
    }


    /**
     * More meshes of 8 devices for token-sharded dispatch (dp, fsdp, ep, tp, sp): the expert axis folded from each of
     * fsdp, ep and sp alone and from all three, with dp and tp beside it, and no expert axis at all.
     */
    static Stream<int[]> tokenShardedMeshes() {
        return Stream.of(new int[] {1, 8, 1, 1, 1}, new int[] {1, 1, 8, 1, 1}, new int[] {1, 1, 1, 1, 8}, new int[] {1, 2, 2, 1, 2},
                new int[] {2, 1, 2, 2, 1}, new int[] {1, 2, 1, 4, 1}, new int[] {4, 1, 1, 1, 2}, new int[] {1, 1, 1, 8, 1}, new int[] {8, 1, 1, 1, 1});
    }

    /** Token-sharded dispatch through the global module on more meshes, against the one-device layer. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenShardedMeshes")
    void tokenShardedOnMoreMeshes(int[] f) throws Exception {
        List<HostArray> global = global(new ExpertParallelMoe(CASE.cfg(), view(f), EpMode.TOKEN_SHARDED), EpMode.TOKEN_SHARDED);
        assertThat(global).hasSameSizeAs(ORACLE);
        for (int i = 0; i < ORACLE.size(); i++) {
            EpCase.assertRelClose(Arrays.toString(f) + " d/d" + NAMES[i] + " via the global module", global.get(i), ORACLE.get(i), EpCase.TOL);
        }
    }

    static final String[] NAMES = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};

    /** Grad of the annotated function, partitioned by Spmd.explicit, run by SpmdRunner on the mesh's devices. */
    static List<HostArray> global(ExpertParallelMoe ep, EpMode mode) throws Exception {
        EpCase c = CASE;
        Module annotated = ep.lowerAnnotatedGradient(16, 8, DType.F32, true);
        if (mode == EpMode.TOKEN_SHARDED) {
            // The custom VJP's backward exchanges are in the module, spliced in: no func.call is left for the partitioner.
            String grad = MlirPrinter.print(annotated), fwd = MlirPrinter.print(ep.lowerAnnotated(16, 8, DType.F32, true));
            assertThat(grad).doesNotContain("func.call");
            int exchanges = count(fwd, "@ragged_all_to_all");
            if (ep.layout().expertSize() > 1) assertThat(exchanges).as("ragged all-to-alls of the forward module").isPositive();
            else assertThat(exchanges).as("no exchange on a one-member expert axis").isZero();
            if (exchanges > 0) assertThat(count(grad, "@ragged_all_to_all")).as("ragged all-to-alls, gradient vs forward module").isGreaterThan(exchanges);
        }
        Object prog = Class.forName("io.hlo4j.compiler.spmd.Spmd").getMethod("explicit", Module.class).invoke(null, annotated);
        @SuppressWarnings("unchecked") List<TensorSharding> argS = (List<TensorSharding>) accessor(prog, "argShardings");
        @SuppressWarnings("unchecked") List<TensorSharding> resS = (List<TensorSharding>) accessor(prog, "resultShardings");
        @SuppressWarnings("unchecked") List<TensorType> resT = (List<TensorType>) accessor(prog, "resultTypes");
        List<HostArray> args = new ArrayList<>(List.of(c.x().reshape(16, 8), positions(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(),
                c.wdB(), CT));
        return SpmdRunner.run((Module) accessor(prog, "module"), (MeshAttr) accessor(prog, "mesh"), args, argS, resS, resT).results();
    }

    private static int count(String text, String what) { return text.split(java.util.regex.Pattern.quote(what), -1).length - 1; }
}
