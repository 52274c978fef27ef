package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionReport;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.spmd.reshard.ExpertMeshReshardTest.ACT;
import static io.hlo4j.compiler.spmd.reshard.ExpertMeshReshardTest.expertAct;
import static io.hlo4j.compiler.spmd.reshard.ExpertMeshReshardTest.factorisations;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.f32;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.model;
import static io.hlo4j.compiler.spmd.reshard.ReshardHarness.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Moves between the 5D model mesh and the 3D expert mesh view (its own {@code sdy.mesh} with device_ids) INSIDE the
 * partitioner: the partitioned program, run on 8 simulated devices, returns the global program's values, and its
 * collectives move per device exactly what the planner's plan (default objective) moves for the same move written on
 * the model mesh (the view sharding in model axes, as {@link ExpertMeshReshardTest} folds them), in as many
 * collectives; moves whose lower bound is 0 run no collective. Meshes whose axes do not correspond
 * fall back to gather-and-slice and say so in the partition report.
 */
class CrossMeshPartitionTest {
    private static TensorSharding on(String mesh, TensorSharding s) {
        return new TensorSharding(mesh, null, s.dimShardings(), List.of(), List.of(), "sum");
    }

    /** {@code main(x: from) -> (to) { return x }}: the move at the return, on meshes @mesh and @expert_mesh. */
    private static String identity(MeshAttr model, MeshAttr view, TensorType t, TensorSharding from, TensorSharding to) {
        return "module @move attributes {mhlo.num_partitions = " + model.totalSize() + " : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = " + model.body() + "\n"
                + "  sdy.mesh @expert_mesh = " + view.body() + "\n"
                + "  func.func @main(%arg0: " + t + " {sdy.sharding = " + from + "}) -> (" + t + " {sdy.sharding = " + to + "}) {\n"
                + "    return %arg0 : " + t + "\n"
                + "  }\n"
                + "}\n";
    }

    static HostArray random(TensorType t, long seed) {
        Random r = new Random(seed);
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return HostArray.fromDoubles(t, v);
    }

