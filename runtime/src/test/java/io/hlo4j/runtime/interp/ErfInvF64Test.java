package io.hlo4j.runtime.interp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The f64 erf_inv (Giles' polynomials, as XLA evaluates them) against erfinv values computed to 20 digits with
 * mpmath ({@code mpmath.erfinv} at mp.dps = 30), in each of its three branches, and the edge cases.
 */
class ErfInvF64Test {
    @Test
    void matchesHighPrecisionValuesInEveryBranch() {
        // {x, erfinv(x), allowed relative error}. Near +-1 the error is the conditioning of XLA's formula, not of
        // the polynomial: x * x is rounded before 1 - x^2 is formed (a relative error of 2^-53 / (1 - x^2)).
        double[][] cases = {
                {0.5, 0.47693627620446987338, 4e-16},   // w < 6.25
                {-0.3, -0.27246271472675434502, 4e-16},
                {0.9, 1.1630871536766741628, 4e-16},
                {0.999999, 3.4589107372754987775, 2e-12},  // 6.25 <= w < 16 (w = 13.1)
                {1 - 1e-12, 5.0420318985726961301, 2e-5},  // w >= 16 (w = 26.9)
        };
        for (double[] c : cases) {
            assertThat(SpecialFunctions.erfInvF64(c[0])).as("erfinv(%s)", c[0]).isCloseTo(c[1], within(Math.abs(c[1]) * c[2]));
        }
    }

    @Test
    void edgeCases() {
        assertThat(SpecialFunctions.erfInvF64(1)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(SpecialFunctions.erfInvF64(-1)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(SpecialFunctions.erfInvF64(0)).isEqualTo(0);
        assertThat(SpecialFunctions.erfInvF64(Double.NaN)).isNaN();
        assertThat(SpecialFunctions.erfInvF64(2)).isNaN();
    }
}
