package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.mesh;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad reshards are refused naming the tensor, the dimension, the axes, the sizes and the caller's location. */
class ReshardErrorsTest {
    static final MeshAttr M = mesh("x", 2, "y", 4);
    static final Location HERE = new Location.FileLineCol("model.java", 42, 7);

    @Test
    void unknownAxis() {
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(8, 8), spec("x", ""), spec("", "z"), HERE))
                .isInstanceOf(ReshardException.class)
                .hasMessageContaining("tensor<8x8xf32> dimension 1").hasMessageContaining("unknown mesh axis \"z\"")
                .hasMessageContaining("[x, y]")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((ReshardException) e).location()).isEqualTo(HERE));
    }

    @Test
    void axisUsedTwice() {
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(8, 8), spec("y", "y"), spec("", ""), HERE))
                .hasMessageContaining("\"y\" is used twice").hasMessageContaining("dimension 0").hasMessageContaining("dimension 1");
        TensorSharding overlapping = ReshardHarness.of(List.of(List.of(AxisRef.sub("y", 1, 4)), List.of(AxisRef.sub("y", 2, 2))), List.of());
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(8, 8), spec("", ""), overlapping, HERE)).hasMessageContaining("\"y\" is used twice");
        TensorSharding partialToo = ReshardHarness.of(List.of(List.of(AxisRef.of("x")), List.of()), List.of(AxisRef.of("x")));
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(8, 8), partialToo, spec("", ""), HERE))
                .hasMessageContaining("\"x\" is used twice").hasMessageContaining("unreduced");
    }

    @Test
    void indivisibleDimension() {
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(6, 8), spec("", ""), spec("x,y", ""), HERE))
                .hasMessageContaining("tensor<6x8xf32> dimension 0 of size 6").hasMessageContaining("8 shards")
                .hasMessageContaining("[\"x\", \"y\"]").hasMessageContaining("[2, 4]").hasMessageContaining("nothing is padded");
    }

    @Test
    void anEmptyTensorIsRefusedByNameNotDividedByZero() {
        // nothing to move, but the local block shapes still differ: the partitioner makes the empty block in place
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(0, 8), spec("x", ""), spec("", "y"), HERE))
                .isInstanceOf(ReshardException.class)
                .hasMessageContaining("reshard of tensor<0x8xf32>").hasMessageContaining("no elements")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((ReshardException) e).location()).isEqualTo(HERE));
    }

    @Test
    void rankMismatchAndNewPendingSums() {
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(8), spec("x", ""), spec("", ""), HERE))
                .hasMessageContaining("rank 1").hasMessageContaining("2 dimension shardings");
        TensorSharding partial = ReshardHarness.of(List.of(List.of(), List.of()), List.of(AxisRef.of("x")));
        assertThatThrownBy(() -> ReshardPlanner.plan(M, f32(8, 8), spec("", ""), partial, HERE))
                .hasMessageContaining("unreduced axes [\"x\"]").hasMessageContaining("does not make values partial");
    }

    @Test
    void emittingOnTheWrongLocalTypeIsRefused() {
        ReshardPlan p = ReshardPlanner.plan(M, f32(8, 8), spec("x", ""), spec("", "x"));
        var f = io.hlo4j.mlir.build.IrBuilder.function("main", List.of(f32(8, 8)), HERE);
        assertThatThrownBy(() -> ReshardEmitter.emit(p, f, f.argument(0), () -> 1, HERE))
                .hasMessageContaining("expects a local block tensor<4x8xf32> but got tensor<8x8xf32>");
    }

}
