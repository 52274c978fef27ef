package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code hlo4j demo}: the demo runs once (with the mock PJRT plugin when it is built); its printed numbers are checked
 * against values computed here independently: the collectives' bytes from the shapes and from the plain-Java
 * reference's routing, the cost model's totals by hand, the agreement against the reference, the op histogram by
 * counting the printed program's ops here. The hand-written StableHLO of the same block (a test resource, used by
 * the inspect and interpreter tests) is checked against the reference too.
 */
class DemoCommandTest {
    static Cli.Run demo;
    static boolean withMock;

    @BeforeAll static void runTheDemoOnce() {
        Path mock = MockPlugin.findOrNull(); // under CI an absent plugin fails here
        withMock = mock != null;
        demo = withMock ? Cli.run("demo", "--pjrt-plugin", mock.toString(), "--pjrt-option", "num_devices=1") : Cli.run("demo");
    }

    @Test void demoRunsAndSummarises() {
        assertThat(demo.code()).as(demo.toString()).isZero();
        assertThat(demo.err()).isEmpty();
        assertThat(demo.out()).startsWith("hlo4j demo: Mixtral-style MoE block traced with the DSL")
                .contains("  public @main(tensor<1x8x16xf32>, tensor<16x4xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x32x16xf32>)")
                .contains("op histogram:").contains("chlo.ragged_dot")
                .contains("partitioned for mesh dp=1,fsdp=2,ep=2,tp=2,sp=1 (8 simulated devices), EP mode token-sharded (picked by auto");
    }

    /**
     * The cost model's totals per mode, by hand: T = 8 tokens, X = 4 expert shards of L = 1 expert, Q = 2, H = 16,
     * k = 2, E = 4, f32. Token-sharded moves one row per (token, remote shard) pair: a token's 2 distinct experts
     * touch (X-1)(1 - C(3,2)/C(4,2)) = 1.5 other shards on average, so T/X * 1.5 = 3 pairs per shard; each carries
     * its one assignment's f32 weight (L = 1: no expert code), and the counts cost one i32 per peer.
     */
    @Test void autoPicksTheCheapestModeByTheModelsBytes() {
        double t = 8, x = 4, h = 16, k = 2, e = 4, ring = 3.0 / 4;
        double replicated = ring * t * h * 4 + 0.5 * t * h * 4 + 2 * ring * t * h / 2 * 4;        // dp = 1: no loads psum
        double ringMode = ring * t * h * 4 + 2 * ring * t * k * 4 + 0.5 * t * h * 4 + ring * t * h / 2 * 4 + 2 * ring * e * 4;
        double tl = t / x, pairs = tl * 3 * (1 - 3.0 / 6);
        double tokenSharded = ring * x * 4 + pairs * h * 4 + tl * k * ring * 4 + pairs * h * 4 + 0.5 * tl * h * 4 + 2 * ring * e * 4;
        assertThat(demo.out()).contains("the fewest bytes per device of replicated " + Math.round(replicated) + " B, ring "
                + Math.round(ringMode) + " B, token-sharded " + Math.round(tokenSharded) + " B");
        assertThat(tokenSharded).isLessThan(Math.min(replicated, ringMode));
    }

    /**
     * The table's rows: the fixed-size collectives' bytes from their shapes; the ragged all-to-alls' from the
     * reference's routing: token shard i = tokens 2i, 2i+1 on the device that owns expert i; a (token, expert) pair
     * whose expert is not i goes to another device with its row (H f32 = 64 bytes) and its f32 weight (4 bytes; one
     * expert per shard, so no expert code), and its result row comes back (64 bytes); the counts are one i32 per peer.
     */
    @Test void collectivesTableMatchesBytesComputedFromTheRouting() {
        int[][] experts = MoeReference.compute(MoeReference.inputs(DemoCommand.SEED)).experts();
        long[] pairsOut = new long[4], pairsIn = new long[4];
        for (int tok = 0; tok < 8; tok++) {
            for (int e : experts[tok]) {
                if (e != tok / 2) {
                    pairsOut[tok / 2]++;
                    pairsIn[e]++;
                }
            }
        }
        long out = java.util.Arrays.stream(pairsOut).max().orElseThrow(), in = java.util.Arrays.stream(pairsIn).max().orElseThrow();
        String o = demo.out();
        assertThat(o).containsPattern("\\n  0  all_to_all +fsdp,ep +4 +" + (3 * 4) + " +12\\n");
        assertThat(o).containsPattern("\\n  1  ragged_all_to_all +fsdp,ep +4 +" + out * 64 + " +" + in * 64 + "\\n");
        assertThat(o).containsPattern("\\n  2  ragged_all_to_all +fsdp,ep +4 +" + out * 4 + " +" + in * 4 + "\\n");
        assertThat(o).containsPattern("\\n  3  ragged_all_to_all +fsdp,ep +4 +" + in * 64 + " +" + out * 64 + "\\n");
        assertThat(o).containsPattern("\\n  4  reduce_scatter +tp +2 +" + (2 * 16 * 4 / 2) + " +64\\n");
        assertThat(o).containsPattern("\\n  5  all_reduce +fsdp,ep +4 +" + (2 * 3 * 4 * 4 / 4) + " +24\\n");
        assertThat(o).containsPattern("assignment counts +bound +12 +12 \\(#0\\)");
        assertThat(o).containsPattern("dispatch \\(expected, uniform routing\\) +expected +192 +" + out * 64 + " \\(#1\\)");
        assertThat(o).containsPattern("dispatch weights \\(expected\\) +expected +12 +" + out * 4 + " \\(#2\\)");
        assertThat(o).containsPattern("combine \\(expected, uniform routing\\) +expected +192 +" + in * 64 + " \\(#3\\)");
    }

