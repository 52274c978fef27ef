package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.cost.CollectiveInfo;
import io.hlo4j.compiler.cost.CostAnalysis;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.dot;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * dot_general's factor plan chosen by the bytes it moves ({@link PlanChoice}): under FSDP (batch and weight both split
 * on one axis) the weight is gathered, as XLA does, instead of the activation moved to the contracting split. Values
 * against the global program on simulated devices; bytes measured on the emitted program by the cost analysis
 * (independent of the planner's own estimate), with and without the choice.
 */
class DotPlanByBytesTest {
    static final String X = "<@mesh, [{\"fsdp\"}, {}]>";

    /** The journey's repro: x[32,16] and w[16,4] both split on fsdp along dim 0, the result along its rows. */
    @Test
    void fsdpGathersTheWeight() {
        Random rnd = new Random(1);
        Prog p = new Prog("fsdp=2", rnd);
        String x = p.arg(f32(32, 16), X), w = p.arg(f32(16, 4), X);
        p.result(p.op("stablehlo.dot_general", List.of(x, w), dot("", "", "1", "0"), "", f32(32, 4), X), X);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "stablehlo.all_gather")).isEqualTo(1);
        assertThat(text).doesNotContain("all_to_all").doesNotContain("reduce_scatter").doesNotContain("all_reduce")
                .doesNotContain("collective_permute");
        // the gathered value is w's block (8x4 -> 16x4), 128 B received per device
        assertThat(text).containsPattern("stablehlo.all_gather\"\\([^)]*\\)[^\\n]*: \\(tensor<8x4xf32>\\) -> tensor<16x4xf32>");
        assertThat(receivedBytes(prog)).isEqualTo(128);
        // before the choice: an all_to_all of x (512 B) and a reduce_scatter of the result (256 B)
        PlanChoice.BY_BYTES.set(false);
        try {
            PartitionedProgram old = Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"));
            assertThat(receivedBytes(old)).isEqualTo(768);
        } finally {
            PlanChoice.BY_BYTES.remove();
        }
    }

    /** Batched FSDP (a [B, S, D] activation, the weight's D split): the weight gathered, nothing else moves. */
    @Test
    void fsdpBatchedActivation() {
        Random rnd = new Random(2);
        Prog p = new Prog("fsdp=2,tp=2", rnd);
        String act = "<@mesh, [{\"fsdp\"}, {}, {}]>";
        String x = p.arg(f32(4, 8, 16), act), w = p.arg(f32(16, 8), "<@mesh, [{\"fsdp\"}, {\"tp\"}]>");
        String out = "<@mesh, [{\"fsdp\"}, {}, {\"tp\"}]>";
        p.result(p.op("stablehlo.dot_general", List.of(x, w), dot("", "", "2", "0"), "", f32(4, 8, 8), out), out);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "stablehlo.all_gather")).isEqualTo(1);
        assertThat(text).doesNotContain("all_to_all").doesNotContain("reduce_scatter").doesNotContain("all_reduce");
    }

    /** Random dot shapes and shardings: values right, and the chosen plan never moves more bytes than the default one. */
    @Test
    void randomDotsNeverMoveMoreBytes() {
        int better = 0, cases = 0;
        for (String mesh : List.of("x=2", "x=4", "x=2,y=2", "x=2,y=2,z=2")) {
            for (int seed = 0; seed < 12; seed++) {
                Random rnd = new Random(seed * 31L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                long[] d = {4, 8, 16};
                long m = d[rnd.nextInt(3)], k = d[rnd.nextInt(3)], n = d[rnd.nextInt(3)];
                boolean batched = rnd.nextBoolean();
                String text;
                if (batched) {
                    String a = p.arg(f32(4, m, k)), b = p.arg(f32(4, k, n));
                    TensorType r = f32(4, m, n);
                    String s = p.randomSharding(r);
                    p.result(p.op("stablehlo.dot_general", List.of(a, b), dot("0", "0", "2", "1"), "", r, s), s);
                } else {
                    String a = p.arg(f32(m, k)), b = p.arg(f32(k, n));
                    TensorType r = f32(m, n);
                    String s = p.randomSharding(r);
                    p.result(p.op("stablehlo.dot_general", List.of(a, b), dot("", "", "1", "0"), "", r, s), s);
                }
                text = p.text();
                PartitionedProgram chosen = SpmdHarness.check(text, ElementwisePartitionTest.inputs(p, rnd));
                long now = receivedBytes(chosen), before;
                PlanChoice.BY_BYTES.set(false);
                try {
                    before = receivedBytes(Spmd.partition(MlirParser.parseModule(text, "t.mlir")));
                } finally {
                    PlanChoice.BY_BYTES.remove();
                }
                assertThat(now).as("bytes with the choice vs without, %s", text).isLessThanOrEqualTo(before);
                cases++;
                if (now < before) better++;
            }
        }
        assertThat(cases).isEqualTo(48);
        // the random shardings include conflicts the choice resolves more cheaply
        assertThat(better).isGreaterThan(0);
    }

    static long receivedBytes(PartitionedProgram prog) {
        long sum = 0;
        for (CollectiveInfo c : CostAnalysis.analyze(prog.module()).collectives()) {
            assertThat(c.bytesPerDevice()).isNotNegative();
            sum += c.bytesPerDevice();
        }
        return sum;
    }

    static int count(String text, String op) {
        Matcher mm = Pattern.compile("\"" + Pattern.quote(op) + "\"").matcher(text);
        int n = 0;
        while (mm.find()) n++;
        return n;
    }
}
