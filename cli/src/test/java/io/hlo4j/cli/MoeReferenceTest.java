package io.hlo4j.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The reference the demo is checked against, checked on its own by hand-computable cases. */
class MoeReferenceTest {
    /** x = e_0, router column e = [0.1 e]: logits = [0, .1, .2, .3]; expert weights zero except where set. */
    @Test void oneTokenByHand() {
        MoeReference.Inputs in = MoeReference.inputs(1);
        java.util.Arrays.fill(in.x(), 0f);
        java.util.Arrays.fill(in.router(), 0f);
        java.util.Arrays.fill(in.w1(), 0f);
        java.util.Arrays.fill(in.w3(), 0f);
        java.util.Arrays.fill(in.w2(), 0f);
        int H = MoeReference.HIDDEN, E = MoeReference.EXPERTS, F = MoeReference.FFN;
        in.x()[0] = 1f; // token 0 = unit vector e_0; other tokens are zero
        for (int e = 0; e < E; e++) in.router()[e] = 0.1f * e;
        // every expert e: gate unit 0 reads x[0] with weight 1, up unit 0 reads x[0] with weight 2,
        // and down maps unit 0 to output h = e with weight 1
        for (int e = 0; e < E; e++) {
            in.w1()[(e * H) * F] = 1f;
            in.w3()[(e * H) * F] = 2f;
            in.w2()[(e * F) * H + e] = 1f;
        }
        MoeReference.Outputs o = MoeReference.compute(in);
        // top-2 of logits [0, .1, .2, .3] are experts 3 then 2; gates = softmax over (.3, .2)
        assertThat(o.experts()[0]).containsExactly(3, 2);
        double gap = (double) (0.1f * 3) - (double) (0.1f * 2); // logit 3 - logit 2, from the f32 router weights
        double g3 = 1 / (1 + Math.exp(-gap)); // e^l3 / (e^l3 + e^l2)
        assertThat(o.gates()[0][0]).isCloseTo(g3, within(1e-12));
        assertThat(o.gates()[0][0] + o.gates()[0][1]).isCloseTo(1, within(1e-12));
        // each expert's output: silu(1) * 2 on its own output unit
        double expertOut = 1 / (1 + Math.exp(-1)) * 2;
        assertThat(o.y()[3]).isCloseTo(g3 * expertOut, within(1e-6));
        assertThat(o.y()[2]).isCloseTo((1 - g3) * expertOut, within(1e-6));
        assertThat(o.y()[0]).isZero();
        assertThat(o.y()[1]).isZero();
        // a zero token has equal logits: the lowest two indices win, with equal gates, and its output is zero
        assertThat(o.experts()[1]).containsExactly(0, 1);
        assertThat(o.gates()[1]).containsExactly(0.5, 0.5);
        for (int h = 0; h < H; h++) assertThat(o.y()[H + h]).isZero();
    }

    @Test void inputsAreReproducibleAndInRange() {
        MoeReference.Inputs a = MoeReference.inputs(42), b = MoeReference.inputs(42);
        assertThat(a.x()).containsExactly(b.x());
        assertThat(a.w2()).containsExactly(b.w2());
        for (float v : a.x()) assertThat(v).isBetween(-1f, 1f);
        for (float v : a.w1()) assertThat(v).isBetween(-0.5f, 0.5f);
    }
}
