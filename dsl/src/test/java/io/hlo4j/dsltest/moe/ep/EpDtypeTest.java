package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Other compute dtypes against the one-device FUSED layer in the same dtype.
 *
 * <p>float64 (f64 accumulation): the EP sums only reorder f64 additions, relative error <= 1e-12.
 *
 * <p>bfloat16: the expert-parallel layer rounds where the one-device layer rounds. Router logits: bf16, the gate's
 * f32-accumulated product rounded once per row; probabilities f32, rounded to bf16 scores; weights bf16. Expert FFN:
 * a and b are grouped matmuls with f32 accumulation rounded to bf16 once; h in bf16; y = h wd accumulated in f32 and
 * rounded to bf16 once. With tp > 1 a device holds M/Q columns of h, so its y is an f32 partial sum: the layer
 * reduce-scatters each row's f32 partials over tp first and rounds y after that (before the fix it rounded each
 * partial to bf16 and summed the rounded partials: about half the outputs differed, by up to 37% of an element on
 * mesh (1, 1, 2, 4, 1)). The wd bias is added to the rounded y, as on one device. Combine: f32(y) f32(w) summed in
 * f32 per token, rounded to bf16 once.
 *
 * <p>So the EP output equals the one-device output bit for bit ({@link #bfloat16}, every mode, tp = 1, 2 and 4, k = 2
 * and 4). Two sums are associated differently, and only there can a difference remain:
 * <ol>
 *   <li>tp > 1: y's sum over M is Q f32 partial sums added by the reduce-scatter, where one device runs one f32
 *       chain over m = 0..M-1;</li>
 *   <li>a token's k contributions y_j w_j on different expert shards are summed per shard first, then across shards
 *       ((c0 + c1) + (c2 + c3) where one device sums ((c0 + c1) + c2) + c3).</li>
 * </ol>
 * Every term of both sums is a product of two bf16 values, exact in f32 (16 significant bits), so the two orders give
 * the same f32 value unless a partial sum needs more than 24 bits. When one does, the f32 sums differ by a few f32
 * ulps, which can move the following bf16 rounding by one step. y is rounded before the wd bias is added: the
 * pre-bias y_pre,j = bf16(h wd) can move by one bf16 ulp of y_pre,j, and y_j = bf16(y_pre,j + bias) then by that
 * plus one bf16 ulp of y_j. A bias that cancels y_pre (y_pre = 1.0, bias = -0.99) leaves a y_j of 0.01 whose error
 * is a step of 1.0 (2^-7, 78% of it), so the bound must use the pre-bias magnitude: the output moves by at most one
 * bf16 ulp of itself plus sum_j |w_j| (ulp(y_pre,j) + ulp(y_j)) <= 2^-7 sum_j |w_j| (|y_pre,j| + |y_j|).
 * {@link #theRemainingDifferenceIsBounded} checks that bound on a larger layer (M = 256 over tp = 8), where it is the
 * only guarantee.
 */
class EpDtypeTest {
    static final EpCase F64 = EpCase.random(MoeConfig.of(8, 2, 8, 8).withDtype(MoeDtype.FLOAT64), 2, 8, true, 71);
    static final EpCase BF16 = EpCase.random(MoeConfig.of(8, 2, 8, 8).withDtype(MoeDtype.BFLOAT16), 2, 8, true, 72);
    static final EpCase BF16_K4 = EpCase.random(MoeConfig.of(8, 4, 8, 8).withDtype(MoeDtype.BFLOAT16), 2, 8, true, 73);
    static final int[][] MESHES = {{1, 1, 2, 2, 2}, {2, 1, 4, 1, 1}, {1, 1, 8, 1, 1}, {1, 1, 4, 2, 1}, {1, 1, 2, 4, 1}, {2, 2, 1, 2, 1}};

    static Stream<Object[]> f64Cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] f : new int[][] {{1, 1, 2, 2, 2}, {2, 1, 4, 1, 1}}) for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m});
        return out.stream();
    }

    static Stream<Object[]> bf16Cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] f : MESHES) for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m});
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("f64Cases")
    void float64(int[] f, EpMode mode) {
        ExpertParallelMoe.Result r = F64.runEp(EpEquivalence.view(f), mode);
        String what = Arrays.toString(f) + " " + mode + " f64";
        EpCase.assertRelClose(what + " output", r.output(), F64.oracle().get(0).reshape(16, 8), 1e-12);
        EpCase.assertRelClose(what + " logits", r.routerLogits(), F64.oracle().get(1), 1e-12);
        assertThat(r.expertLoads().toLongArray()).isEqualTo(F64.oracle().get(2).toLongArray());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bf16Cases")
    void bfloat16(int[] f, EpMode mode) {
        for (EpCase c : List.of(BF16, BF16_K4)) {
            ExpertParallelMoe.Result r = c.runEp(EpEquivalence.view(f), mode);
            String what = Arrays.toString(f) + " " + mode + " bf16 k = " + c.cfg().numExpertsPerTok();
            assertThat(r.output().type().toString()).as(what).isEqualTo("tensor<16x8xbf16>");
            assertThat(r.output().toDoubleArray()).as(what + " output, bit for bit").containsExactly(c.oracle().get(0).reshape(16, 8).toDoubleArray());
            assertThat(r.routerLogits().type().toString()).as(what + " logits").endsWith("xbf16>");
            assertThat(r.routerLogits().toDoubleArray()).as(what + " logits").containsExactly(c.oracle().get(1).toDoubleArray());
            assertThat(r.expertLoads().toLongArray()).as(what + " loads").isEqualTo(c.oracle().get(2).toLongArray());
        }
    }

    /**
     * The bound of the class comment, element by element: |EP - one device| <= ulp(out) + 2^-7 sum_j |w_j| (|y_pre,j|
     * + |y_j|), on E = 8, k = 4, H = 16, M = 256 over tp = 8 and tp = 4 x 2 expert shards, with wd biases. Both sums
     * come from the one-device layer (a before_combine returning |y| and |w|, its bf16 rounding allowed for):
     * sum_j |w_j y_j| from the run with the wd bias, sum_j |w_j y_pre,j| from a run without it (h, the routing and the
     * rounded h wd do not depend on that bias, so its y is y_pre exactly).
     */
    @Test
    void theRemainingDifferenceIsBounded() {
        MoeConfig cfg = MoeConfig.of(8, 4, 16, 256).withDtype(MoeDtype.BFLOAT16);
        EpCase c = EpCase.random(cfg, 2, 8, true, 74);
        double[] mag = sumAbs(cfg, c, c.wdB());
        double[] magPre = sumAbs(cfg, c, null);
        double[] want = c.oracle().get(0).toDoubleArray();
        for (int[] f : new int[][] {{1, 1, 1, 8, 1}, {1, 1, 2, 4, 1}}) {
            for (EpMode mode : EpEquivalence.modes()) {
                double[] got = c.runEp(EpEquivalence.view(f), mode).output().toDoubleArray();
                for (int i = 0; i < want.length; i++) {
                    double bound = ulpBf16(want[i]) + Math.scalb((mag[i] + magPre[i]) * (1 + Math.scalb(1.0, -7)), -7);
                    assertThat(Math.abs(got[i] - want[i])).as("%s %s element %d", Arrays.toString(f), mode, i).isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    /** sum_j |w_j y_j| per output element on one device, with wd bias {@code wdB} (null: y is the pre-bias y_pre). */
    private static double[] sumAbs(MoeConfig cfg, EpCase c, HostArray wdB) {
        MoeFusedHooks<Tensor> abs = MoeFusedHooks.<Tensor>none().withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(Ops.abs(y), Ops.abs(w)));
        List<HostArray> args = new ArrayList<>(List.of(c.x(), c.gate(), c.wi(), c.wu(), c.wd(), c.wiB(), c.wuB()));
        if (wdB != null) args.add(wdB);
        return Jit.jit("sum_abs", a -> new BaseMoeModule(cfg, abs).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], a.length > 7 ? (Tensor) a[7] : null), false)
                .output()).call1(args.toArray()).toDoubleArray();
    }

    /** The spacing of bf16 values at |v| (8 significant bits). */
    static double ulpBf16(double v) {
        if (v == 0) return Math.scalb(1.0, -133);
        return Math.scalb(1.0, Math.getExponent(v) - 7);
    }
}
