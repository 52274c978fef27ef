package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Gradients of the EP block through the global annotated module, the route XLA takes: Grad of the function whose
 * body is the sdy.manual_computation, partitioned by hlo4j's SPMD partitioner, run on simulated devices. Every mode,
 * token-sharded included: its ragged all-to-alls are custom-VJP func.calls inside the manual computation's body,
 * which the autodiff differentiates with their declared backward and the DSL's grad inlines
 * ({@code io.hlo4j.compiler.ad.Calls}). Oracles: Grad of the unpartitioned one-device FUSED layer, and the direct
 * per-device gradients (two meshes). Every factorisation of 8 devices and a sample of 16-device meshes, each mode.
 */
class EpGlobalGradientTest {
    static final EpCase CASE = EpEquivalence.TOP2_BIAS;
    static final HostArray CT = EpCase.f32(new java.util.Random(61), 1.0, 16, 8);
    /** Grad of the one-device FUSED layer: d/dx, gate, wi, wu, wd and the three biases of sum(y * CT). */
    static final List<HostArray> ORACLE = oracle(CASE, CT);
    /** 16 devices: 32 tokens. */
    static final EpCase CASE_32 = EpEquivalence.TOP2_BIAS_32;
    static final HostArray CT_32 = EpCase.f32(new java.util.Random(62), 1.0, 32, 8);
    static final List<HostArray> ORACLE_32 = oracle(CASE_32, CT_32);

    static List<HostArray> oracle(EpCase c, HostArray ct) {
        long n = c.b() * c.s(), h = c.cfg().hiddenSize();
        Jit jit = Jit.jit("oracle_grad", Grad.grad(a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7]);
            Tensor y = new BaseMoeModule(c.cfg(), MoeFusedHooks.none()).moeCall(((Tensor) a[0]).reshape(c.b(), c.s(), h),
                    BaseMoeModule.linearGate((Tensor) a[1]), w, false).output().reshape(n, h);
            return Reductions.sum(Ops.mul(y.astype(DType.F32), (Tensor) a[8]), 0, 1);
        }, 0, 1, 2, 3, 4, 5, 6, 7));
        HostArray[] argv = {c.x().reshape(n, h), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), ct};
        return jit.lower((Object[]) argv).compile().call(argv);
    }

    static Stream<Object[]> cases() { return EpAnnotatedTest.cases(); }

    /** Every factorisation of 8 devices with every mode. */
    static Stream<Object[]> everyEightDeviceMesh() {
        return EpEquivalence.eight().flatMap(f -> EpEquivalence.modes().stream().map(m -> new Object[] {f, m}));
    }

    /** 16 devices: every axis used, and the expert axis folded from ep alone beside tp. */
    static Stream<Object[]> sixteenDeviceMeshes() {
        return Stream.of(new int[] {1, 2, 2, 2, 2}, new int[] {2, 1, 4, 2, 1}, new int[] {1, 1, 1, 2, 8})
                .flatMap(f -> EpEquivalence.modes().stream().map(m -> new Object[] {f, m}));
    }

    static ExpertMeshView view(int[] f) { return EpEquivalence.view(f); }

    /**
     * Gradients through the global module (Grad of the annotated function, the autodiff's VJP of
     * sdy.manual_computation, partitioned by Spmd.explicit and run by SpmdRunner) against Grad of the unpartitioned
     * one-device layer, on every factorisation of 8 devices in every mode.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyEightDeviceMesh")
    void gradientsThroughTheGlobalModule(int[] f, EpMode mode) {
        check(CASE, CT, ORACLE, f, mode);
    }

    /** The same on a sample of 16-device meshes (32 tokens). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("sixteenDeviceMeshes")
    void gradientsOnSixteenDevices(int[] f, EpMode mode) {
        check(CASE_32, CT_32, ORACLE_32, f, mode);
    }

    /** On two meshes, the global module's gradients also equal the direct per-device route's (ShardMapRun, per-device Grad). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void globalModuleEqualsTheDirectPerDeviceRoute(int[] f, EpMode mode) {
        EpCase c = CASE;
        ExpertParallelMoe ep = new ExpertParallelMoe(c.cfg(), view(f), mode);
        List<HostArray> global = global(c, CT, ep, mode);
        List<HostArray> direct = ep.gradients(c.x(), null, c.s(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(), c.wdB(), CT);
        assertThat(global).hasSameSizeAs(direct);
        for (int i = 0; i < direct.size(); i++) {
            EpCase.assertRelClose(Arrays.toString(f) + " " + mode + " d/d" + NAMES[i] + " global module vs the direct per-device route", global.get(i),
                    direct.get(i), EpCase.TOL);
        }
    }

    static void check(EpCase c, HostArray ct, List<HostArray> oracle, int[] f, EpMode mode) {
        List<HostArray> global = global(c, ct, new ExpertParallelMoe(c.cfg(), view(f), mode), mode);
        assertThat(global).hasSameSizeAs(oracle);
        for (int i = 0; i < oracle.size(); i++) {
            EpCase.assertRelClose(Arrays.toString(f) + " " + mode + " d/d" + NAMES[i] + " via the global module vs the unpartitioned layer", global.get(i),
                    oracle.get(i), EpCase.TOL);
        }
    }

    static final String[] NAMES = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};

    /** Grad of the annotated function, partitioned by Spmd.explicit, run by SpmdRunner on the mesh's devices. */
    static List<HostArray> global(EpCase c, HostArray ct, ExpertParallelMoe ep, EpMode mode) {
        long n = c.b() * c.s(), h = c.cfg().hiddenSize();
        Module annotated = ep.lowerAnnotatedGradient(n, c.cfg().moeIntermediateSize(), DType.F32, true);
        if (mode == EpMode.TOKEN_SHARDED) {
            // The custom VJP's backward exchanges are in the module, spliced in: no func.call is left for the partitioner.
            String grad = MlirPrinter.print(annotated), fwd = MlirPrinter.print(ep.lowerAnnotated(n, c.cfg().moeIntermediateSize(), DType.F32, true));
            assertThat(grad).doesNotContain("func.call");
            int exchanges = count(fwd, "@ragged_all_to_all");
            if (ep.layout().expertSize() > 1) assertThat(exchanges).as("ragged all-to-alls of the forward module").isPositive();
            else assertThat(exchanges).as("no exchange on a one-member expert axis").isZero();
            if (exchanges > 0) assertThat(count(grad, "@ragged_all_to_all")).as("ragged all-to-alls, gradient vs forward module").isGreaterThan(exchanges);
        }
        PartitionedProgram p = Spmd.explicit(annotated);
        List<HostArray> args = List.of(c.x().reshape(n, h), EpAnnotatedTest.positions(n, c.s()), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB(),
                c.wdB(), ct);
        return SpmdRunner.run(p.module(), p.mesh(), args, p.argShardings(), p.resultShardings(), p.resultTypes()).results();
    }

    private static int count(String text, String what) { return text.split(java.util.regex.Pattern.quote(what), -1).length - 1; }
}
