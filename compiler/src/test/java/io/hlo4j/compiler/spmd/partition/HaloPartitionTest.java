package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.ADD;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.MAX;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * slice, pad and reduce_window split along a dimension they read across: halos from the neighbours
 * (collective_permute) instead of an all_gather, checked against the global program on one device.
 */
class HaloPartitionTest {
    static String slice(String start, String limit, String strides) {
        return "start_indices = array<i64: " + start + ">, limit_indices = array<i64: " + limit + ">, strides = array<i64: " + strides + ">";
    }

    static String pad(String lo, String hi, String interior) {
        return "edge_padding_low = array<i64: " + lo + ">, edge_padding_high = array<i64: " + hi + ">, interior_padding = array<i64: " + interior + ">";
    }

    static String window(String dims, String strides, String padding, String base, String dil) {
        return "window_dimensions = array<i64: " + dims + ">, window_strides = array<i64: " + strides + ">, padding = " + padding
                + ", base_dilations = array<i64: " + base + ">, window_dilations = array<i64: " + dil + ">";
    }

    static int count(String text, String op) {
        Matcher m = Pattern.compile(Pattern.quote(op) + "\\b").matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    /** One op on a 1-D value of 16 on 4 devices, argument and result split on "x": the explicit program and its check. */
    static String oneOp(String opName, String props, String regions, long out, boolean withScalar) {
        Random rnd = new Random(11);
        Prog p = new Prog("x=4", rnd);
        String x = p.arg(f32(16), "<@mesh, [{\"x\"}]>");
        List<String> operands = List.of(x);
        if (withScalar) {
            String c = p.op("stablehlo.constant", List.of(), "value = dense<-0.25> : tensor<f32>", "", f32(), "<@mesh, []>");
            operands = List.of(x, c);
        }
        p.result(p.op(opName, operands, props, regions, f32(out), "<@mesh, [{\"x\"}]>"), "<@mesh, [{\"x\"}]>");
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        return MlirPrinter.print(prog.module());
    }

    @Test
    void offsetSliceTakesHalosNotAGather() {
        // [2:10] of 16 on 4 devices: output blocks of 2 read inputs 2+2k.., devices 2 and 3 reach into their left neighbour
        String text = oneOp("stablehlo.slice", slice("2", "10", "1"), "", 8, false);
        assertThat(count(text, "all_gather")).isZero();
        assertThat(count(text, "collective_permute")).isEqualTo(1);
        // strided, inside each block: no exchange at all
        String strided = oneOp("stablehlo.slice", slice("1", "16", "2"), "", 8, false);
        assertThat(count(strided, "all_gather") + count(strided, "collective_permute")).isZero();
    }

    @Test
    void edgeAndInteriorPadTakeHalos() {
        String edge = oneOp("stablehlo.pad", pad("2", "2", "0"), "", 20, true);
        assertThat(count(edge, "all_gather")).isZero();
        assertThat(count(edge, "collective_permute")).isEqualTo(2);
        String interior = oneOp("stablehlo.pad", pad("1", "0", "1"), "", 32, true);
        assertThat(count(interior, "all_gather")).isZero();
        String crop = oneOp("stablehlo.pad", pad("-2", "2", "0"), "", 16, true);
        assertThat(count(crop, "all_gather")).isZero();
        assertThat(count(crop, "collective_permute")).isEqualTo(1);
    }

    @Test
    void windowedReduceTakesHalos() {
        String sum3 = oneOp("stablehlo.reduce_window", window("3", "1", "dense<[[1, 1]]> : tensor<1x2xi64>", "1", "1"), ADD, 16, true);
        assertThat(count(sum3, "all_gather")).isZero();
        assertThat(count(sum3, "collective_permute")).isEqualTo(2);
        // max pool 3 stride 2 with one low pad: out (17 - 3) / 2 + 1 = 8
        String pool = oneOp("stablehlo.reduce_window", window("3", "2", "dense<[[1, 0]]> : tensor<1x2xi64>", "1", "1"), MAX, 8, true);
        assertThat(count(pool, "all_gather")).isZero();
        // base dilation 2 (31 elements), padding 1 + 2, window 2 with dilation 2 (spans 3): 34 - 3 + 1 = 32
        String dil = oneOp("stablehlo.reduce_window", window("2", "1", "dense<[[1, 2]]> : tensor<1x2xi64>", "2", "2"), ADD, 32, true);
        assertThat(count(dil, "all_gather")).isZero();
    }

    /** Meshes whose axes are not powers of two: blocks of 3 and 6, halos across an odd number of devices. */
    static final List<String> UNEVEN_MESHES = List.of("x=3", "x=6", "x=2,y=3");

    /**
     * Random shardings on every mesh (power-of-two ones on a 16x32 input, uneven ones on 12x24): 2-D slices, pads and
     * windows, some dimensions halo'd, some split one to one, some gathered; none computed replicated, and halos
     * taken on every mesh.
     */
    @Test
    void randomShardings() {
        int total = 0;
        List<String> meshes = new java.util.ArrayList<>(OpsPartitionTest.MESHES);
        meshes.addAll(UNEVEN_MESHES);
        for (String mesh : meshes) {
            int permutes = 0;
            boolean uneven = UNEVEN_MESHES.contains(mesh);
            for (int seed = 0; seed < 2; seed++) { // six ops on up to 16 devices: two seeds per mesh keep the class fast
                Random rnd = new Random(seed * 1009L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                if (uneven) unevenProgram(p);
                else randomProgram(p);
                PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
                assertThat(prog.report().replicated()).as("computed replicated").isEmpty();
                permutes += count(MlirPrinter.print(prog.module()), "collective_permute");
            }
            assertThat(permutes).as("halos exchanged on " + mesh).isPositive();
            total += permutes;
        }
        assertThat(total).as("halos exchanged over all random programs").isGreaterThan(20);
    }

    private static void randomProgram(Prog p) {
        String x = p.arg(f32(16, 32));
        String c = p.op("stablehlo.constant", List.of(), "value = dense<0.5> : tensor<f32>", "", f32());
        p.result(p.op("stablehlo.slice", List.of(x), slice("4, 3", "12, 31", "1, 2"), "", f32(8, 14)));
        p.result(p.op("stablehlo.slice", List.of(x), slice("1, 0", "16, 32", "2, 1"), "", f32(8, 32)));
        p.result(p.op("stablehlo.pad", List.of(x, c), pad("1, 3", "-1, 1", "0, 0"), "", f32(16, 36)));
        p.result(p.op("stablehlo.pad", List.of(x, c), pad("1, -1", "0, 1", "1, 0"), "", f32(32, 32)));
        String ninf = p.op("stablehlo.constant", List.of(), "value = dense<0xFF800000> : tensor<f32>", "", f32());
        p.result(p.op("stablehlo.reduce_window", List.of(x, ninf), window("3, 3", "1, 2", "dense<[[1, 1], [1, 0]]> : tensor<2x2xi64>",
                "1, 1", "1, 1"), MAX, f32(16, 16)));
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32());
        p.result(p.op("stablehlo.reduce_window", List.of(x, z), window("2, 4", "2, 1", "dense<[[0, 0], [2, 1]]> : tensor<2x2xi64>",
                "1, 1", "1, 1"), ADD, f32(8, 32)));
    }

    /** The same kinds of op on a 12x24 input, every result dimension divisible by 2, 3 and 6. */
    private static void unevenProgram(Prog p) {
        String x = p.arg(f32(12, 24));
        String c = p.op("stablehlo.constant", List.of(), "value = dense<0.5> : tensor<f32>", "", f32());
        p.result(p.op("stablehlo.slice", List.of(x), slice("3, 1", "9, 24", "1, 2"), "", f32(6, 12)));
        p.result(p.op("stablehlo.slice", List.of(x), slice("1, 0", "12, 24", "2, 1"), "", f32(6, 24)));
        p.result(p.op("stablehlo.pad", List.of(x, c), pad("1, 3", "-1, 3", "0, 0"), "", f32(12, 30)));
        p.result(p.op("stablehlo.pad", List.of(x, c), pad("1, -1", "0, 1", "1, 0"), "", f32(24, 24)));
        String ninf = p.op("stablehlo.constant", List.of(), "value = dense<0xFF800000> : tensor<f32>", "", f32());
        p.result(p.op("stablehlo.reduce_window", List.of(x, ninf), window("3, 3", "1, 2", "dense<[[1, 1], [1, 0]]> : tensor<2x2xi64>",
                "1, 1", "1, 1"), MAX, f32(12, 12)));
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32());
        p.result(p.op("stablehlo.reduce_window", List.of(x, z), window("2, 4", "2, 1", "dense<[[0, 0], [2, 1]]> : tensor<2x2xi64>",
                "1, 1", "1, 1"), ADD, f32(6, 24)));
    }

