package io.hlo4j.mlir.dialect.sdy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BlockLayoutCheckTest {
    private static final MeshAttr MESH = MeshAttr.of(new MeshAttr.Axis("x", 4), new MeshAttr.Axis("y", 2));

    private static TensorSharding s(List<DimensionSharding> dims, List<AxisRef> replicated, List<AxisRef> unreduced) {
        return new TensorSharding("mesh", null, dims, replicated, unreduced, "sum");
    }

    private static DimensionSharding on(AxisRef... a) { return DimensionSharding.closedOn(a); }

    @Test
    void acceptsEvenLayoutsIncludingDisjointSubAxes() {
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.of("x")), on(AxisRef.of("y"))), List.of(), List.of()),
                new long[]{8, 6}, "t")).isNull();
        // x:(1)2 and x:(2)2 split axis x into two disjoint halves: usable on two dimensions at once.
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.sub("x", 1, 2)), on(AxisRef.sub("x", 2, 2))), List.of(),
                List.of(AxisRef.of("y"))), new long[]{2, 2}, "t")).isNull();
    }

    @Test
    void namesEachRefusal() {
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.of("x"))), List.of(), List.of()), new long[]{8, 8}, "w"))
                .contains("w has rank 2").contains("1 dimension shardings");
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(), on(AxisRef.of("z"))), List.of(), List.of()), new long[]{8, 8}, "w"))
                .contains("w dimension 1").contains("unknown mesh axis \"z\" (mesh axes [x, y])");
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.sub("x", 2, 4))), List.of(), List.of()), new long[]{8}, "w"))
                .contains("sub-axis").contains("does not fit axis \"x\" of size 4");
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.of("y")), on(AxisRef.of("y"))), List.of(), List.of()),
                new long[]{8, 8}, "w")).contains("\"y\" is used twice").contains("dimension 0").contains("dimension 1");
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.sub("x", 1, 2)), on(AxisRef.sub("x", 1, 4))), List.of(),
                List.of()), new long[]{8, 8}, "w")).contains("\"x\" is used twice");
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.of("x"))), List.of(), List.of(AxisRef.of("x"))),
                new long[]{8}, "w")).contains("\"x\" is used twice").contains("unreduced");
        assertThat(BlockLayoutCheck.problem(MESH, s(List.of(on(AxisRef.of("x"), AxisRef.of("y"))), List.of(), List.of()),
                new long[]{12}, "w")).contains("w dimension 0 of size 12 is not divisible by its 8 shards")
                .contains("axes [\"x\", \"y\"] of sizes [4, 2]").contains("nothing is padded");
    }
}
