package io.hlo4j.compiler.spmd.userjourney;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Values held unreduced ({@code unreduced={"x"}}, what JAX's explicit-sharding mode emits for a dot whose contracting
 * dimension is sharded): the dot leaves its partial sums without a collective, {@code sdy.all_reduce} and a reshard
 * finish them (reduce_scatter where the target splits a dimension on those axes), linear element-wise ops keep them
 * partial, other ops get them reduced first. Every module runs partitioned on 4 simulated devices against the global
 * program on one; data are small integers in f32, so every sum is exact and results are compared bit for bit.
 */
class UnreducedShardingTest {
    private static final String A = "tensor<8x16xf32>", B = "tensor<16x8xf32>", C = "tensor<8x8xf32>";

    /** Mesh x=2, y=2; @main(%a: 8x16 split on its columns by x, %b: 16x8 split on its rows by x) -> 8x8 in {@code out}. */
    private static String module(String out, String body) {
        return "module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n"
                + "  func.func public @main(%a: " + A + " {sdy.sharding = #sdy.sharding<@mesh, [{}, {\"x\"}]>}, %b: " + B
                + " {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}, {}]>}) -> (" + C + " {sdy.sharding = #sdy.sharding<@mesh, " + out + ">}) {\n"
                + body + "\n  }\n}\n";
    }

    /** {@code %d = a . b} held as {@code sharding}. */
    private static String dot(String name, String sharding) {
        return "    " + name + " = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<["
                + sharding + "]>} : (" + A + ", " + B + ") -> " + C + "\n";
    }

    private static final String PARTIAL = "<@mesh, [{}, {}], unreduced={\"x\"}>";