    /**
     * A result of 6 split on 4 devices cannot be held: refused by name (op, size, shards), whether the input is split
     * (halo path) or held whole (cut path; this was a NullPointerException).
     */
    @Test
    void resultThatDoesNotSplitIsRefusedByName() {
        String sh = "<@mesh, [{\"x\"}]>";
        for (String in : List.of("<@mesh, [{}]>", sh)) {
            Prog p = new Prog("x=4", new Random(1));
            String x = p.arg(f32(16), in);
            p.result(p.op("stablehlo.slice", List.of(x), slice("1", "7", "1"), "", f32(6), sh), sh);
            assertThatThrownBy(() -> Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"))).as(in)
                    .isInstanceOf(Hlo4jException.class).hasMessageContaining("stablehlo.slice").hasMessageContaining("size 6")
                    .hasMessageContaining("4 shards");
        }
    }

    /** A pad of an empty input (all pad value) split on x=4: computed whole, reported, values match (this divided by zero). */
    @Test
    void padOfAnEmptyInputIsComputedWhole() {
        Random rnd = new Random(29);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}, {}]>";
        String x = p.arg(f32(0, 2), sh);
        String c = p.op("stablehlo.constant", List.of(), "value = dense<-0.25> : tensor<f32>", "", f32(), "<@mesh, []>");
        p.result(p.op("stablehlo.pad", List.of(x, c), pad("4, 0", "4, 0", "0, 0"), "", f32(8, 2), sh), sh);
        p.result(p.op("stablehlo.slice", List.of(p.arg(f32(8, 2), sh)), slice("3, 0", "3, 2", "1, 1"), "", f32(0, 2), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        assertThat(prog.report().entries()).extracting(PartitionReport.Entry::why).as(prog.report().toString())
                .anySatisfy(w -> assertThat(w).contains("dimension 0 gathered: the input dimension is empty"));
    }

    static final String ADD_MAX = "{\n  ^bb0(%a: tensor<f32>, %c: tensor<f32>, %b: tensor<f32>, %d: tensor<f32>):\n"
            + "    %s = \"stablehlo.add\"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>\n"
            + "    %m = \"stablehlo.maximum\"(%c, %d) : (tensor<f32>, tensor<f32>) -> tensor<f32>\n"
            + "    \"stablehlo.return\"(%s, %m) : (tensor<f32>, tensor<f32>) -> ()\n}";

    /** A reduce_window of two inputs (sum and max, each padded with its own init): both windows take halos. */
    @Test
    void variadicWindowTakesHalosForEachInput() {
        Random rnd = new Random(17);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}]>";
        String x = p.arg(f32(16), sh), y = p.arg(f32(16), sh);
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32(), "<@mesh, []>");
        String big = p.op("stablehlo.constant", List.of(), "value = dense<5.0> : tensor<f32>", "", f32(), "<@mesh, []>");
        List<String> r = p.ops("stablehlo.reduce_window", List.of(x, y, z, big), window("3", "1", "dense<[[2, 0]]> : tensor<1x2xi64>", "1", "1"),
                ADD_MAX, List.of(f32(16), f32(16)), List.of(sh, sh));
        p.result(r.get(0), sh);
        p.result(r.get(1), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String out = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).isEmpty();
        assertThat(out).doesNotContain("all_gather");
        assertThat(count(out, "collective_permute")).as(out).isEqualTo(2);
    }

    /** An input held whole along the dimension: each device cuts its window out, no collective (pad, slice and window). */
    @Test
    void wholeInputIsCutLocally() {
        Random rnd = new Random(19);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}]>";
        String x = p.arg(f32(16), "<@mesh, [{}]>");
        String c = p.op("stablehlo.constant", List.of(), "value = dense<-0.25> : tensor<f32>", "", f32(), "<@mesh, []>");
        p.result(p.op("stablehlo.pad", List.of(x, c), pad("3", "1", "0"), "", f32(20), sh), sh);
        p.result(p.op("stablehlo.slice", List.of(x), slice("8", "16", "1"), "", f32(8), sh), sh);
        p.result(p.op("stablehlo.reduce_window", List.of(x, c), window("8", "1", "dense<[[7, 0]]> : tensor<1x2xi64>", "1", "1"), ADD,
                f32(16), sh), sh);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        assertThat(LocalBlockOpsPartitionTest.collectives(text)).as(text).isZero();
    }
}
