package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Other compute dtypes against the one-device FUSED layer in the same dtype. float64 (f64 accumulation): the EP
 * sums only reorder f64 additions, relative error <= 1e-12. bfloat16: experts in bf16, partial outputs in f32,
 * one final bf16 rounding; the reordered f32 sums can move that rounding by one bf16 step (2^-8 relative to the
 * largest output), so the bound is 1e-2. The router logits are bf16 (the gate multiplies the bf16 tokens with f32
 * accumulation and rounds once, as the one-device layer does, row by row), so they are equal, and the loads exact.
 */
class EpDtypeTest {
    static final EpCase F64 = EpCase.random(MoeConfig.of(8, 2, 8, 8).withDtype(MoeDtype.FLOAT64), 2, 8, true, 71);
    static final EpCase BF16 = EpCase.random(MoeConfig.of(8, 2, 8, 8).withDtype(MoeDtype.BFLOAT16), 2, 8, false, 72);

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] f : new int[][] {{1, 1, 2, 2, 2}, {2, 1, 4, 1, 1}}) for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {f, m});
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void float64(int[] f, EpMode mode) {
        ExpertParallelMoe.Result r = F64.runEp(EpEquivalence.view(f), mode);
        String what = Arrays.toString(f) + " " + mode + " f64";
        EpCase.assertRelClose(what + " output", r.output(), F64.oracle().get(0).reshape(16, 8), 1e-12);
        EpCase.assertRelClose(what + " logits", r.routerLogits(), F64.oracle().get(1), 1e-12);
        assertThat(r.expertLoads().toLongArray()).isEqualTo(F64.oracle().get(2).toLongArray());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void bfloat16(int[] f, EpMode mode) {
        ExpertParallelMoe.Result r = BF16.runEp(EpEquivalence.view(f), mode);
        String what = Arrays.toString(f) + " " + mode + " bf16";
        EpCase.assertRelClose(what + " output", r.output(), BF16.oracle().get(0).reshape(16, 8), 1e-2);
        assertThat(r.routerLogits().type().toString()).as(what + " logits").endsWith("xbf16>");
        EpCase.assertRelClose(what + " logits", r.routerLogits(), BF16.oracle().get(1), 0);
        assertThat(r.expertLoads().toLongArray()).isEqualTo(BF16.oracle().get(2).toLongArray());
    }
}