    static HostArray ints(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(9) - 4;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, rows, cols), v);
    }

    /** Partitions and runs {@code text} on 4 devices; checks it bit for bit against {@code oracle} on one device. */
    private static SpmdRun runAgainst(String text, String oracle) {
        List<HostArray> in = List.of(ints(8, 16, 5), ints(16, 8, 6));
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(MlirPrinter.print(p.module())).doesNotContain("sdy.");
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(oracle, "oracle.mlir")).runHost("main", in).get(0);
        assertThat(run.results().get(0).allClose(want, 0, 0)).as("bit-exact against the global program").isTrue();
        return run;
    }

    private static List<String> ops(SpmdRun run) { return run.log().stream().map(CollectiveRecord::op).toList(); }

    private static final String PLAIN_DOT = dot("%d", "<@mesh, [{}, {}]>") + "    return %d : " + C;

    /** The partial dot, then {@code finish} applied to %d as %r, returned in {@code out}; against the plain dot. */
    private static SpmdRun partialDotThen(String out, String finish) {
        String body = dot("%d", PARTIAL) + (finish.isEmpty() ? "    return %d : " + C
                : "    %r = " + finish + " %d out_sharding=<@mesh, " + out + "> : " + C + "\n    return %r : " + C);
        return runAgainst(module(out, body), module(out, PLAIN_DOT));
    }

    /** The run executed exactly {@code op}, and each of the 4 devices received {@code bytes}. */
    private static void assertOnly(SpmdRun run, String op, long bytes) {
        assertThat(ops(run)).containsExactly(op);
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(bytes, bytes, bytes, bytes);
    }

    @Test
    void unreducedDotThenSdyAllReduceIsOneAllReduce() {
        // 8x8 f32 = 256 B, all_reduce over g = 2: 2 (g-1)/g x 256 = 256 B per device
        assertOnly(partialDotThen("[{}, {}]", "sdy.all_reduce {\"x\"}"), "stablehlo.all_reduce", 256);
    }

    @Test
    void reshardFromUnreducedToRowsIsAReduceScatterAtHalfTheBytesOfAllReducePlusSlice() {
        // the dot kept unreduced, then resharded to rows split on x: the planner's reduce_scatter, (g-1)/g x 256 B
        assertOnly(partialDotThen("[{\"x\"}, {}]", ""), "stablehlo.reduce_scatter", 128);
        // the same result reduced explicitly first (all_reduce to replicated, then a free local slice): twice the bytes
        String body = dot("%d", PARTIAL) + "    %r = sdy.all_reduce {\"x\"} %d out_sharding=<@mesh, [{}, {}]> : " + C + "\n    return %r : " + C;
        assertOnly(runAgainst(module("[{\"x\"}, {}]", body), module("[{\"x\"}, {}]", PLAIN_DOT)), "stablehlo.all_reduce", 256);
    }

    @Test
    void sdyReduceScatterReducesAndSplits() {
        assertOnly(partialDotThen("[{}, {\"x\"}]", "sdy.reduce_scatter [{}, {\"x\"}]"), "stablehlo.reduce_scatter", 128);
    }

    @Test
    void addSubtractAndNegateKeepTermsUnreducedAndOneAllReduceFinishes() {
        // (d - (-e)) + d on terms, each term's sum is the global value; one all_reduce at the end
        String body = dot("%d", PARTIAL) + dot("%e", PARTIAL)
                + "    %n = stablehlo.negate %e {sdy.sharding = #sdy.sharding_per_value<[" + PARTIAL + "]>} : " + C + "\n"
                + "    %s = stablehlo.subtract %d, %n {sdy.sharding = #sdy.sharding_per_value<[" + PARTIAL + "]>} : " + C + "\n"
                + "    %t = stablehlo.add %s, %d {sdy.sharding = #sdy.sharding_per_value<[" + PARTIAL + "]>} : " + C + "\n"
                + "    %r = sdy.all_reduce {\"x\"} %t out_sharding=<@mesh, [{}, {}]> : " + C + "\n    return %r : " + C;
        String oracle = dot("%d", "<@mesh, [{}, {}]>") + dot("%e", "<@mesh, [{}, {}]>")
                + "    %n = stablehlo.negate %e : " + C + "\n    %s = stablehlo.subtract %d, %n : " + C + "\n"
                + "    %t = stablehlo.add %s, %d : " + C + "\n    return %t : " + C;
        SpmdRun run = runAgainst(module("[{}, {}]", body), module("[{}, {}]", oracle));
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(256, 256, 256, 256);
    }

    @Test
    void aNonLinearOpGetsItsUnreducedOperandReducedFirst() {
        // multiply d * d: the product of sums is not the sum of products, so d is all-reduced before it
        String body = dot("%d", PARTIAL) + "    %m = stablehlo.multiply %d, %d {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {}]>]>} : "
                + C + "\n    return %m : " + C;
        String oracle = dot("%d", "<@mesh, [{}, {}]>") + "    %m = stablehlo.multiply %d, %d : " + C + "\n    return %m : " + C;
        SpmdRun run = runAgainst(module("[{}, {}]", body), module("[{}, {}]", oracle));
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
    }

    @Test
    void anAddOfAnUnreducedAndAReducedValueReducesFirst() {
        // d + b^T-like replicated value: sum(d_i) + c != sum(d_i + c), so the planner reduces d, then adds
        String body = dot("%d", PARTIAL) + dot("%e", "<@mesh, [{}, {}]>")
                + "    %t = stablehlo.add %d, %e {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {}]>]>} : " + C + "\n    return %t : " + C;
        String oracle = dot("%d", "<@mesh, [{}, {}]>") + dot("%e", "<@mesh, [{}, {}]>")
                + "    %t = stablehlo.add %d, %e : " + C + "\n    return %t : " + C;
        SpmdRun run = runAgainst(module("[{}, {}]", body), module("[{}, {}]", oracle));
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce", "stablehlo.all_reduce");
    }

    @Test
    void anUnreducedMainResultIsAssembledAsTheSumOfItsTerms() {
        // no collective at all: the runner sums the terms of the partial result
        SpmdRun run = runAgainst(module(PARTIAL.substring(7, PARTIAL.length() - 1), dot("%d", PARTIAL) + "    return %d : " + C),
                module("[{}, {}]", PLAIN_DOT));
        assertThat(run.log()).isEmpty();
    }

    @Test
    void replicatedToUnreducedKeepsTheValueOnTheFirstMemberAndZerosElsewhere() {
        // u + u on terms (d, 0) is (2d, 0): the all_reduce gives 2d exactly, not 4d
        String body = PLAIN_DOT.replace("    return %d : " + C, "")
                + "    %u = sdy.replicated_to_unreduced {\"x\"} %d out_sharding=" + PARTIAL + " : " + C + "\n"
                + "    %s = stablehlo.add %u, %u {sdy.sharding = #sdy.sharding_per_value<[" + PARTIAL + "]>} : " + C + "\n"
                + "    %r = sdy.all_reduce {\"x\"} %s out_sharding=<@mesh, [{}, {}]> : " + C + "\n    return %r : " + C;
        String oracle = PLAIN_DOT.replace("    return %d : " + C, "") + "    %s = stablehlo.add %d, %d : " + C + "\n    return %s : " + C;
        SpmdRun run = runAgainst(module("[{}, {}]", body), module("[{}, {}]", oracle));
        // the plain dot's own all_reduce (its contracting dimension is split on x), then the explicit one
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce", "stablehlo.all_reduce");
    }

    @Test
    void shardedToUnreducedPlacesEachBlockInZerosSoTheSumIsTheWhole() {
        // a's column halves become terms of 8x16 (block at its offset, zeros elsewhere); negate keeps the terms
        String body = "    %u = sdy.sharded_to_unreduced [{}, {\"x\"}] %a out_sharding=<@mesh, [{}, {}], unreduced={\"x\"}> : " + A + "\n"
                + "    %n = stablehlo.negate %u {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}, {}], unreduced={\"x\"}>]>} : " + A + "\n"
                + "    %w = sdy.all_reduce {\"x\"} %n out_sharding=<@mesh, [{}, {}]> : " + A + "\n"
                + "    %d = stablehlo.dot_general %w, %b, contracting_dims = [1] x [0] : (" + A + ", " + B + ") -> " + C + "\n    return %d : " + C;
        String oracle = "    %w = stablehlo.negate %a : " + A + "\n"
                + "    %d = stablehlo.dot_general %w, %b, contracting_dims = [1] x [0] : (" + A + ", " + B + ") -> " + C + "\n    return %d : " + C;
        SpmdRun run = runAgainst(module("[{}, {}]", body), module("[{}, {}]", oracle));
        assertThat(ops(run)).startsWith("stablehlo.all_reduce").doesNotContain("stablehlo.all_gather");
        // the 8x16 f32 terms (512 B) are all-reduced over g = 2: 2 (g-1)/g x 512 = 512 B per device, first
        assertThat(run.log().get(0).maxBytesReceived()).isEqualTo(512);
    }

    @Test
    void aMaxReduceKeepsItsPartialMaximaUnreducedUntilAnAllReduceMax() {
        // row maxima of a, whose columns are split on x: each device's maxima of its half, unreduced=max until reduced
        String reduce = "    %init = stablehlo.constant dense<0xFF800000> : tensor<f32>\n"
                + "    %m = stablehlo.reduce(%a init: %init) applies stablehlo.maximum across dimensions = [1] %SH : (" + A
                + ", tensor<f32>) -> tensor<8xf32>\n";
        String text = "module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n"
                + "  func.func public @main(%a: " + A + " {sdy.sharding = #sdy.sharding<@mesh, [{}, {\"x\"}]>}) -> (tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) {\n"
                + "%BODY  }\n}\n";
        String body = reduce.replace("%SH", "{sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{}], unreduced=max{\"x\"}>]>}")
                + "    %r = sdy.all_reduce max {\"x\"} %m out_sharding=<@mesh, [{}]> : tensor<8xf32>\n    return %r : tensor<8xf32>\n";
        String oracle = reduce.replace("%SH ", "") + "    return %m : tensor<8xf32>\n";
        HostArray a = ints(8, 16, 9);
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text.replace("%BODY", body), "f.mlir"));
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), List.of(a), p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(text.replace("%BODY", oracle), "oracle.mlir")).runHost("main", List.of(a)).get(0);
        assertThat(run.results().get(0).allClose(want, 0, 0)).isTrue();
        assertThat(ops(run)).containsExactly("stablehlo.all_reduce");
        assertThat(MlirPrinter.print(p.module())).contains("stablehlo.maximum");
    }

    @Test
    void aReshardNeverMakesAValuePartialAndSaysSo() {
        // negate of a replicated value cannot yield terms: refused by name, not silently summed twice
        String body = dot("%d", "<@mesh, [{}, {}]>")
                + "    %n = stablehlo.negate %d {sdy.sharding = #sdy.sharding_per_value<[" + PARTIAL + "]>} : " + C + "\n"
                + "    %r = sdy.all_reduce {\"x\"} %n out_sharding=<@mesh, [{}, {}]> : " + C + "\n    return %r : " + C;
        Module m = MlirParser.parseModule(module("[{}, {}]", body), "f.mlir");
        assertThatThrownBy(() -> Spmd.explicit(m)).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("stablehlo.negate").hasMessageContaining("does not make values partial");
    }

    @Test
    void sdyAllReduceOfAValueThatIsNotUnreducedIsRefusedByName() {
        String body = dot("%d", "<@mesh, [{}, {}]>")
                + "    %r = sdy.all_reduce {\"x\"} %d out_sharding=<@mesh, [{}, {}]> : " + C + "\n    return %r : " + C;
        Module m = MlirParser.parseModule(module("[{}, {}]", body), "f.mlir");
        assertThatThrownBy(() -> Spmd.explicit(m)).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("sdy.all_reduce").hasMessageContaining("not unreduced");
    }

    @Test
    void unreducedShardingsAndSdyAllReducePrintAndParseBack() {
        String text = module("[{}, {}]", dot("%d", "<@mesh, [{}, {\"y\"}], unreduced={\"x\"}>")
                + "    %r = sdy.all_reduce {\"x\"} %d out_sharding=<@mesh, [{}, {\"y\"}]> : " + C + "\n    return %r : " + C);
        String printed = MlirPrinter.print(MlirParser.parseModule(text, "f.mlir"));
        assertThat(printed).contains("unreduced={\"x\"}").contains("sdy.all_reduce {\"x\"}");
        assertThat(MlirPrinter.print(MlirParser.parseModule(printed, "again.mlir"))).isEqualTo(printed);
    }
}
