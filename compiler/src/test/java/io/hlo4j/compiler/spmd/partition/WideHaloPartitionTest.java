package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.HaloPartitionTest.count;
import static io.hlo4j.compiler.spmd.partition.HaloPartitionTest.pad;
import static io.hlo4j.compiler.spmd.partition.HaloPartitionTest.slice;
import static io.hlo4j.compiler.spmd.partition.HaloPartitionTest.window;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.ADD;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.MAX;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Halos wider than one neighbour's block: taken over several hops (one collective_permute per hop and side, whole
 * blocks from the nearer devices, part of the farthest) instead of an all_gather, while the extended block stays
 * smaller than the whole dimension; checked against the global program on one device.
 */
class WideHaloPartitionTest {
    /** One op on a 1-D value split on {@code axes} of {@code mesh}: its explicit program, after checking values and an empty report. */
    static String oneOp(String mesh, String axes, long in, String opName, String props, String regions, long out, boolean withScalar) {
        Random rnd = new Random(31);
        Prog p = new Prog(mesh, rnd);
        String sh = "<@mesh, [{" + axes + "}]>";
        String x = p.arg(f32(in), sh);
        List<String> operands = new ArrayList<>(List.of(x));
        if (withScalar) operands.add(p.op("stablehlo.constant", List.of(), "value = dense<-0.25> : tensor<f32>", "", f32(), "<@mesh, []>"));
        p.result(p.op(opName, operands, props, regions, f32(out), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "all_gather")).as(text).isZero();
        return text;
    }

    @Test
    void sliceAndPadTakeHalosOverTwoHops() {
        // [8:16] of 16 on 4 devices: device 0's outputs 8, 9 lie two blocks to the right (6 elements: a block and a half)
        assertThat(count(oneOp("x=4", "\"x\"", 16, "stablehlo.slice", slice("8", "16", "1"), "", 8, false), "collective_permute")).isEqualTo(2);
        // pad 6 low, crop 6 high: output block k reads inputs 4k-6 .. 4k-3, six from the left
        assertThat(count(oneOp("x=4", "\"x\"", 16, "stablehlo.pad", pad("6", "-6", "0"), "", 16, true), "collective_permute")).isEqualTo(2);
    }

    @Test
    void wideWindowTakesTwoHopsOnEachSide() {
        // window 11 padded 5 + 5: blocks of 4 read 5 from each side, two hops each way
        String sum = oneOp("x=4", "\"x\"", 16, "stablehlo.reduce_window", window("11", "1", "dense<[[5, 5]]> : tensor<1x2xi64>", "1", "1"), ADD, 16, true);
        assertThat(count(sum, "collective_permute")).isEqualTo(4);
        // the same on 8 devices (blocks of 2), max: three hops each way
        String max = oneOp("x=8", "\"x\"", 16, "stablehlo.reduce_window", window("11", "1", "dense<[[5, 5]]> : tensor<1x2xi64>", "1", "1"), MAX, 16, true);
        assertThat(count(max, "collective_permute")).isEqualTo(6);
    }

