package io.hlo4j.dsl.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class HostExpertFfnTest {
    @Test
    void erfAgainstTabulatedValues() {
        // Abramowitz & Stegun table 7.1 / standard values
        assertThat(HostExpertFfn.erf(0.0)).isEqualTo(0.0);
        assertThat(HostExpertFfn.erf(0.5)).isCloseTo(0.5204998778130465, within(1e-15));
        assertThat(HostExpertFfn.erf(1.0)).isCloseTo(0.8427007929497149, within(1e-15));
        assertThat(HostExpertFfn.erf(-2.0)).isCloseTo(-0.9953222650189527, within(1e-15));
        assertThat(HostExpertFfn.erf(2.5)).isCloseTo(0.9995930479825550, within(1e-15));
        assertThat(HostExpertFfn.erf(3.0)).isCloseTo(0.9999779095030014, within(1e-15));
        assertThat(1 - HostExpertFfn.erf(4.0)).isCloseTo(1.541725790028002e-08, within(1e-15));
    }

    @Test
    void activationsAtOne() {
        assertThat(HostExpertFfn.activation(HiddenAct.SILU, 1.0)).isCloseTo(0.7310585786300049, within(1e-15));
        assertThat(HostExpertFfn.activation(HiddenAct.GELU, 1.0)).isCloseTo(0.8413447460685429, within(1e-15));
        assertThat(HostExpertFfn.activation(HiddenAct.GELU_PYTORCH_TANH, 1.0)).isCloseTo(0.8411919906082768, within(1e-15));
        assertThat(HostExpertFfn.activation(HiddenAct.RELU, -1.0)).isEqualTo(0.0);
    }
}