    /** Each printed error is at most the limit, and the unpartitioned one is the error computed here against the reference. */
    @Test void agreementIsPrintedAndWithinTheLimit() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("unpartitioned vs Java reference: output (\\S+), router logits (\\S+)").matcher(demo.out());
        assertThat(m.find()).as(demo.out()).isTrue();
        MoeReference.Inputs in = MoeReference.inputs(DemoCommand.SEED);
        java.util.Map<String, HostArray> a = DemoCommand.arrays(in);
        List<String> outNames = new java.util.ArrayList<>();
        HostArray[] argv = a.values().toArray(HostArray[]::new);
        List<HostArray> res = io.hlo4j.dsl.jit.Jit.jit(MoeRunCommand.layer(DemoCommand.config(), List.copyOf(a.keySet()), outNames))
                .lower((Object[]) argv).compile().call(argv);
        double[] y = res.get(0).toDoubleArray(), ref = MoeReference.compute(in).y();
        double err = 0;
        for (int i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
        assertThat(m.group(1)).isEqualTo(DemoCommand.fmt(err));
        for (String line : demo.out().lines().filter(l -> l.contains(" vs ")).toList()) {
            java.util.regex.Matcher n = java.util.regex.Pattern.compile("(output|router logits) ([0-9.e+-]+)").matcher(line);
            while (n.find()) assertThat(Double.parseDouble(n.group(2))).as(line).isLessThanOrEqualTo(DemoCommand.TOLERANCE);
        }
        assertThat(demo.out()).contains("top-2 experts of every token agree");
    }

    /** The mock plugin runs single-op programs only: the demo says so in one line and still exits 0. */
    @Test void aPjrtPluginThatRefusesTheProgramIsReported() {
        Assumptions.assumeTrue(withMock, "mock PJRT plugin not built (build the runtime module first)");
        List<String> lines = demo.out().lines().filter(l -> l.startsWith("pjrt ")).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("did not run the program").contains("UNIMPLEMENTED");
        assertThat(demo.code()).isZero();
    }

    /** --no-run still checks the mesh, with the message the run gives (the experts must divide over the expert axes). */
    @Test void noRunRefusesAMeshTheRunWouldRefuse() {
        Cli.Run r = Cli.run("demo", "--mesh", "ep=3", "--no-run");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains("4 experts do not divide over the 3 shards");
    }

    /**
     * The demo plans and traces the expert-parallel program once (the mesh check) and runs that plan: the run's
     * module is the planned one, and its results are those of moe run's one-call path on the same arrays.
     */
    @Test void aPlannedRunReusesThePlannedProgram() {
        io.hlo4j.dsl.shard.Mesh mesh = DumpCommand.parseMesh(DemoCommand.MESH, null);
        java.util.Map<String, HostArray> a = DemoCommand.arrays(MoeReference.inputs(DemoCommand.SEED));
        MeshMoeRun.FusedPlan plan = MeshMoeRun.planFused(DemoCommand.config(), mesh, io.hlo4j.dsl.moe.ep.EpMode.AUTO,
                MoeReference.TOKENS, MoeReference.FFN, io.hlo4j.dsl.DType.F32, io.hlo4j.dsl.moe.ep.EpBiases.NONE);
        MeshMoeRun planned = MeshMoeRun.fused(plan, a);
        assertThat(planned.annotated()).isSameAs(plan.annotated());
        MeshMoeRun once = MeshMoeRun.run(DemoCommand.config(), mesh, io.hlo4j.dsl.moe.ep.EpMode.AUTO, a);
        assertThat(planned.results().keySet()).containsExactlyElementsOf(once.results().keySet());
        for (String k : once.results().keySet()) {
            assertThat(planned.results().get(k).toDoubleArray()).as(k).containsExactly(once.results().get(k).toDoubleArray());
        }
    }

    @Test void noRunStopsAfterTheSummary() {
        Cli.Run r = Cli.run("demo", "--no-run");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("op histogram:").doesNotContain("interpreter");
    }

    @Test void printedProgramParsesAndVerifies() {
        Cli.Run r = Cli.run("demo", "--print");
        assertThat(r.code()).as(r.toString()).isZero();
        Module m = MlirParser.parseModule(r.out(), "printed.mlir");
        ModuleVerifier.verify(m);
        assertThat(r.out()).contains("func.func public @main(").contains("chlo.ragged_dot");
    }

