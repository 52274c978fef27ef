package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.forAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * stablehlo.convolution on local blocks: batch, output-feature and input-feature (partial sums) split, spatial
 * dimensions kept whole; grouped convolutions split whole groups. Random shardings on every mesh of
 * {@link OpsPartitionTest#MESHES} against the global program on one device, none computed replicated.
 */
class ConvolutionPartitionTest {
    static String conv(String layout, String strides, String padding, long fgc, long bgc) {
        return "dimension_numbers = #stablehlo.conv<" + layout + ">, window_strides = array<i64: " + strides + ">, padding = " + padding
                + ", feature_group_count = " + fgc + " : i64, batch_group_count = " + bgc + " : i64";
    }

    @Test
    void plainOneAndTwoSpatialDims() {
        forAll("conv", p -> {
            String x = p.arg(f32(8, 6, 8)), k = p.arg(f32(3, 8, 8));
            p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                    "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), "", f32(8, 6, 8)));
            String y = p.arg(f32(4, 8, 5, 5)), w = p.arg(f32(8, 8, 3, 3));
            p.result(p.op("stablehlo.convolution", List.of(y, w), conv("[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]", "2, 1",
                    "dense<[[1, 1], [0, 0]]> : tensor<2x2xi64>", 1, 1), "", f32(4, 8, 3, 3)));
        });
    }

    /** Feature groups (2 groups, and depthwise: one group per channel): a device holds whole groups. */
    @Test
    void featureGroups() {
        forAll("conv-fg", p -> {
            String y = p.arg(f32(4, 8, 6, 4)), w = p.arg(f32(8, 4, 3, 3));
            p.result(p.op("stablehlo.convolution", List.of(y, w), conv("[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]", "1, 1",
                    "dense<[[0, 0], [1, 1]]> : tensor<2x2xi64>", 2, 1), "", f32(4, 8, 4, 4)));
            String x = p.arg(f32(8, 6, 8)), k = p.arg(f32(3, 1, 16));
            p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                    "dense<[[1, 1]]> : tensor<1x2xi64>", 8, 1), "", f32(8, 6, 16)));
        });
    }

    /** Batch groups (the weight gradient of a grouped convolution): the input batch is split in groups of the output features. */
    @Test
    void batchGroups() {
        forAll("conv-bg", p -> {
            String x = p.arg(f32(8, 6, 4)), k = p.arg(f32(3, 4, 8));
            p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                    "dense<[[0, 0]]> : tensor<1x2xi64>", 1, 4), "", f32(2, 4, 8)));
        });
    }

    /**
     * Input features split on both sides: each device convolves its channels, the partial sums are added by one
     * all_reduce (or a reduce_scatter where the result wants output features split); batch split: no collective.
     */
    @Test
    void contractingFeaturesGiveAllReduceOrReduceScatterAndBatchNeedsNothing() {
        for (String out : List.of("<@mesh, [{}, {}, {}]>", "<@mesh, [{}, {}, {\"x\"}]>")) {
            Random rnd = new Random(3);
            Prog p = new Prog("x=4", rnd);
            String x = p.arg(f32(4, 6, 8), "<@mesh, [{}, {}, {\"x\"}]>"), k = p.arg(f32(3, 8, 8), "<@mesh, [{}, {\"x\"}, {}]>");
            p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                    "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), "", f32(4, 6, 8), out), out);
            PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
            String text = MlirPrinter.print(prog.module());
            assertThat(prog.report().entries()).isEmpty();
            assertThat(text).doesNotContain("all_gather").contains("(tensor<4x6x2xf32>, tensor<3x2x8xf32>) -> tensor<4x6x8xf32>")
                    .contains(out.contains("\"x\"") ? "stablehlo.reduce_scatter" : "stablehlo.all_reduce");
        }
        Random rnd = new Random(5);
        Prog p = new Prog("x=2,y=2", rnd);
        String x = p.arg(f32(4, 6, 8), "<@mesh, [{\"x\"}, {}, {}]>"), k = p.arg(f32(3, 8, 8), "<@mesh, [{}, {}, {\"y\"}]>");
        String sh = "<@mesh, [{\"x\"}, {}, {\"y\"}]>";
        p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), "", f32(4, 6, 8), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).isEmpty();
        assertThat(text).doesNotContain("all_gather").doesNotContain("all_reduce").doesNotContain("collective_permute")
                .contains("(tensor<2x6x8xf32>, tensor<3x8x4xf32>) -> tensor<2x6x4xf32>");
    }

    /** Depthwise with channels split: 8 groups on 4 devices become 2 groups per device, no collective. */
    @Test
    void depthwiseGroupsSplitAcrossDevices() {
        Random rnd = new Random(9);
        Prog p = new Prog("x=4", rnd);
        String x = p.arg(f32(2, 6, 8), "<@mesh, [{}, {}, {\"x\"}]>"), k = p.arg(f32(3, 1, 8), "<@mesh, [{}, {}, {\"x\"}]>");
        String sh = "<@mesh, [{}, {}, {\"x\"}]>";
        p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                "dense<[[1, 1]]> : tensor<1x2xi64>", 8, 1), "", f32(2, 6, 8), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).isEmpty();
        assertThat(text).doesNotContain("all_gather").doesNotContain("all_reduce").contains("feature_group_count = 2");
    }

    /** A 1-D convolution of a [4, 16, 4] input split along its spatial dimension on x=4, result split the same way. */
    static String spatialOne(String props, long outLen, int kernel, int halos) {
        Random rnd = new Random(13);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{}, {\"x\"}, {}]>";
        String x = p.arg(f32(4, 16, 4), sh), k = p.arg(f32(kernel, 4, 8), "<@mesh, [{}, {}, {}]>");
        p.result(p.op("stablehlo.convolution", List.of(x, k), props, "", f32(4, outLen, 8), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        assertThat(text).doesNotContain("all_gather");
        assertThat(HaloPartitionTest.count(text, "collective_permute")).as(text).isEqualTo(halos);
        return text;
    }

    /** Spatial dimensions split: halos from the neighbours (padding, stride, input and kernel dilation), no all_gather. */
    @Test
    void spatialDimensionsTakeHalos() {
        String layout = "[b, 0, f]x[0, i, o]->[b, 0, f]";
        spatialOne(conv(layout, "1", "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), 16, 3, 2);
        // stride 2, window 4: (18 - 4) / 2 + 1 = 8
        spatialOne(conv(layout, "2", "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), 8, 4, 2);
        // input dilation 2 (a transposed convolution): 31 + 3 - 3 + 1 = 32; blocks need one element from the right only
        spatialOne(conv(layout, "1", "dense<[[1, 2]]> : tensor<1x2xi64>", 1, 1) + ", lhs_dilation = array<i64: 2>", 32, 3, 1);
        // kernel dilation 2 (spans 5) with padding 2: 20 - 5 + 1 = 16
        spatialOne(conv(layout, "1", "dense<[[2, 2]]> : tensor<1x2xi64>", 1, 1) + ", rhs_dilation = array<i64: 2>", 16, 3, 2);
        // valid convolution, window 5: 12 outputs in blocks of 3 read up to 3 inputs from each side
        spatialOne(conv(layout, "1", "dense<[[0, 0]]> : tensor<1x2xi64>", 1, 1), 12, 5, 2);
        // window 1 stride 2: each output reads one input inside the device's block, no exchange
        spatialOne(conv(layout, "2", "dense<[[0, 0]]> : tensor<1x2xi64>", 1, 1), 8, 1, 0);
    }

    /** Random shardings with spatial dimensions of 16: some split (halos), with features and batch split too. */
    @Test
    void randomSpatialShardings() {
        forAll("conv-spatial", p -> {
            String y = p.arg(f32(4, 16, 16, 8)), w = p.arg(f32(3, 3, 8, 8));
            p.result(p.op("stablehlo.convolution", List.of(y, w), conv("[b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]", "1, 2",
                    "dense<[[1, 1], [1, 0]]> : tensor<2x2xi64>", 1, 1), "", f32(4, 16, 8, 8)));
            String x = p.arg(f32(8, 16, 8)), k = p.arg(f32(3, 4, 8));
            p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                    "dense<[[2, 2]]> : tensor<1x2xi64>", 2, 1) + ", rhs_dilation = array<i64: 2>", "", f32(8, 16, 8)));
        });
    }

    /**
     * Uneven meshes (3, 6, 2x3 devices): 1-D convolutions of a spatial dimension of 12 (blocks of 2, 4, 6), padded and
     * strided, features and batch split too; against the one-device program.
     */
    @Test
    void randomSpatialShardingsOnUnevenMeshes() {
        int permutes = 0;
        for (String mesh : HaloPartitionTest.UNEVEN_MESHES) {
            for (int seed = 0; seed < 3; seed++) {
                Random rnd = new Random(seed * 613L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                String x = p.arg(f32(6, 12, 6)), k = p.arg(f32(3, 6, 6));
                p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                        "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), "", f32(6, 12, 6)));
                p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "2",
                        "dense<[[1, 0]]> : tensor<1x2xi64>", 1, 1), "", f32(6, 6, 6)));
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                assertThat(prog.report().replicated()).as("computed replicated").isEmpty();
                permutes += HaloPartitionTest.count(MlirPrinter.print(prog.module()), "collective_permute");
            }
        }
        assertThat(permutes).as("halos exchanged over the uneven meshes").isPositive();
    }

    /** An input held whole along its spatial dimension, the result split there: each device cuts its window, no collective. */
    @Test
    void wholeSpatialInputIsCutLocally() {
        Random rnd = new Random(23);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{}, {\"x\"}, {}]>";
        String x = p.arg(f32(4, 16, 4), "<@mesh, [{}, {}, {}]>"), k = p.arg(f32(3, 4, 8), "<@mesh, [{}, {}, {}]>");
        p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]", "1",
                "dense<[[1, 1]]> : tensor<1x2xi64>", 1, 1), "", f32(4, 16, 8), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        assertThat(LocalBlockOpsPartitionTest.collectives(text)).as(text).isZero();
        assertThat(text).contains("-> tensor<4x4x8xf32>");
    }
}
