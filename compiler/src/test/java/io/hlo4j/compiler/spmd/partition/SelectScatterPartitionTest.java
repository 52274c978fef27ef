package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.partition.HaloPartitionTest.count;
import static io.hlo4j.compiler.spmd.partition.LocalBlockOpsPartitionTest.GE_SELECT;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.ADD;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * select_and_scatter (the max-pool gradient) split along its windowed dimensions: halos of the operand and the source,
 * each device running the windows that overlap its block, no all_gather; values against the global program on one
 * device, with ties and -inf in the operand (padding must never be selected, as in the global op).
 */
class SelectScatterPartitionTest {
    static String props(String win, String strides, String padding) {
        return "window_dimensions = array<i64: " + win + ">, window_strides = array<i64: " + strides + ">, padding = " + padding;
    }

    /**
     * Operand values from {-inf, 0, 1, 2} (ties everywhere, -inf where padding would win a careless select), source
     * random; runs the partitioned program against the global one.
     */
    static PartitionedProgram run(Prog p, Random rnd) {
        List<HostArray> inputs = new ArrayList<>();
        List<TensorType> types = p.argTypes();
        for (int i = 0; i < types.size(); i++) {
            TensorType t = types.get(i);
            if (i == 0) {
                double[] v = new double[(int) t.numElements()];
                for (int j = 0; j < v.length; j++) v[j] = rnd.nextInt(5) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextInt(3);
                inputs.add(SpmdHarness.make(t, v));
            } else {
                inputs.add(SpmdHarness.random(t, rnd));
            }
        }
        PartitionedProgram prog = SpmdHarness.check(p.text(), inputs);
        // each element receives the same contributions in the same order as in the global op: equal bit for bit
        List<HostArray> expected = SpmdHarness.runGlobal(io.hlo4j.mlir.parse.MlirParser.parseModule(p.text(), "global.mlir"), inputs);
        List<HostArray> got = SpmdHarness.runPartitioned(prog, inputs);
        for (int r = 0; r < expected.size(); r++) assertThat(got.get(r).toDoubleArray()).as("result #" + r).containsExactly(expected.get(r).toDoubleArray());
        return prog;
    }