    @Test void aMeshTheExpertsDoNotDivideIsOneLine() {
        Cli.Run r = Cli.run("demo", "--mesh", "fsdp=2,ep=2,sp=2");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains("4 experts do not divide over the 8 shards");
    }

    /** The op histogram the demo prints is the traced program's: counted here by walking the {@code --print} text's module. */
    @Test void printedHistogramIsTheTracedPrograms() {
        Cli.Run printed = Cli.run("demo", "--print");
        assertThat(printed.code()).as(printed.toString()).isZero();
        Module m = MlirParser.parseModule(printed.out(), "printed.mlir");
        java.util.Map<String, Integer> expected = new java.util.TreeMap<>();
        for (io.hlo4j.mlir.ir.Operation op : m.op().regions().get(0).blocks().get(0).operations()) count(op, expected);
        java.util.Map<String, Integer> shown = new java.util.TreeMap<>();
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^  ([a-z_]+\\.[a-z_0-9]+) +(\\d+)$")
                .matcher(demo.out().substring(demo.out().indexOf("op histogram:\n")));
        while (row.find()) shown.put(row.group(1), Integer.parseInt(row.group(2)));
        assertThat(shown).isEqualTo(expected).containsEntry("chlo.ragged_dot", 3);
        int total = expected.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(demo.out()).contains("module @jit_main: 1 function, " + total + " ops\n");
    }

    private static void count(io.hlo4j.mlir.ir.Operation op, java.util.Map<String, Integer> into) {
        into.merge(op.name(), 1, Integer::sum);
        for (io.hlo4j.mlir.ir.Region r : op.regions()) {
            for (io.hlo4j.mlir.ir.Block b : r.blocks()) for (io.hlo4j.mlir.ir.Operation o : b.operations()) count(o, into);
        }
    }

    /** The hand-written StableHLO block (test resource), as text. */
    static String handWrittenBlock() {
        try (java.io.InputStream in = DemoCommandTest.class.getResourceAsStream(HAND_WRITTEN)) {
            assertThat(in).as("test resource " + HAND_WRITTEN).isNotNull();
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static final String HAND_WRITTEN = "/io/hlo4j/cli/demo/moe_block.mlir";

    /** The hand-written block's result on the interpreter equals the plain-Java reference, element by element. */
    @Test void handWrittenBlockOnTheInterpreterMatchesTheReference() {
        Module m = MlirParser.parseModule(handWrittenBlock(), "moe_block.mlir");
        MoeReference.Inputs in = MoeReference.inputs(7);
        List<HostArray> out = new Interpreter(m).runHost(null, List.of(
                HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 16), in.x()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 16, 4), in.router()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 16, 32), in.w1()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 16, 32), in.w3()),
                HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 32, 16), in.w2())));
        MoeReference.Outputs ref = MoeReference.compute(in);
        assertThat(out.get(0).shape()).containsExactly(8, 16);
        assertThat(out.get(0).toDoubleArray()).containsExactly(ref.y(), within(1e-5));
        assertThat(out.get(1).toDoubleArray()).containsExactly(ref.logits(), within(1e-5));
        for (int t = 0; t < 8; t++) assertThat(DemoCommand.top2(out.get(1).toDoubleArray(), t)).containsExactly(ref.experts()[t]);
    }

    /** ModuleSummary on the hand-written block, counted by hand: 40 ops in @main's body, 6 reducer bodies of 2, func + return. */
    @Test void handWrittenBlockHistogramMatchesAHandCount() {
        ModuleSummary s = ModuleSummary.of(MlirParser.parseModule(handWrittenBlock(), "moe_block.mlir"));
        assertThat(s.histogram()).containsOnly(
                java.util.Map.entry("func.func", 1), java.util.Map.entry("func.return", 1),
                java.util.Map.entry("stablehlo.broadcast_in_dim", 9), java.util.Map.entry("stablehlo.reduce", 6),
                java.util.Map.entry("stablehlo.return", 6), java.util.Map.entry("stablehlo.dot_general", 4),
                java.util.Map.entry("stablehlo.compare", 4), java.util.Map.entry("stablehlo.select", 4),
                java.util.Map.entry("stablehlo.constant", 3), java.util.Map.entry("stablehlo.multiply", 3),
                java.util.Map.entry("stablehlo.maximum", 2), java.util.Map.entry("stablehlo.minimum", 2),
                java.util.Map.entry("stablehlo.add", 2), java.util.Map.entry("stablehlo.iota", 1),
                java.util.Map.entry("stablehlo.or", 1), java.util.Map.entry("stablehlo.subtract", 1),
                java.util.Map.entry("stablehlo.exponential", 1), java.util.Map.entry("stablehlo.divide", 1),
                java.util.Map.entry("stablehlo.logistic", 1), java.util.Map.entry("stablehlo.transpose", 1));
    }
}
