package io.hlo4j.mlir.dialect.sdy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which axis references share devices' coordinates (the one rule the verifier, propagation and the partitioner use). */
class AxisRefOverlapTest {

    @Test
    void wholeAxesOverlapEverythingOfTheirNameAndSubAxesByTheirRanges() {
        AxisRef x = AxisRef.of("x"), y = AxisRef.of("y");
        AxisRef x12 = AxisRef.sub("x", 1, 2), x22 = AxisRef.sub("x", 2, 2), x14 = AxisRef.sub("x", 1, 4), x42 = AxisRef.sub("x", 4, 2);
        assertThat(x.overlaps(y)).isFalse();
        assertThat(x.overlaps(x)).isTrue();
        assertThat(x.overlaps(x22)).isTrue();
        assertThat(x22.overlaps(x)).isTrue();
        assertThat(x12.overlaps(x22)).as("[1,2) and [2,4)").isFalse();
        assertThat(x22.overlaps(x12)).isFalse();
        assertThat(x14.overlaps(x22)).as("[1,4) and [2,4)").isTrue();
        assertThat(x14.overlaps(x42)).as("[1,4) and [4,8)").isFalse();
        assertThat(AxisRef.sub("y", 1, 2).overlaps(x12)).isFalse();
    }

    @Test
    void aPartThatCoversItsAxisIsTheAxis() {
        assertThat(AxisRef.part("x", 1, 4, 4)).isEqualTo(AxisRef.of("x"));
        assertThat(AxisRef.part("x", 1, 2, 4)).isEqualTo(AxisRef.sub("x", 1, 2));
        assertThat(AxisRef.part("x", 2, 2, 4)).isEqualTo(AxisRef.sub("x", 2, 2));
    }
}
