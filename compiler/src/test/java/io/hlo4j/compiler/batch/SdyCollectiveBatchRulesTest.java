package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.SpmdRunner;
import io.hlo4j.runtime.testing.BatchAxis;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Shardy explicit collectives SdyBatchRulesTest leaves out (all_slice, collective_permute, reduce_scatter,
 * sharded_to_unreduced, replicated_to_unreduced), the func_data_flow_edge marker and named_computation under vmap.
 * Two oracles: the logical program on the interpreter (BatchCheck.check: batched run vs per-example runs stacked), and
 * the program partitioned by {@link Spmd#explicit} and run on 4 simulated devices, batched vs per example.
 */
class SdyCollectiveBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private static final String MESH = "sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n";
    private final Random r = new Random(11);

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    /**
     * OP applied to sin(x) constrained to {@code in} (an unreduced {@code in} made by replicated_to_unreduced), then an all_reduce over "y" where OP leaves the value unreduced
     * (sharded_to_unreduced / replicated_to_unreduced; the reduced value is whole again) or a negate elsewhere, times x
     * so the batch flows through real math.
     */
    private static String program(String in, String op) {
        return MESH + """
                func.func @main(%x: tensor<4x4xf64>) -> tensor<4x4xf64> {
                  %t = stablehlo.sine %x : tensor<4x4xf64>
                  %s0 = sdy.sharding_constraint %t BASE : tensor<4x4xf64>
                  %s = PRE : tensor<4x4xf64>
                  %c = OP : tensor<4x4xf64>
                  %c2 = POST : tensor<4x4xf64>
                  %r = stablehlo.multiply %c2, %x : tensor<4x4xf64>
                  return %r : tensor<4x4xf64>
                }""".replace("BASE", in.replace(", unreduced={\"y\"}", ""))
                .replace("PRE", in.contains("unreduced") ? "sdy.replicated_to_unreduced {\"y\"} %s0 out_sharding=" + in : "stablehlo.negate %s0")
                .replace("OP", op)
                .replace("POST", op.contains("unreduced") ? "sdy.all_reduce {\"y\"} %c out_sharding=<@mesh, [{\"x\"}, {}]>" : "stablehlo.negate %c");
    }

    private static final String[][] OPS = {
            {"<@mesh, [{\"x\"}, {}]>", "sdy.all_slice [{}, {\"y\"}] %s out_sharding=<@mesh, [{\"x\"}, {\"y\"}]>",
                    "sdy.all_slice [{}, {}, {\"y\"}]"},
            {"<@mesh, [{\"x\"}, {\"y\"}]>", "sdy.collective_permute %s out_sharding=<@mesh, [{\"y\"}, {\"x\"}]>",
                    "out_sharding=<@mesh, [{\"y\"}, {}, {\"x\"}]>"},
            {"<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>", "sdy.reduce_scatter [{}, {\"y\"}] %s out_sharding=<@mesh, [{\"x\"}, {\"y\"}]>",
                    "sdy.reduce_scatter [{}, {}, {\"y\"}]"},
            {"<@mesh, [{\"x\"}, {\"y\"}]>", "sdy.sharded_to_unreduced [{}, {\"y\"}] %s out_sharding=<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>",
                    "sdy.sharded_to_unreduced [{}, {}, {\"y\"}]"},
            {"<@mesh, [{\"x\"}, {}]>", "sdy.replicated_to_unreduced {\"y\"} %s out_sharding=<@mesh, [{\"x\"}, {}], unreduced={\"y\"}>",
                    "out_sharding=<@mesh, [{\"x\"}, {}, {}], unreduced={\"y\"}>"},
    };

    @Test
    void explicitCollectivesOnTheLogicalProgram() {
        for (String[] c : OPS) {
            String f = program(c[0], c[1]);
            String text = check(f, new int[]{1}, new int[]{1}, 3, List.of(u(4, 3, 4)));
            assertThat(text).as(c[1]).contains(c[2]);
            check(f, new int[]{0}, new int[]{2}, 2, List.of(u(2, 4, 4)));
        }
    }

    @Test
    void funcDataFlowEdgeKeepsTheBatchWhereItIs() {
        String f = MESH + """
                func.func @main(%x: tensor<4x4xf64>) -> tensor<4x4xf64> {
                  %t = stablehlo.tanh %x : tensor<4x4xf64>
                  %e = sdy.func_data_flow_edge %t : tensor<4x4xf64>
                  %r = stablehlo.multiply %e, %x : tensor<4x4xf64>
                  return %r : tensor<4x4xf64>
                }""";
        String text = check(f, new int[]{1}, new int[]{1}, 3, List.of(u(4, 3, 4)));
        assertThat(text).contains("sdy.func_data_flow_edge %0 : tensor<4x3x4xf64>");
        check(f, new int[]{0}, new int[]{2}, 2, List.of(u(2, 4, 4)));
    }

    private static final String NAMED = MESH + """
            func.func @main(%x: tensor<4x2xf64>, %y: tensor<4x2xf64>) -> (tensor<4x2xf64>, tensor<4x2xf64>) {
              %0:2 = sdy.named_computation<"blk">(%x, %y) in_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}, {}]>] out_shardings=[<@mesh, [{}, {"x"}]>, <@mesh, [{"y"}, {}]>] (%a: tensor<4x2xf64>, %b: tensor<4x2xf64>) {
                %m = stablehlo.multiply %a, %b : tensor<4x2xf64>
                %s = stablehlo.sine %m : tensor<4x2xf64>
                %k = stablehlo.cosine %b : tensor<4x2xf64>
                sdy.return %s, %k : tensor<4x2xf64>, tensor<4x2xf64>
              } : (tensor<4x2xf64>, tensor<4x2xf64>) -> (tensor<4x2xf64>, tensor<4x2xf64>)
              return %0#0, %0#1 : tensor<4x2xf64>, tensor<4x2xf64>
            }""";

    @Test
    void namedComputationBatchesItsBodyOnTheInterpreter() {
        // x batched at 1, y unbatched: the first result is batched (first), the second (cos y) stays unbatched
        String text = check(NAMED, new int[]{1, NONE}, new int[]{2, NONE}, 3, List.of(u(4, 3, 2), u(4, 2)));
        assertThat(text).contains("in_shardings=[<@mesh, [{}, {\"x\"}, {}]>, <@mesh, [{}, {}]>]")
                .contains("out_shardings=[<@mesh, [{}, {}, {\"x\"}]>, <@mesh, [{\"y\"}, {}]>]");
        check(NAMED, new int[]{0, 2}, new int[]{0, 1}, 2, List.of(u(2, 4, 2), u(4, 2, 2)));
    }

    private static List<HostArray> runPartitioned(Module m, List<HostArray> args) {
        PartitionedProgram p = Spmd.explicit(m);
        return SpmdRunner.run(p.module(), p.mesh(), args, p.argShardings(), p.resultShardings(), p.resultTypes()).results();
    }

    /** vmap of {@code funcText}'s function, partitioned and run on the mesh, against per-example partitioned runs. */
    private static String checkPartitioned(String funcText, int[] in, int[] out, int n, List<HostArray> args) {
        Module m = MlirParser.parseModule("module @m {\n" + funcText + "\n}\n", "p.mlir");
        ModuleVerifier.verify(m);
        Operation f = m.functions().get(0);
        List<Operation> top = new ArrayList<>();
        for (Operation op : m.operations()) if (!op.name().equals("func.func")) top.add(io.hlo4j.compiler.ad.Cloner.copy(op, new IdentityHashMap<>()).build());
        top.add(Batching.vmap(f, in, out, n, "main"));
        Module vm = Module.of("b", null, top, f.location());
        ModuleVerifier.verify(vm);
        String text = MlirPrinter.print(vm);
        List<List<HostArray>> per = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<HostArray> ex = new ArrayList<>();
            for (int a = 0; a < args.size(); a++) ex.add(in[a] == NONE ? args.get(a) : BatchAxis.take(args.get(a), in[a], i));
            per.add(runPartitioned(m, ex));
        }
        List<HostArray> got = runPartitioned(MlirParser.parseModule(text, "batched.mlir"), args);
        for (int j = 0; j < got.size(); j++) {
            List<HostArray> col = new ArrayList<>();
            for (List<HostArray> p : per) col.add(p.get(j));
            HostArray want = out[j] == NONE ? col.get(0) : BatchAxis.stack(col, out[j]);
            assertThat(got.get(j).shape()).containsExactly(want.shape());
            assertThat(got.get(j).allClose(want, 1e-12, 1e-12)).as("result %d of\n%s", j, text).isTrue();
        }
        return text;
    }

    @Test
    void explicitCollectivesPartitionedOnFourDevices() {
        for (String[] c : OPS) {
            try { checkPartitioned(program(c[0], c[1]), new int[]{1}, new int[]{1}, 3, List.of(u(4, 3, 4))); }
            catch (RuntimeException e) { throw new AssertionError(c[1], e); }
            checkPartitioned(program(c[0], c[1]), new int[]{0}, new int[]{0}, 2, List.of(u(2, 4, 4)));
        }
    }

    @Test
    void namedComputationPartitionedOnFourDevices() {
        checkPartitioned(NAMED, new int[]{1, NONE}, new int[]{2, NONE}, 3, List.of(u(4, 3, 2), u(4, 2)));
        checkPartitioned(NAMED, new int[]{0, 0}, new int[]{0, 0}, 2, List.of(u(2, 4, 2), u(2, 4, 2)));
    }
}
