package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.cost.CollectiveInfo;
import io.hlo4j.compiler.cost.CostAnalysis;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.rule.ShardingRules;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.dot;
import static io.hlo4j.compiler.spmd.partition.OpsPartitionTest.f32;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The factor plan of dot_general, chlo.ragged_dot and convolution chosen by the bytes it moves ({@link PlanChoice}):
 * under FSDP (batch and weight both split on one axis) the weight is gathered, as XLA does, instead of the activation
 * moved to the contracting split. Values against the global program on simulated devices; bytes measured on the emitted
 * program by the cost analysis (independent of the planner's own estimate), with and without the choice
 * ({@link PartitionOptions#DEFAULT_PLANS_ONLY}).
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
        PartitionedProgram old = Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"), PartitionOptions.DEFAULT_PLANS_ONLY);
        assertThat(receivedBytes(old)).isEqualTo(768);
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

    /**
     * Both operands split on the contracting dim, the result replicated: gathering both operands would move 16x fewer
     * bytes but compute the whole dot on every device (4x the work), so the local partial dot and its all_reduce stay.
     */
    @Test
    void fewerBytesDoNotBuyAReplicatedDot() {
        Random rnd = new Random(3);
        Prog p = new Prog("x=4", rnd);
        String a = p.arg(f32(64, 4), "<@mesh, [{}, {\"x\"}]>"), b = p.arg(f32(4, 64), "<@mesh, [{\"x\"}, {}]>");
        String rep = "<@mesh, [{}, {}]>";
        p.result(p.op("stablehlo.dot_general", List.of(a, b), dot("", "", "1", "0"), "", f32(64, 64), rep), rep);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "stablehlo.all_reduce")).isEqualTo(1);
        assertThat(text).doesNotContain("all_gather");
        assertThat(text).contains("tensor<64x1xf32>");
    }

    static final String RAGGED = "ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], "
            + "rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>";

    /**
     * A grouped matmul (chlo.ragged_dot) whose kernels are split on "x" along the contracting dimension while its result
     * wants the output columns split on "x": the default plan keeps the contraction split and reduce-scatters the
     * result over its output columns (2,048 B per device); the plan chosen by bytes gives "x" to the output columns and
     * moves the kernels (one all_to_all, 1,024 B), with the same work per device (64 rows x 8 x 16 either way). Values
     * against the global program.
     */
    @Test
    void raggedDotMovesTheKernelsInsteadOfReduceScatteringTheColumns() {
        Random rnd = new Random(4);
        Prog p = new Prog("x=2", rnd);
        String lhs = p.arg(f32(64, 16), "<@mesh, [{}, {}]>"), w = p.arg(f32(4, 16, 16), "<@mesh, [{}, {\"x\"}, {}]>");
        String gs = p.op("stablehlo.constant", List.of(), "value = dense<[20, 0, 31, 9]> : tensor<4xi32>", "",
                TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 4), "<@mesh, [{}]>");
        String out = "<@mesh, [{}, {\"x\"}]>";
        p.result(p.op("chlo.ragged_dot", List.of(lhs, w, gs), RAGGED, "", f32(64, 16), out), out);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "stablehlo.all_to_all")).isEqualTo(1);
        assertThat(text).doesNotContain("reduce_scatter").doesNotContain("all_reduce").doesNotContain("all_gather");
        assertThat(prog.report().entries()).isEmpty();
        assertThat(receivedBytes(prog)).isEqualTo(1024);
        PartitionedProgram old = Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"), PartitionOptions.DEFAULT_PLANS_ONLY);
        String oldText = MlirPrinter.print(old.module());
        assertThat(count(oldText, "stablehlo.reduce_scatter")).isEqualTo(1);
        assertThat(oldText).contains("scatter_dimension = 1");
        assertThat(receivedBytes(old)).isEqualTo(2048);
        Site site = Site.of(p.text(), prog);
        assertThat(site.work(site.plan(true, true))).isEqualTo(site.work(site.plan(true, false))).isEqualTo(64 * 8 * 16);
    }

    /**
     * Splitting a ragged_dot's kernel groups does not divide a device's work: each row meets its own group's kernel only,
     * and the device holding the last groups computes every row. Mesh x=2, y=2, group sizes [3, 5, 4, 4]: the default
     * plan keeps lhs's contraction split on (x, y) and computes (16x4, 4x4x16) -> 16x16, 1,024 multiply-adds per device
     * (2,048 B moved); the plan giving "x" to the output columns and "y" to the groups moves fewer bytes (lhs gathered,
     * 1,280 B) but computes (16x16, 3x16x8) -> 16x8 with all 16 rows on the y = 1 devices, 2,048 multiply-adds. The default
     * plan is kept. Values against the global program.
     */
    @Test
    void fewerBytesDoNotBuyRowsOfOtherGroups() {
        Random rnd = new Random(9);
        Prog p = new Prog("x=2,y=2", rnd);
        String lhs = p.arg(f32(16, 16), "<@mesh, [{}, {\"x\", \"y\"}]>"), w = p.arg(f32(4, 16, 16), "<@mesh, [{\"y\"}, {}, {}]>");
        String gs = p.op("stablehlo.constant", List.of(), "value = dense<[3, 5, 4, 4]> : tensor<4xi32>", "",
                TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 4), "<@mesh, [{}]>");
        String out = "<@mesh, [{}, {\"x\"}]>";
        p.result(p.op("chlo.ragged_dot", List.of(lhs, w, gs), RAGGED, "", f32(16, 16), out), out);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        PartitionedProgram old = Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"), PartitionOptions.DEFAULT_PLANS_ONLY);
        assertThat(text).isEqualTo(MlirPrinter.print(old.module()))
                .contains("(tensor<16x4xf32>, tensor<4x4x16xf32>, tensor<4xi32>) -> tensor<16x16xf32>");
        assertThat(receivedBytes(prog)).isEqualTo(2048);

        Site site = Site.of(p.text(), prog);
        FactorPlan kept = site.plan(true, false), columns = site.plan(true, true);
        assertThat(columns.operand(0, "mesh").toString()).doesNotContain("\"x\"").doesNotContain("\"y\"");
        assertThat(columns.operand(1, "mesh").toString()).contains("[{\"y\"}, {}, {\"x\"}]");
        assertThat(site.bytes(kept)).isEqualTo(2048);
        assertThat(site.bytes(columns)).isEqualTo(1280);
        assertThat(site.work(kept)).isEqualTo(16 * 4 * 16);
        assertThat(site.work(columns)).isEqualTo(16 * 16 * 8);
    }

    /**
     * The experts' case of the MoE block (the rows of every token replicated, their features and the kernels' input
     * features split on fsdp, the experts on ep): gathering the kernels over fsdp would compute every row's whole
     * contraction on both fsdp devices (twice the work) and move more bytes than the all_reduce of the partial products,
     * so the contraction stays split (Shardy's insert-explicit-reshards does the same for a dot whose operands share a
     * contracting split). Values against the global program.
     */
    @Test
    void raggedDotKeepsASharedContractingSplit() {
        Random rnd = new Random(6);
        Prog p = new Prog("fsdp=2,ep=2,tp=2", rnd);
        String lhs = p.arg(f32(64, 16), "<@mesh, [{}, {\"fsdp\"}]>"), w = p.arg(f32(4, 16, 16), "<@mesh, [{\"ep\"}, {\"fsdp\"}, {\"tp\"}]>");
        String gs = p.op("stablehlo.constant", List.of(), "value = dense<[20, 0, 31, 13]> : tensor<4xi32>", "",
                TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 4), "<@mesh, [{}]>");
        String out = "<@mesh, [{}, {\"tp\"}]>";
        p.result(p.op("chlo.ragged_dot", List.of(lhs, w, gs), RAGGED, "", f32(64, 16), out), out);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(text).doesNotContain("all_gather").contains("(tensor<64x8xf32>, tensor<3x8x8xf32>, tensor<3xi32>) -> tensor<64x8xf32>");
        assertThat(count(text, "stablehlo.all_reduce")).isEqualTo(1);
        assertThat(receivedBytes(prog)).isEqualTo(receivedBytes(Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"),
                PartitionOptions.DEFAULT_PLANS_ONLY)));

        // why: the only candidate that gathers the kernels over fsdp is the one with no split reduction factor, which
        // also gathers them over ep and computes whole rows (64 x 16 x 8 against 64 x 8 x 8: twice the work per device,
        // the ep split of the groups dividing neither), for more bytes than the all_reduce
        Site site = Site.of(p.text(), prog);
        FactorPlan kept = site.plan(true, false), gathered = site.plan(false, false);
        assertThat(gathered.operand(1, "mesh").toString()).doesNotContain("fsdp");
        assertThat(site.work(kept)).isEqualTo(64 * 8 * 8);
        assertThat(site.work(gathered)).isEqualTo(2 * site.work(kept));
        // the all_reduce over (fsdp, ep) of the [64, 8] partial products
        assertThat(site.bytes(kept)).isEqualTo(3072);
        // the rows' features gathered (2,048 B) and the kernels over (ep, fsdp) (1,536 B)
        assertThat(site.bytes(gathered)).isEqualTo(3584);
    }

    /**
     * The one ragged_dot of a test program ({@code gs = constant; ragged_dot(lhs, w, gs)}) with what {@link PlanChoice}
     * weighs: its operands' and result's shardings, its partition rule, and a candidate plan's work and bytes.
     */
    record Site(io.hlo4j.mlir.ir.Operation op, OpShardingRule rule, io.hlo4j.mlir.dialect.sdy.MeshAttr mesh,
                List<TensorSharding> operands, List<TensorSharding> targets) {
        static Site of(String text, PartitionedProgram prog) {
            io.hlo4j.mlir.ir.Operation main = MlirParser.parseModule(text, "t.mlir").symbols().lookup("main");
            List<io.hlo4j.mlir.ir.Operation> ops = main.region(0).entry().operations();
            io.hlo4j.mlir.ir.Operation rd = ops.get(1);
            return new Site(rd, RaggedDotLocal.partitionRule(rd, ShardingRules.of(rd)), prog.mesh(),
                    List.of(argSharding(main, 0), argSharding(main, 1), shardingOf(ops.get(0))), List.of(shardingOf(rd)));
        }

        private static TensorSharding argSharding(io.hlo4j.mlir.ir.Operation main, int i) {
            return (TensorSharding) ((DictionaryAttr) ((ArrayAttr) main.attr("arg_attrs")).get(i)).get("sdy.sharding");
        }

        private static TensorSharding shardingOf(io.hlo4j.mlir.ir.Operation op) {
            return ((TensorShardingPerValue) op.attributes().get("sdy.sharding")).get(0);
        }

        /** The default plan (reductions, operands' contracting axes first), results first, or no split reduction factor. */
        FactorPlan plan(boolean reducing, boolean resultsFirst) {
            return FactorPlan.plan(rule, new DeviceGrid(mesh), operands, targets, reducing, Set.of(), resultsFirst);
        }

        double work(FactorPlan plan) { return plan.localWork(PlanChoice.undividedFactors(op, rule)); }

        long bytes(FactorPlan plan) { return PlanChoice.bytes(op, mesh, plan, operands, targets, "mesh"); }
    }

    static String conv(String layout) {
        return "dimension_numbers = #stablehlo.conv<" + layout + ">, window_strides = array<i64: 1>, padding = dense<[[1, 1]]> : tensor<1x2xi64>, "
                + "feature_group_count = 1 : i64, batch_group_count = 1 : i64";
    }

    /**
     * FSDP on a 1-D convolution: input [B, S, Cin] split on the batch, kernel [K, Cin, Cout] on its input features, the
     * result on the batch. Chosen by bytes the kernel is gathered (384 B per device), as for a dot, instead of the input
     * moved to a feature split and the result reduce-scattered (1,152 B).
     */
    @Test
    void fsdpConvolutionGathersTheKernel() {
        Random rnd = new Random(7);
        Prog p = new Prog("fsdp=2", rnd);
        String b = "<@mesh, [{\"fsdp\"}, {}, {}]>";
        String x = p.arg(f32(8, 6, 8), b), k = p.arg(f32(3, 8, 8), "<@mesh, [{}, {\"fsdp\"}, {}]>");
        p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]"), "", f32(8, 6, 8), b), b);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        String text = MlirPrinter.print(prog.module());
        assertThat(count(text, "stablehlo.all_gather")).isEqualTo(1);
        assertThat(text).doesNotContain("all_to_all").doesNotContain("reduce_scatter").doesNotContain("all_reduce")
                .containsPattern("stablehlo.all_gather\"\\([^)]*\\)[^\\n]*: \\(tensor<3x4x8xf32>\\) -> tensor<3x8x8xf32>");
        assertThat(receivedBytes(prog)).isEqualTo(384);
        assertThat(receivedBytes(Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"), PartitionOptions.DEFAULT_PLANS_ONLY))).isEqualTo(1152);
    }

    /**
     * A convolution whose result is split along its spatial dimension takes halos after the plan, which the bytes do
     * not count: its default plan is kept (the same program as without the choice).
     */
    @Test
    void spatiallySplitConvolutionKeepsItsDefaultPlan() {
        Random rnd = new Random(8);
        Prog p = new Prog("x=2,y=2", rnd);
        String x = p.arg(f32(8, 8, 8), "<@mesh, [{\"x\"}, {\"y\"}, {}]>"), k = p.arg(f32(3, 8, 8), "<@mesh, [{}, {\"x\"}, {}]>");
        String out = "<@mesh, [{\"x\"}, {\"y\"}, {}]>";
        p.result(p.op("stablehlo.convolution", List.of(x, k), conv("[b, 0, f]x[0, i, o]->[b, 0, f]"), "", f32(8, 8, 8), out), out);
        PartitionedProgram prog = SpmdHarness.check(p.text(), ElementwisePartitionTest.inputs(p, rnd));
        PartitionedProgram old = Spmd.partition(MlirParser.parseModule(p.text(), "t.mlir"), PartitionOptions.DEFAULT_PLANS_ONLY);
        assertThat(MlirPrinter.print(prog.module())).isEqualTo(MlirPrinter.print(old.module()));
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
                cases++;
                if (choiceMovesFewerBytes(p, rnd)) better++;
            }
        }
        assertThat(cases).isEqualTo(48);
        // the random shardings include conflicts the choice resolves more cheaply
        assertThat(better).isGreaterThan(0);
    }

    /**
     * Random grouped matmuls (kernels, rows and result randomly sharded, random group sizes): values right, and the chosen
     * plan never moves more bytes than the default one.
     */
    @Test
    void randomRaggedDotsNeverMoveMoreBytes() {
        int better = 0, cases = 0;
        for (String mesh : List.of("x=2", "x=4", "x=2,y=2", "x=2,y=2,z=2")) {
            for (int seed = 0; seed < 8; seed++) {
                Random rnd = new Random(seed * 17L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                long[] d = {8, 16};
                long k = d[rnd.nextInt(2)], n = d[rnd.nextInt(2)];
                String lhs = p.arg(f32(16, k)), w = p.arg(f32(4, k, n));
                // three random groups and one of a row: at most the 16 rows (rows after the last group come out zero)
                int a = rnd.nextInt(8), b = rnd.nextInt(8), c = rnd.nextInt(16 - a - b);
                String gs = p.op("stablehlo.constant", List.of(), "value = dense<[" + a + ", " + b + ", " + c + ", 1]> : tensor<4xi32>", "",
                        TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 4), "<@mesh, [{}]>");
                TensorType r = f32(16, n);
                String s = p.randomSharding(r).replaceFirst("\\[\\{[^}]*}", "[{}");
                p.result(p.op("chlo.ragged_dot", List.of(lhs, w, gs), RAGGED, "", r, s), s);
                cases++;
                if (choiceMovesFewerBytes(p, rnd)) better++;
            }
        }
        assertThat(cases).isEqualTo(32);
        assertThat(better).isGreaterThan(0);
    }

    /**
     * Partitions {@code p} with the choice (values checked against the global program) and without it: the choice never
     * moves more bytes (measured on the emitted programs); whether it moves fewer.
     */
    static boolean choiceMovesFewerBytes(Prog p, Random rnd) {
        String text = p.text();
        long now = receivedBytes(SpmdHarness.check(text, ElementwisePartitionTest.inputs(p, rnd)));
        long before = receivedBytes(Spmd.partition(MlirParser.parseModule(text, "t.mlir"), PartitionOptions.DEFAULT_PLANS_ONLY));
        assertThat(now).as("bytes with the choice vs without, %s", text).isLessThanOrEqualTo(before);
        return now < before;
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
