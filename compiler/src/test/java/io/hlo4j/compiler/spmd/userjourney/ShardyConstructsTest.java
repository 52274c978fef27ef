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
 * Shardy constructs a JAX user meets beyond the basics: the explicit collectives Shardy's own passes emit on the global
 * program ({@code sdy.all_gather}, {@code sdy.all_slice}, {@code sdy.all_to_all}, {@code sdy.collective_permute}),
 * propagation markers ({@code sdy.propagation_barrier}, {@code sdy.sharding_group}), and a sharding naming an axis
 * the mesh lacks. Each collective is checked against the global program on one device and a hand byte count.
 */
class ShardyConstructsTest {
    /** A module on mesh x=2, y=2 with one f32[8,16] argument and result, and {@code body} between them. */
    private static String module(String argSharding, String resultSharding, String body) {
        return "module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n"
                + "  func.func public @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, " + argSharding + ">}) -> "
                + "(tensor<8x16xf32> {jax.result_info = \"\", sdy.sharding = #sdy.sharding<@mesh, " + resultSharding + ">}) {\n"
                + body + "\n  }\n}\n";
    }

    private static HostArray input() {
        Random r = new Random(21);
        float[] v = new float[128];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 16), v);
    }

    /** Partitions and runs {@code text}; checks the result against {@code oracle} run on one device. */
    private static SpmdRun runAgainst(String text, String oracle) {
        HostArray x = input();
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(MlirPrinter.print(p.module())).doesNotContain("sdy.");
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), List.of(x), p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(oracle, "oracle.mlir")).runHost("main", List.of(x)).get(0);
        assertThat(run.results().get(0).allClose(want, 0, 0)).as("bit-exact: the collectives only move data").isTrue();
        return run;
    }

    private static String explicitCollective(String op, String from, String to) {
        return module(from, to, "    %0 = " + op + " %arg0 out_sharding=<@mesh, " + to + "> : tensor<8x16xf32>\n"
                + "    %1 = stablehlo.negate %0 : tensor<8x16xf32>\n    return %1 : tensor<8x16xf32>");
    }

    /** {@code op} from {@code from} to {@code to}, then a negation, against the negation alone on one device. */
    private static SpmdRun explicitRun(String op, String from, String to) {
        return runAgainst(explicitCollective(op, from, to), module(from, to, NEGATE));
    }

    /** The run executed exactly one {@code op}, and each device received {@code bytes}. */
    private static void assertOne(SpmdRun run, String op, long... bytes) {
        assertThat(run.log()).extracting(CollectiveRecord::op).containsExactly(op);
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(bytes);
    }

    private static final String NEGATE = "    %0 = stablehlo.negate %arg0 : tensor<8x16xf32>\n    return %0 : tensor<8x16xf32>";

    @Test
    void sdyAllGatherIsAnAllGatherOverItsAxes() {
        SpmdRun run = explicitRun("sdy.all_gather [{\"x\"}, {}]", "[{\"x\"}, {\"y\"}]", "[{}, {\"y\"}]");
        // [4,8] f32 blocks gathered over x (g = 2) into [8,8] (256 B): 1/2 * 256 = 128 B per device
        assertThat(run.log().get(0).groups()).containsExactly(List.of(0, 2), List.of(1, 3));
        assertOne(run, "stablehlo.all_gather", 128, 128, 128, 128);
    }

    @Test
    void sdyAllSliceMovesNothing() {
        SpmdRun run = explicitRun("sdy.all_slice [{\"x\"}, {}]", "[{}, {}]", "[{\"x\"}, {}]");
        assertThat(run.log()).isEmpty();
    }

    @Test
    void sdyAllToAllIsAnAllToAll() {
        SpmdRun run = explicitRun("sdy.all_to_all [{\"x\"}: 0->1]", "[{\"x\"}, {}]", "[{}, {\"x\"}]");
        // [4,16] f32 (256 B) over x (g = 2): 1/2 * 256 = 128 B
        assertOne(run, "stablehlo.all_to_all", 128, 128, 128, 128);
    }

    @Test
    void sdyCollectivePermuteSwapsOnlyTheDevicesWhoseBlockChanges() {
        SpmdRun run = explicitRun("sdy.collective_permute", "[{\"x\"}, {\"y\"}]", "[{\"y\"}, {\"x\"}]");
        // device (x, y) holds block (x, y) before and (y, x) after: devices 1 and 2 swap [4,8] f32 (128 B), 0 and 3 keep theirs
        assertOne(run, "stablehlo.collective_permute", 0, 128, 128, 0);
    }

    @Test
    void propagationMarkersLeaveNoSdyOpForTheDevices() {
        String s = "[{\"x\"}, {}]";
        String barrier = module(s, s, "    %0 = sdy.propagation_barrier %arg0 allowed_direction=NONE : tensor<8x16xf32>\n"
                + "    %1 = stablehlo.negate %0 : tensor<8x16xf32>\n    return %1 : tensor<8x16xf32>");
        assertThat(runAgainst(barrier, module(s, s, NEGATE)).log()).isEmpty();
        String group = module(s, s, "    %0 = stablehlo.negate %arg0 : tensor<8x16xf32>\n    sdy.sharding_group %0 group_id=0 : tensor<8x16xf32>\n"
                + "    return %0 : tensor<8x16xf32>");
        assertThat(runAgainst(group, module(s, s, NEGATE)).log()).isEmpty();
    }

    private static String named(String shardings) {
        return "    %0 = sdy.named_computation<\"g\">(%arg0) " + shardings + "(%arg1: tensor<8x16xf32>) {\n"
                + "      %1 = stablehlo.negate %arg1 : tensor<8x16xf32>\n      sdy.return %1 : tensor<8x16xf32>\n"
                + "    } : (tensor<8x16xf32>) -> tensor<8x16xf32>\n    return %0 : tensor<8x16xf32>";
    }

    @Test
    void aNamedComputationIsSplicedInNotComputedReplicated() {
        String s = "[{\"x\"}, {}]";
        String text = module(s, s, named(""));
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(p.report().entries()).isEmpty();
        assertThat(runAgainst(text, module(s, s, NEGATE)).log()).isEmpty();
    }

    @Test
    void aNamedComputationsShardingsAreHonoured() {
        String s = "[{\"x\"}, {}]";
        // out_shardings asks for the negation replicated: the [4,16] f32 rows (256 B) are gathered over x (g = 2),
        // 1/2 * 512 = 256 B per device, before the result is sliced back to P('x')
        String text = module(s, s, named("in_shardings=[<@mesh, [{\"x\"}, {}]>] out_shardings=[<@mesh, [{}, {}]>] "));
        SpmdRun run = runAgainst(text, module(s, s, NEGATE));
        assertOne(run, "stablehlo.all_gather", 256, 256, 256, 256);
    }

    @Test
    void aMaximalShardingIsRefusedAsSuch() {
        String text = module("[{}, {}]", "[{}, {}]", NEGATE).replace("#sdy.sharding<@mesh, [{}, {}]>}) ->", "#sdy.sharding<@maximal_mesh_1, []>}) ->")
                .replace("  sdy.mesh @mesh", "  sdy.mesh @maximal_mesh_1 = <[], device_ids=[1]>\n  sdy.mesh @mesh");
        Module m = MlirParser.parseModule(text, "f.mlir");
        assertThatThrownBy(() -> Spmd.explicit(m)).isInstanceOf(Hlo4jException.class)
                .satisfies(e -> assertThat(((Hlo4jException) e).format()).startsWith("f.mlir:4:3: ").contains(
                        "argument #0 sdy.sharding #sdy.sharding<@maximal_mesh_1, []> places the whole tensor<8x16xf32> on device 1 (a maximal sharding"));
    }

    @Test
    void aCustomCallWithItsOwnShardingRuleRunsOnBlocks() {
        String s = "[{\"x\"}, {\"y\"}]";
        String text = module(s, s, "    %0 = stablehlo.custom_call @my_op(%arg0) {sdy.sharding_rule = #sdy.op_sharding_rule<([i, j])->([i, j]) "
                + "{i=8, j=16}, custom>} : (tensor<8x16xf32>) -> tensor<8x16xf32>\n    return %0 : tensor<8x16xf32>");
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(p.report().entries()).as("not computed replicated").isEmpty();
        String device = MlirPrinter.print(p.module());
        assertThat(device).contains("stablehlo.custom_call @my_op(%arg0) : (tensor<4x8xf32>) -> tensor<4x8xf32>")
                .doesNotContain("sdy.").doesNotContain("all_gather").doesNotContain("all_reduce");
        // the interpreter has no @my_op: give it a meaning (negation) in the device program, run, and compare with the
        // global program where it has the same meaning
        String negated = device.replaceAll("stablehlo\\.custom_call @my_op\\((%\\w+)\\) : \\((tensor<[^>]*>)\\) -> tensor<[^>]*>",
                "stablehlo.negate $1 : $2");
        assertThat(negated).contains("stablehlo.negate %arg0 : tensor<4x8xf32>");
        HostArray x = input();
        SpmdRun run = SpmdRunner.run(MlirParser.parseModule(negated, "device.mlir"), p.mesh(), List.of(x), p.argShardings(),
                p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(module(s, s, NEGATE), "oracle.mlir")).runHost("main", List.of(x)).get(0);
        assertThat(run.results().get(0).allClose(want, 0, 0)).isTrue();
        assertThat(run.log()).isEmpty();
    }

    @Test
    void anUnknownAxisIsRefusedAtItsLineByName() {
        Module m = MlirParser.parseModule(module("[{\"z\"}, {}]", "[{}, {}]", NEGATE), "f.mlir");
        assertThatThrownBy(() -> Spmd.explicit(m)).isInstanceOf(Hlo4jException.class)
                .satisfies(e -> assertThat(((Hlo4jException) e).format())
                        .startsWith("f.mlir:3:3: ")
                        .contains("argument #0 sdy.sharding refers to unknown axis \"z\" (mesh axes [x, y])"));
    }
}