    @Test
    void wideConvolutionKernelTakesTwoHopsOnEachSide() {
        // kernel 11 padded 5 + 5 along a spatial dimension of 16 on 4 devices
        ConvolutionPartitionTest.spatialOne(ConvolutionPartitionTest.conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                "dense<[[5, 5]]> : tensor<1x2xi64>", 1, 1), 16, 11, 4);
    }

    /** Uneven meshes: blocks of 2 on 6 devices (also 6 as x,y of 2x3, and y alone), blocks of 4 on 3. */
    @Test
    void unevenMeshesTakeHalosOverSeveralHops() {
        // x=6, blocks of 2: [5:11] reads 4 from the right (two hops); window 7 padded 3 + 3 reads 3 from each side
        assertThat(count(oneOp("x=6", "\"x\"", 12, "stablehlo.slice", slice("5", "11", "1"), "", 6, false), "collective_permute")).isEqualTo(2);
        assertThat(count(oneOp("x=6", "\"x\"", 12, "stablehlo.reduce_window", window("7", "1", "dense<[[3, 3]]> : tensor<1x2xi64>", "1", "1"),
                ADD, 12, true), "collective_permute")).isEqualTo(4);
        assertThat(count(oneOp("x=2,y=3", "\"x\", \"y\"", 12, "stablehlo.reduce_window", window("7", "1", "dense<[[3, 3]]> : tensor<1x2xi64>",
                "1", "1"), MAX, 12, true), "collective_permute")).isEqualTo(4);
        // 3 devices, blocks of 4: pad 5 low, crop 5 high reads 5 from the left (two hops)
        assertThat(count(oneOp("x=3", "\"x\"", 12, "stablehlo.pad", pad("5", "-5", "0"), "", 12, true), "collective_permute")).isEqualTo(2);
        assertThat(count(oneOp("x=2,y=3", "\"y\"", 12, "stablehlo.pad", pad("5", "-5", "0"), "", 12, true), "collective_permute")).isEqualTo(2);
    }

    /**
     * With base dilation devices read different counts of inputs: each takes the halo its own windows need, not
     * that of the longest window (which would make the halos too wide, here wide enough to be refused and gathered).
     */
    @Test
    void baseDilatedWindowsTakeEachDevicesOwnHalo() {
        // [6] dilated 3 is 16 positions, padded 2 + 5: device blocks of 2 read 1 input from the left and 2 from the right
        assertThat(count(oneOp("x=3", "\"x\"", 6, "stablehlo.reduce_window", window("9", "1", "dense<[[2, 5]]> : tensor<1x2xi64>", "3", "1"),
                ADD, 15, true), "collective_permute")).isEqualTo(2);
        // window 9, stride 3 over [6] dilated 2, padded 1 + 3: 1 from the left and 2 from the right
        assertThat(count(oneOp("x=3", "\"x\"", 6, "stablehlo.reduce_window", window("9", "3", "dense<[[1, 3]]> : tensor<1x2xi64>", "2", "1"),
                MAX, 3, true), "collective_permute")).isEqualTo(2);
        // window 6 over [4] dilated 3, padded 1 + 2, on 4 devices (blocks of 1): one input from each side
        assertThat(count(oneOp("x=4", "\"x\"", 4, "stablehlo.reduce_window", window("6", "1", "dense<[[1, 2]]> : tensor<1x2xi64>", "3", "1"),
                ADD, 8, true), "collective_permute")).isEqualTo(2);
    }

    /** A transposed convolution (lhs dilation 4, kernel 3, padding 1 low): blocks take one input from the left only. */
    @Test
    void transposedConvolutionTakesEachDevicesOwnHalo() {
        ConvolutionPartitionTest.spatialOne(ConvolutionPartitionTest.conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                "dense<[[1, 0]]> : tensor<1x2xi64>", 1, 1) + ", lhs_dilation = array<i64: 4>", 60, 3, 1);
    }

    /**
     * A cumulative sum over 16 on 4 devices needs 12 elements from the left: with its own block that is the whole
     * dimension, so it is gathered (one all_gather moves no more) and the report says why.
     */
    @Test
    void haloCoveringTheWholeDimensionIsGathered() {
        Random rnd = new Random(2);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}]>";
        String x = p.arg(f32(16), sh);
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32(), "<@mesh, []>");
        p.result(p.op("stablehlo.reduce_window", List.of(x, z), window("16", "1", "dense<[[15, 0]]> : tensor<1x2xi64>", "1", "1"), ADD,
                f32(16), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        assertThat(prog.report().entries()).hasSize(1);
        PartitionReport.Entry e = prog.report().entries().get(0);
        assertThat(e.kind()).isEqualTo(PartitionReport.Kind.COMPUTED_LESS_SHARDED);
        assertThat(e.why()).contains("dimension 0 gathered").contains("12 elements from the left").contains("whole dimension of 16");
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "all_gather")).isEqualTo(1);
        assertThat(count(text, "collective_permute")).isZero();
    }

    /** Random shardings of wide pads, windows and slices of a 12x24 input on the uneven meshes and x=8, against one device. */
    @Test
    void randomShardings() {
        int permutes = 0;
        for (String mesh : List.of("x=3", "x=6", "x=2,y=3", "x=8", "x=4,y=2")) {
            for (int seed = 0; seed < 2; seed++) {
                Random rnd = new Random(seed * 7919L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                boolean even = mesh.contains("8") || mesh.contains("4");
                long r = even ? 16 : 12, c = even ? 32 : 24;
                String x = p.arg(f32(r, c));
                String z = p.op("stablehlo.constant", List.of(), "value = dense<0.5> : tensor<f32>", "", f32());
                p.result(p.op("stablehlo.pad", List.of(x, z), pad("5, 9", "-5, -9", "0, 0"), "", f32(r, c)));
                p.result(p.op("stablehlo.reduce_window", List.of(x, z), window("7, 9", "1, 1", "dense<[[3, 3], [4, 4]]> : tensor<2x2xi64>",
                        "1, 1", "1, 1"), MAX, f32(r, c)));
                p.result(p.op("stablehlo.slice", List.of(x), slice("0, 8", String.valueOf(r) + ", " + (c / 2 + 8), "1, 1"), "", f32(r, c / 2)));
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                assertThat(prog.report().replicated()).as("computed replicated").isEmpty();
                permutes += count(MlirPrinter.print(prog.module()), "collective_permute");
            }
        }
        assertThat(permutes).as("halos exchanged").isGreaterThan(10);
    }
}
