package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.ir.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.assertSameStructure;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.rejects;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.squash;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.verify;
import static org.assertj.core.api.Assertions.assertThat;

/** Shardy ops: pretty syntax as Shardy prints it, and the verifiers with and without the module's meshes. */
class SdyOpsTest {
    private static Operation parse(String text) { return OpSnippet.parse(text).op(); }

    /** Parses, verifies, prints; the printed text must equal the input (up to spacing) and re-parse to the same op. */
    private static void assertRoundTrip(String text) {
        OpSnippet s = OpSnippet.parse(text);
        verify(s.op());
        String printed = squash(s.print());
        String want = squash(text);
        assertThat(printed.substring(printed.indexOf("sdy."))).isEqualTo(want.substring(want.indexOf("sdy.")));
        assertSameStructure(s.op(), parse(printed));
    }

    /** Parses {@code text} in a function of a module that first declares {@code meshes} ("@name = <...>"). */
    private static Operation inModule(String text, String... meshes) {
        String[] decls = new String[meshes.length];
        for (int i = 0; i < meshes.length; i++) decls[i] = "sdy.mesh " + meshes[i];
        return OpSnippet.parse(text, decls).op();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "sdy.mesh @mesh = <[\"dp\"=2, \"ep\"=4]>",
            "sdy.mesh @maximal_mesh_0 = <[], device_ids=[0]>",
            "%1 = sdy.sharding_constraint %0 <@mesh, [{}, {\"tp\"}]> : tensor<8x16xf32>",
            "%1 = sdy.reshard %0 <@mesh, [{}, {\"tp\"}]> : tensor<8x16xf32>",
            "%0 = sdy.propagation_barrier %arg0 allowed_direction=BACKWARD : tensor<8xf32>",
            "sdy.sharding_group %arg0 group_id=21 : tensor<8xf32>",
            "%0 = sdy.all_gather [{}, {\"x\"}] %arg0 out_sharding=<@mesh1, [{\"y\"}, {}]> : tensor<16x8xf32>",
            "%0 = sdy.all_slice [{\"x\", \"z\"}] %arg0 out_sharding=<@mesh2, [{\"y\", \"x\", \"z\"}]> : tensor<16xf32>",
            "%0 = sdy.all_to_all [{\"x\"}: 0->2, {\"y\"}: 1->3] %arg0 out_sharding=<@mesh1, [{}, {}, {\"x\"}, {\"y\"}]> : tensor<16x8x4x4xf32>",
            "%0 = sdy.collective_permute %arg0 out_sharding=<@mesh2, [{\"z\", \"x\"}, {\"y\"}]> : tensor<16x8xf32>",
            "%0 = sdy.all_reduce {\"y\"} %arg0 out_sharding=<@mesh1, [{}, {\"x\"}]> : tensor<16x2xf32>",
            "%0 = sdy.all_reduce max {\"y\"} %arg0 out_sharding=<@mesh1, [{}, {\"x\"}]> : tensor<16x2xf32>",
            "%0 = sdy.reduce_scatter [{}, {\"x\"}] %arg0 out_sharding=<@mesh1, [{}, {\"x\"}]> : tensor<16x2xf32>",
            "%0 = sdy.data_flow_edge %arg0 sharding=<@mesh, [{\"a\"}]> : tensor<8xf32>",
    })
    void prettyFormsRoundTrip(String text) {
        assertRoundTrip(text);
    }

    @Test
    void manualComputationFromTheReferenceNotes() {
        String text = "%r = sdy.manual_computation(%x) in_shardings=[<@mesh, [{\"ep\"}, {}]>] out_shardings=[<@mesh, [{\"ep\"}, {}]>] "
                + "manual_axes={\"ep\"} (%xl: tensor<4x512xf32>) { sdy.return %xl : tensor<4x512xf32> } "
                + ": (tensor<16x512xf32>) -> tensor<16x512xf32>";
        OpSnippet s = OpSnippet.parse(text);
        Operation op = s.op();
        verify(op);
        assertThat(SdyManualComputation.manualAxes(op).axes()).containsExactly("ep");
        assertThat(SdyManualComputation.inShardings(op).get(0).axesOfDim(0)).containsExactly(AxisRef.of("ep"));
        String printed = squash(s.print());
        assertThat(printed).startsWith("%r = sdy.manual_computation(%x) in_shardings=[<@mesh, [{\"ep\"}, {}]>] "
                + "out_shardings=[<@mesh, [{\"ep\"}, {}]>] manual_axes={\"ep\"} (%arg1: tensor<4x512xf32>) {");
        assertThat(printed).endsWith("sdy.return %arg1 : tensor<4x512xf32> } : (tensor<16x512xf32>) -> tensor<16x512xf32>");
        // With the mesh in scope the local shape is checked: ep=4 splits 16 into 4.
        Operation inMod = inModule(text, "@mesh = <[\"dp\"=2, \"ep\"=4]>");
        verify(inMod);
        Operation wrong = inModule(text, "@mesh = <[\"dp\"=2, \"ep\"=2]>");
        rejects(wrong, "operand #0: expected local type tensor<8x512xf32> (global tensor<16x512xf32> divided by manual axes [ep])");
    }

    @Test
    void manualComputationRules() {
        String freeThenManual = "%r = sdy.manual_computation(%x) in_shardings=[<@mesh, [{\"dp\", \"ep\"}, {}]>] "
                + "out_shardings=[<@mesh, [{}, {}]>] manual_axes={\"ep\"} (%xl: tensor<4x512xf32>) { sdy.return %xl : tensor<4x512xf32> } "
                + ": (tensor<16x512xf32>) -> tensor<4x512xf32>";
        rejects(inModule(freeThenManual, "@mesh = <[\"dp\"=2, \"ep\"=4]>"),
                "manual axis \"ep\" comes after a free axis in dimension 0; manual axes must come first");
        String notDivisible = "%r = sdy.manual_computation(%x) in_shardings=[<@mesh, [{\"ep\"}]>] out_shardings=[<@mesh, [{}]>] "
                + "manual_axes={\"ep\"} (%xl: tensor<2xf32>) { sdy.return %xl : tensor<2xf32> } : (tensor<10xf32>) -> tensor<2xf32>";
        rejects(inModule(notDivisible, "@mesh = <[\"ep\"=4]>"), "dimension 0 of size 10 is not divisible by the manual axes' size 4");
        String countMismatch = "%r = sdy.manual_computation(%x) in_shardings=[] out_shardings=[<@mesh, [{}]>] "
                + "manual_axes={} (%xl: tensor<2xf32>) { sdy.return %xl : tensor<2xf32> } : (tensor<2xf32>) -> tensor<2xf32>";
        rejects(parse(countMismatch), "in_shardings has 0 shardings but there are 1 values");
        String unknownAxis = "%r = sdy.manual_computation(%x) in_shardings=[<@mesh, [{}]>] out_shardings=[<@mesh, [{}]>] "
                + "manual_axes={\"q\"} (%xl: tensor<2xf32>) { sdy.return %xl : tensor<2xf32> } : (tensor<2xf32>) -> tensor<2xf32>";
        rejects(inModule(unknownAxis, "@mesh = <[\"ep\"=4]>"), "manual axis \"q\" is not an axis of the mesh");
    }

    @Test
    void namedComputationRoundTripsAndChecksTypes() {
        String text = "%0 = sdy.named_computation<\"foo\">(%arg0) in_shardings=[<@mesh, [{\"b\"}, {}]>] out_shardings=[<@mesh, [{\"a\"}, {}]>] "
                + "(%arg1: tensor<8x2xi32>) { sdy.return %arg1 : tensor<8x2xi32> } : (tensor<8x2xi32>) -> tensor<8x2xi32>";
        OpSnippet s = OpSnippet.parse(text);
        verify(s.op());
        assertThat(squash(s.print())).isEqualTo(squash(text));
        String bad = "%0 = sdy.named_computation<\"foo\">(%arg0) (%arg1: tensor<8x2xi32>) { sdy.return %arg1 : tensor<8x2xi32> } "
                + ": (tensor<8x2xi32>) -> tensor<8x2xf32>";
        rejects(parse(bad), "expected the returned types [tensor<8x2xi32>] to equal the result types [tensor<8x2xf32>]");
    }

    @Test
    void shardingsAreCheckedAgainstTheModulesMesh() {
        String mesh = "@mesh = <[\"x\"=2, \"y\"=4]>";
        verify(inModule("%1 = sdy.sharding_constraint %0 <@mesh, [{\"x\"}, {\"y\":(1)2}]> : tensor<8x16xf32>", mesh));
        rejects(inModule("%1 = sdy.sharding_constraint %0 <@mesh, [{\"z\"}, {}]> : tensor<8x16xf32>", mesh),
                "sharding refers to unknown axis \"z\" (mesh axes [x, y])");
        rejects(inModule("%1 = sdy.sharding_constraint %0 <@other, [{}, {}]> : tensor<8x16xf32>", mesh),
                "sharding refers to unknown mesh @other");
        rejects(inModule("%1 = sdy.reshard %0 <@mesh, [{\"x\"}]> : tensor<8x16xf32>", mesh),
                "sharding has 1 dimension shardings but the tensor tensor<8x16xf32> has rank 2");
        rejects(inModule("%1 = sdy.reshard %0 <@mesh, [{\"x\"}, {\"x\"}]> : tensor<8x16xf32>", mesh),
                "sharding uses axis \"x\" more than once");
        rejects(inModule("%1 = sdy.reshard %0 <@mesh, [{\"y\":(1)3}, {}]> : tensor<8x16xf32>", mesh),
                "pre-size times size (3) must divide the axis size 4");
        rejects(inModule("%1 = sdy.reshard %0 <@mesh, [{\"y\":(1)4}, {}]> : tensor<8x16xf32>", mesh),
                "covers the whole axis");
        rejects(inModule("%1 = sdy.reshard %0 <@mesh, [{\"x\"}, {}], replicated={\"x\"}> : tensor<8x16xf32>", mesh),
                "uses axis \"x\" more than once");
        rejects(parse("%1 = sdy.reshard %0 <@mesh, [{}p1, {\"x\"}]> : tensor<8x16xf32>"), "sharding dim 0 is empty and closed but has a priority");
        verify(parse("%1 = sdy.reshard %0 <@mesh, [{?}p1, {\"x\"}]> : tensor<8x16xf32>"));
        // Outside a module the mesh is unknowable; rank and duplicates are still checked.
        verify(parse("%1 = sdy.reshard %0 <@nowhere, [{\"q\"}, {}]> : tensor<8x16xf32>"));
    }

    @Test
    void meshVerifier() {
        rejects(parse("sdy.mesh @m = <[\"x\"=2, \"x\"=2]>"), "mesh has duplicate axis name \"x\"");
        rejects(parse("sdy.mesh @m = <[\"x\"=2], device_ids=[0, 0]>"), "device ids must be unique");
        rejects(parse("sdy.mesh @m = <[\"x\"=2], device_ids=[0, 1, 2]>"), "mesh has 3 device ids but its axes multiply to 2");
        rejects(parse("sdy.mesh @m = <[\"x\"=0]>"), "must have a positive size");
        rejects(parse("sdy.mesh @m = <[], device_ids=[0, 1]>"), "a mesh without axes may have exactly one device id");
        verify(parse("sdy.mesh @m = <[\"x\"=2, \"y\"=2], device_ids=[3, 2, 1, 0]>"));
    }

    @Test
    void collectiveVerifiers() {
        String mesh = "@mesh1 = <[\"x\"=2, \"y\"=2]>";
        rejects(inModule("%0 = sdy.all_gather [{\"q\"}, {}] %arg0 out_sharding=<@mesh1, [{}, {}]> : tensor<16x8xf32>", mesh),
                "gathering_axes refers to unknown axis \"q\"");
        rejects(parse("%0 = sdy.all_gather [{\"x\"}] %arg0 out_sharding=<@mesh1, [{}, {}]> : tensor<16x8xf32>"),
                "gathering_axes has 1 entries but the tensor has rank 2");
        rejects(parse("%0 = sdy.all_to_all [{\"x\"}: 0->0] %arg0 out_sharding=<@mesh1, [{}, {}]> : tensor<16x8xf32>"),
                "has equal source and target dimensions");
        rejects(parse("%0 = sdy.all_to_all [{\"x\"}: 0->5] %arg0 out_sharding=<@mesh1, [{}, {}]> : tensor<16x8xf32>"),
                "has a dimension out of range [0, 2)");
        Operation max = parse("%0 = sdy.all_reduce max {\"y\"} %arg0 out_sharding=<@mesh1, [{}, {\"x\"}]> : tensor<16x2xf32>");
        assertThat(SdyCollectiveOps.reduction(max)).isEqualTo("max");
        assertThat(SdyOps.direction(parse("%0 = sdy.propagation_barrier %a allowed_direction=NONE : tensor<8xf32>"))).isEqualTo("NONE");
    }
}