    /** One select_and_scatter of a 1-D operand split on {@code axes}, source and result split the same way. */
    static String oneOp(String mesh, String axes, long in, long out, String props) {
        Random rnd = new Random(41);
        Prog p = new Prog(mesh, rnd);
        String sh = "<@mesh, [{" + axes + "}]>";
        String x = p.arg(f32(in), sh), src = p.arg(f32(out), sh);
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.5> : tensor<f32>", "", f32(), "<@mesh, []>");
        p.result(p.op("stablehlo.select_and_scatter", List.of(x, src, z), props, GE_SELECT + ", " + ADD, f32(in), sh), sh);
        PartitionedProgram prog = run(p, rnd);
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "all_gather")).as(text).isZero();
        return text;
    }

    @Test
    void maxPoolGradientTakesHalosOfOperandAndSource() {
        // window 3 stride 2 padded 1 + 1 on 16 (4 devices): operand halos of 3 left / 2 right, source halos of one each side;
        // device 0's windows reach into the low padding: its own variant of the op, picked by a case
        String text = oneOp("x=4", "\"x\"", 16, 8, props("3", "2", "dense<[[1, 1]]> : tensor<1x2xi64>"));
        assertThat(count(text, "collective_permute")).as(text).isEqualTo(4);
        assertThat(text).contains("stablehlo.case");
        assertThat(count(text, "stablehlo.select_and_scatter")).isEqualTo(2);
    }

    @Test
    void overlappingAndWideWindows() {
        // window 3 stride 1 padded 1 + 1: every element in up to three windows, windows across blocks run on both devices
        oneOp("x=4", "\"x\"", 16, 16, props("3", "1", "dense<[[1, 1]]> : tensor<1x2xi64>"));
        // window 5 on blocks of 2 (8 devices): halos over two hops
        String wide = oneOp("x=8", "\"x\"", 16, 16, props("5", "1", "dense<[[2, 2]]> : tensor<1x2xi64>"));
        assertThat(count(wide, "collective_permute")).as(wide).isGreaterThan(4);
        // stride larger than the window (gaps no window reaches keep the init value), no padding
        oneOp("x=4", "\"x\"", 16, 4, props("2", "4", "dense<[[0, 0]]> : tensor<1x2xi64>"));
    }

    @Test
    void unevenMeshes() {
        // 12 on 3 and 6 devices and on 2x3 (as "x", "y" and as "y"): window 3 stride 2 padded 1 + 0 gives 6 windows
        for (String[] m : List.of(new String[] {"x=3", "\"x\""}, new String[] {"x=6", "\"x\""}, new String[] {"x=2,y=3", "\"x\", \"y\""},
                new String[] {"x=2,y=3", "\"y\""})) {
            String text = oneOp(m[0], m[1], 12, 6, props("3", "2", "dense<[[1, 0]]> : tensor<1x2xi64>"));
            assertThat(count(text, "collective_permute")).as(m[0]).isPositive();
        }
    }

    /** A 2-D max pool gradient split on both windowed dimensions (2x3 devices): one variant per corner, edge and interior. */
    @Test
    void twoSplitWindowedDimensions() {
        Random rnd = new Random(43);
        Prog p = new Prog("x=2,y=3", rnd);
        String sh = "<@mesh, [{\"x\"}, {\"y\"}]>";
        String x = p.arg(f32(12, 12), sh), src = p.arg(f32(6, 6), sh);
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32(), "<@mesh, []>");
        p.result(p.op("stablehlo.select_and_scatter", List.of(x, src, z), props("3, 3", "2, 2", "dense<[[1, 0], [1, 0]]> : tensor<2x2xi64>"),
                GE_SELECT + ", " + ADD, f32(12, 12), sh), sh);
        PartitionedProgram prog = run(p, rnd);
        assertThat(prog.report().entries()).as(prog.report().toString()).isEmpty();
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "all_gather")).isZero();
        assertThat(count(text, "collective_permute")).isPositive();
    }

    /** Random shardings of operand, source and result on uneven and power-of-two meshes; none computed replicated. */
    @Test
    void randomShardings() {
        int permutes = 0;
        for (String mesh : List.of("x=3", "x=6", "x=2,y=3", "x=4,y=2", "x=2,y=2,z=2")) {
            for (int seed = 0; seed < 3; seed++) {
                Random rnd = new Random(seed * 4099L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                String x = p.arg(f32(12, 24)), src = p.arg(f32(6, 12));
                String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32());
                p.result(p.op("stablehlo.select_and_scatter", List.of(x, src, z), props("3, 4", "2, 2", "dense<[[1, 0], [1, 1]]> : tensor<2x2xi64>"),
                        GE_SELECT + ", " + ADD, f32(12, 24)));
                PartitionedProgram prog = run(p, rnd);
                assertThat(prog.report().replicated()).as("computed replicated").isEmpty();
                permutes += count(MlirPrinter.print(prog.module()), "collective_permute");
            }
        }
        assertThat(permutes).as("halos exchanged").isPositive();
    }

    /** A source of 6 windows on 4 devices cannot be split into blocks: gathered, and the report says why. */
    @Test
    void sourceThatDoesNotDivideIsGathered() {
        Random rnd = new Random(47);
        Prog p = new Prog("x=4", rnd);
        String sh = "<@mesh, [{\"x\"}]>";
        String x = p.arg(f32(16), sh), src = p.arg(f32(6), "<@mesh, [{}]>");
        String z = p.op("stablehlo.constant", List.of(), "value = dense<0.0> : tensor<f32>", "", f32(), "<@mesh, []>");
        p.result(p.op("stablehlo.select_and_scatter", List.of(x, src, z), props("3", "3", "dense<[[0, 2]]> : tensor<1x2xi64>"),
                GE_SELECT + ", " + ADD, f32(16), sh), sh);
        PartitionedProgram prog = run(p, rnd);
        assertThat(prog.report().entries()).hasSize(1);
        assertThat(prog.report().entries().get(0).why()).contains("dimension 0 gathered").contains("source dimension of 6 is not divisible");
    }
}
