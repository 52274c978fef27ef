package io.hlo4j.mlir.dialect.sdy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Coordinates worked out by hand from Shardy's definition: "x":(pre)size reshapes x to [pre, size, rest]. */
class MeshCoordinatesTest {
    static final MeshAttr XY = MeshAttr.of(new MeshAttr.Axis("x", 2), new MeshAttr.Axis("y", 8));

    @Test void positionsAreRowMajorOverTheAxes() {
        assertThat(MeshCoordinates.of(XY, 0)).containsExactly(0, 0);
        assertThat(MeshCoordinates.of(XY, 7)).containsExactly(0, 7);
        assertThat(MeshCoordinates.of(XY, 13)).containsExactly(1, 5);
    }

    @Test void subAxesTakeTheMiddleFactorOfTheReshapedAxis() {
        long[] c = {1, 6}; // y = 6 = 1 * 4 + 1 * 2 + 0 over y reshaped to [2, 2, 2]
        assertThat(MeshCoordinates.coordinate(XY, AxisRef.sub("y", 1, 2), c)).isEqualTo(1);   // [1, 2, 4]: 6 / 4
        assertThat(MeshCoordinates.coordinate(XY, AxisRef.sub("y", 2, 2), c)).isEqualTo(1);   // [2, 2, 2]: 6 / 2 % 2
        assertThat(MeshCoordinates.coordinate(XY, AxisRef.sub("y", 4, 2), c)).isEqualTo(0);   // [4, 2, 1]: 6 % 2
        assertThat(MeshCoordinates.coordinate(XY, AxisRef.sub("y", 2, 4), c)).isEqualTo(2);   // [2, 4, 1]: 6 % 4
        assertThat(MeshCoordinates.coordinate(XY, AxisRef.of("x"), c)).isEqualTo(1);
        // major to minor: x (size 2) then "y":(4)2 (size 2): 1 * 2 + 0
        assertThat(MeshCoordinates.linear(XY, List.of(AxisRef.of("x"), AxisRef.sub("y", 4, 2)), c)).isEqualTo(2);
    }

    @Test void refusesUnknownAxesAndSubAxesThatDoNotDivide() {
        long[] c = {0, 0};
        assertThatThrownBy(() -> MeshCoordinates.coordinate(XY, AxisRef.of("z"), c)).hasMessageContaining("\"z\"").hasMessageContaining("\"x\"=2");
        assertThatThrownBy(() -> MeshCoordinates.coordinate(XY, AxisRef.sub("y", 3, 2), c))
                .hasMessage("sub-axis \"y\":(3)2 does not divide axis \"y\" of size 8");
    }
}