    /** Partitions and runs the program; asserts it returns the global program's value; returns the run. */
    static SpmdRun runAndCompare(String text, List<HostArray> args, PartitionedProgram[] out) {
        Module global = MlirParser.parseModule(text, "move.mlir");
        PartitionedProgram p = Spmd.partition(global);
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), args, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> want = new Interpreter(global).runHost("main", args);
        for (int i = 0; i < want.size(); i++) {
            assertThat(run.results().get(i).allClose(want.get(i), 1e-5, 1e-6)).as(text + "\n" + MlirPrinter.print(p.module())).isTrue();
        }
        if (out != null) out[0] = p;
        return run;
    }

    @Test
    void movesBetweenTheModelMeshAndTheExpertViewCostWhatThePlannerPlansOnTheModelMesh() {
        List<ExpertMeshReshardTest.View> views = List.of(new ExpertMeshReshardTest.View(true, true), new ExpertMeshReshardTest.View(false, true),
                new ExpertMeshReshardTest.View(true, false), new ExpertMeshReshardTest.View(false, false));
        TensorType act = f32(8, 8, 8), w = f32(8, 4, 8);
        HostArray x = random(act, 1), wx = random(w, 2);
        int moves = 0, free = 0;
        for (int[] f : factorisations(8)) {
            MeshAttr m = model(f[0], f[1], f[2], f[3], f[4]);
            for (ExpertMeshReshardTest.View v : views) {
                if (!(v.fsdpIsEpBound() && v.spIsEpBound() || f[1] > 1 && f[4] > 1)) continue;
                MeshAttr view = v.mesh(m);
                String dpAxes = String.join(",", v.dpAxes());
                // activations there and back, the golden's last step (tp kept), and expert weights (no movement)
                record Move(TensorType t, HostArray data, TensorSharding from, TensorSharding to, TensorSharding fromOnModel, TensorSharding toOnModel) {}
                List<Move> list = List.of(
                        new Move(act, x, on("mesh", ACT), on("expert_mesh", spec("dp", "", "")), ACT, expertAct(v)),
                        new Move(act, x, on("expert_mesh", spec("dp", "", "")), on("mesh", ACT), expertAct(v), ACT),
                        new Move(act, x, on("expert_mesh", spec("dp", "", "tp")), on("mesh", ACT), spec(dpAxes, "", "tp"), ACT),
                        new Move(w, wx, on("expert_mesh", spec("expert", "", "tp")), on("mesh", spec(String.join(",", v.expertAxes()), "", "tp")),
                                spec(String.join(",", v.expertAxes()), "", "tp"), spec(String.join(",", v.expertAxes()), "", "tp")));
                for (Move mv : list) {
                    PartitionedProgram[] p = new PartitionedProgram[1];
                    String text = identity(m, view, mv.t(), mv.from(), mv.to());
                    SpmdRun run = runAndCompare(text, List.of(mv.data()), p);
                    long bound = ReshardPlanner.lowerBoundBytes(m, mv.t(), mv.fromOnModel(), mv.toOnModel());
                    ReshardPlan onModel = ReshardPlanner.plan(m, mv.t(), mv.fromOnModel(), mv.toOnModel());
                    String why = text + "\n" + MlirPrinter.print(p[0].module()) + "\n" + onModel;
                    assertThat(run.bytesReceivedPerDevice(8)).as(why).containsExactly(onModel.bytesPerDevice());
                    assertThat(run.log()).as(why).hasSize(onModel.collectives());
                    assertThat(p[0].report().entries()).as(why).isEmpty();
                    if (bound == 0) {
                        assertThat(run.log()).as(why).isEmpty();
                        free++;
                    }
                    moves++;
                }
            }
        }
        assertThat(moves).isGreaterThan(100);
        assertThat(free).isGreaterThan(35); // at least the weights and the golden's last step on every factorisation
    }

    /** The DSL's golden 5D -> 3D module (ep=2, tp=2, sp=2): same values as the global program; its last step moves nothing. */
    @Test
    void theGoldenFiveToThreeDModule() throws Exception {
        String text = Files.readString(Path.of("..", "dsl", "src", "test", "resources", "io", "hlo4j", "dsltest", "shard", "moe_5d_to_3d.mlir"));
        Module global = MlirParser.parseModule(text, "moe_5d_to_3d.mlir");
        TensorType a = f32(2, 4, 8), w = f32(4, 8, 8);
        List<HostArray> args = List.of(random(a, 3), random(w, 4));
        PartitionedProgram p = Spmd.explicit(global);
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), args, p.argShardings(), p.resultShardings(), p.resultTypes());
        List<HostArray> want = new Interpreter(global).runHost("main", args);
        String explicit = MlirPrinter.print(p.module());
        assertThat(run.results().get(0).allClose(want.get(0), 1e-5, 1e-6)).as(explicit).isTrue();
        assertThat(p.report().entries()).as(explicit).noneMatch(e -> e.kind() == PartitionReport.Kind.CROSS_MESH_GATHERED);
        // the move P(dp, None, tp)@expert_mesh -> P((fsdp, dp), sp, tp)@mesh has lower bound 0: the result is a local
        // slice of the value the last collective produced, so no collective follows the dot's own finishing step
        MeshAttr m = model(1, 1, 2, 2, 2);
        assertThat(ReshardPlanner.lowerBoundBytes(m, a, spec("dp", "", "tp"), ACT)).isZero();
        String tail = explicit.substring(explicit.indexOf("stablehlo.dot_general"));
        List<String> after = new ArrayList<>();
        for (String op : List.of("all_gather", "all_to_all", "collective_permute", "reduce_scatter", "all_reduce")) if (tail.contains(op)) after.add(op);
        // the dot contracts a dimension replicated on the view, so it needs no collective either
        assertThat(after).as(explicit).isEmpty();
        // the moves (every collective but the reduce's own all_reduce over the experts) cost at most their lower bounds
        // written on the model mesh: ACT -> P(dp, None, None) plus the last step's 0
        long[] moved = new long[8];
        int reduces = 0;
        for (var r : run.log()) {
            if (r.op().contains("all_reduce")) { reduces++; continue; }
            for (int d = 0; d < 8; d++) moved[d] += r.bytesReceived()[d];
        }
        assertThat(reduces).isEqualTo(1);
        long bound = ReshardPlanner.lowerBoundBytes(m, a, ACT, spec("dp", "", "")) + ReshardPlanner.lowerBoundBytes(m, a, spec("dp", "", "tp"), ACT);
        assertThat(java.util.Arrays.stream(moved).max().orElseThrow()).as(run.log().toString()).isPositive().isLessThanOrEqualTo(bound);
    }

    /**
     * An op on the view whose operands live on the model mesh is planned from where they are: a matmul contracting a
     * dimension split over sp (the view's "expert":(2)2) sums partial products (one all_reduce of the 4x4 result, 64 B
     * per device on 2 devices) instead of gathering both 4x16 operands (128 B each).
     */
    @Test
    void anOpOnTheViewSeesWhereItsModelMeshOperandsAre() {
        MeshAttr m = model(1, 1, 2, 2, 2);
        MeshAttr view = new ExpertMeshReshardTest.View(true, true).mesh(m);
        String text = "module @dot attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = " + m.body() + "\n"
                + "  sdy.mesh @expert_mesh = " + view.body() + "\n"
                + "  func.func @main(%arg0: tensor<4x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {\"sp\"}]>}, "
                + "%arg1: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"sp\"}, {}]>}) -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@expert_mesh, [{}, {}]>}) {\n"
                + "    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@expert_mesh, [{}, {}]>]>} "
                + ": (tensor<4x16xf32>, tensor<16x4xf32>) -> tensor<4x4xf32>\n"
                + "    return %0 : tensor<4x4xf32>\n"
                + "  }\n"
                + "}\n";
        PartitionedProgram[] p = new PartitionedProgram[1];
        SpmdRun run = runAndCompare(text, List.of(random(f32(4, 16), 7), random(f32(16, 4), 8)), p);
        String explicit = MlirPrinter.print(p[0].module());
        assertThat(explicit).contains("all_reduce").doesNotContain("all_gather");
        assertThat(run.maxBytesReceived(8)).as(explicit).isEqualTo(2 * (2 - 1) * 64 / 2);
    }

    /** An empty value moved between meshes whose axes do not correspond: nothing moves, each device makes its empty block. */
    @Test
    void anEmptyValueCrossesMeshesWithoutACollective() {
        String text = """
                module @empty attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @a = <["x"=8]>
                  sdy.mesh @b = <["p"=2, "q"=4], device_ids=[3, 6, 0, 5, 1, 7, 2, 4]>
                  func.func @main(%arg0: tensor<0x8xf32> {sdy.sharding = #sdy.sharding<@a, [{}, {"x"}]>}) -> (tensor<0x8xf32> {sdy.sharding = #sdy.sharding<@b, [{}, {"q", "p"}]>}) {
                    return %arg0 : tensor<0x8xf32>
                  }
                }
                """;
        PartitionedProgram[] p = new PartitionedProgram[1];
        SpmdRun run = runAndCompare(text, List.of(HostArray.fromDoubles(f32(0, 8), new double[0])), p);
        assertThat(run.log()).as(MlirPrinter.print(p[0].module())).isEmpty();
        assertThat(p[0].report().entries()).isEmpty();
    }

    /**
     * Two meshes over the same devices whose groups differ and whose blocks are cut differently (@a's 8 row blocks
     * against @b's 4 x 2, with device_ids swapping 2, 3 and 6, 7): no rewrite onto one mesh, no block permutation.
     * The tilings refine to 2x2 cells (16 B), so the move is an exchange of cells: device d holds rows [2d, 2d+2) and
     * needs rows [4q, 4q+4) x columns [2p, 2p+2) at its @b position (p, q); it keeps the cell of its own rows when
     * d / 2 = q and receives the rest. Checked against the global program's value, with each device's bytes counted here from
     * the split of an index array on each mesh, and as many collectives as the most cells a device sends or receives.
     * A move whose tilings do not refine (3 row blocks against 2) still gathers and slices, and says so.
     */
    @Test
    void meshesWithoutCorrespondingAxesExchangeCellsOrFallBackAndSaySo() {
        String cells = """
                module @cells attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @a = <["x"=8]>
                  sdy.mesh @b = <["p"=2, "q"=4], device_ids=[0, 1, 3, 2, 4, 5, 7, 6]>
                  func.func @main(%arg0: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@a, [{"x"}, {}]>}) -> (tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@b, [{"q"}, {"p"}]>}) {
                    return %arg0 : tensor<16x4xf32>
                  }
                }
                """;
        PartitionedProgram[] p = new PartitionedProgram[1];
        SpmdRun exchanged = runAndCompare(cells, List.of(random(f32(16, 4), 5)), p);
        String explicit = MlirPrinter.print(p[0].module());
        // the report names the plan taken, its step and the busiest device's bytes
        assertThat(p[0].report().entries()).as(explicit).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(PartitionReport.Kind.CROSS_MESH_PLANNED);
            assertThat(e.why()).contains("exchange (the whole tensor, 256 B, exceeds the cap of 64 B)")
                    .contains("cross-mesh exchange tensor<16x4xf32>").contains("32 B/device, 2 collective(s)")
                    .contains("@a -> @b: exchange tensor<2x4xf32> -> tensor<4x2xf32> in 2 rounds of [2, 2] cells");
        });
        assertThat(explicit).doesNotContain("all_gather");
        MeshAttr a = ReshardHarness.mesh("x", 8);
        MeshAttr b = new MeshAttr(List.of(new MeshAttr.Axis("p", 2), new MeshAttr.Axis("q", 4)), List.of(0L, 1L, 3L, 2L, 4L, 5L, 7L, 6L));
        TensorSharding from = spec("x", ""), to = spec("q", "p");
        long[] lack = ReshardHarness.lacking(a, from, b, to, f32(16, 4));
        // @b position (p, q) = (0, 0) holds device 0, (0, 1) 1, (0, 2) 3, (0, 3) 2, (1, 0) 4, (1, 1) 5, (1, 2) 7, (1, 3) 6:
        // only devices 0 and 6 sit at q = d / 2 and keep one 16-byte cell; the others lack their whole 32-byte block
        assertThat(lack).containsExactly(16, 32, 32, 32, 32, 32, 16, 32);
        assertThat(exchanged.bytesReceivedPerDevice(8)).as(explicit).containsExactly(lack);
        // the gather it replaces: 7 x 32 B into every device
        assertThat(java.util.Arrays.stream(lack).max().orElseThrow()).isLessThan(7 * 32);
        // rounds: each device receives at most 2 cells; device d's rows (2 cells) go to the @b devices at q = d / 2
        // with p = 0 and p = 1, less itself, so it sends at most 2: 2 collective_permutes
        assertThat(exchanged.log()).as(explicit).hasSize(2).allMatch(r -> r.op().contains("collective_permute"));

        String coprime = """
                module @fallback attributes {mhlo.num_partitions = 6 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @a = <["x"=3, "y"=2]>
                  sdy.mesh @b = <["p"=2, "q"=3], device_ids=[0, 1, 2, 3, 5, 4]>
                  func.func @main(%arg0: tensor<6x4xf32> {sdy.sharding = #sdy.sharding<@a, [{"x"}, {}]>}) -> (tensor<6x4xf32> {sdy.sharding = #sdy.sharding<@b, [{"p"}, {}]>}) {
                    return %arg0 : tensor<6x4xf32>
                  }
                }
                """;
        runAndCompare(coprime, List.of(random(f32(6, 4), 5)), p);
        assertThat(p[0].report().entries()).hasSize(1);
        PartitionReport.Entry e = p[0].report().entries().get(0);
        assertThat(e.kind()).isEqualTo(PartitionReport.Kind.CROSS_MESH_GATHERED);
        assertThat(e.op()).contains("@main result #0");
        assertThat(e.why()).contains("gathered whole on @a and sliced on @b");
        // the same blocks held by other devices (device_ids swap 2<->3 and 6<->7): one collective_permute in which the
        // four devices that keep their block pair with themselves and move nothing; the other four receive one block
        String text = """
                module @permuted attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @a = <["x"=8]>
                  sdy.mesh @b = <["z"=8], device_ids=[0, 1, 3, 2, 4, 5, 7, 6]>
                  func.func @main(%arg0: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@a, [{"x"}, {}]>}) -> (tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@b, [{"z"}, {}]>}) {
                    return %arg0 : tensor<16x4xf32>
                  }
                }
                """;
        SpmdRun permuted = runAndCompare(text, List.of(random(f32(16, 4), 5)), p);
        assertThat(p[0].report().entries()).isEmpty();
        assertThat(permuted.log()).hasSize(1);
        assertThat(permuted.log().get(0).op()).contains("collective_permute");
        // a block is 2 rows x 4 f32 = 32 B; devices 2, 3, 6, 7 receive one each
        long[] received = permuted.bytesReceivedPerDevice(8);
        for (int d = 0; d < 8; d++) assertThat(received[d]).as("device " + d).isEqualTo(d % 4 >= 2 ? 32 : 0);
        // the same meshes with z = x read in reversed bit order (device_ids a digit permutation) correspond: no fallback
        String reversed = text.replace("device_ids=[0, 1, 3, 2, 4, 5, 7, 6]", "device_ids=[0, 4, 2, 6, 1, 5, 3, 7]");
        SpmdRun run = runAndCompare(reversed, List.of(random(f32(16, 4), 6)), p);
        assertThat(p[0].report().entries()).isEmpty();
        // written on @a, z is ("x":(4)2, "x":(2)2, "x":(1)2): a permutation of the blocks, 8 B x 4 rows... bounded by the planner
        long bound = ReshardPlanner.lowerBoundBytes(a, f32(16, 4), spec("x", ""),
                ReshardHarness.of(List.of(List.of(io.hlo4j.mlir.dialect.sdy.AxisRef.sub("x", 4, 2), io.hlo4j.mlir.dialect.sdy.AxisRef.sub("x", 2, 2),
                        io.hlo4j.mlir.dialect.sdy.AxisRef.sub("x", 1, 2)), List.of()), List.of()));
        assertThat(run.maxBytesReceived(8)).isLessThanOrEqualTo(bound);
    }
}
