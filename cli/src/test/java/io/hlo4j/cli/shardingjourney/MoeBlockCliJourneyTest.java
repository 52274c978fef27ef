package io.hlo4j.cli.shardingjourney;

import static io.hlo4j.cli.shardjourney.JourneyCli.cli;
import static io.hlo4j.cli.shardingjourney.MoeBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.cli.shardjourney.JourneyCli.Out;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The MoE block's gradient program, lowered from the DSL with its locations ({@code asTextWithLocations}) on the 5D
 * mesh dp=1, fsdp=2, ep=2, tp=2, sp=1, through the CLI as a user looks at it: {@code shardings} (who holds which block),
 * {@code inspect} on the global program (per-device shapes; no collectives yet, and it says where they are),
 * {@code dump FILE --locations} then {@code inspect --json} on the per-device program (every collective with its bytes
 * and the user's Java line), and {@code run --spmd --collectives} on .npy inputs. Oracles: the DSL's one-device loss and
 * gradients, the block shapes by hand, and the collectives and bytes of the DSL's own simulated run.
 */
class MoeBlockCliJourneyTest {
    @Test
    void theDumpedMoeBlockThroughShardingsInspectDumpAndRunSpmd(@TempDir Path dir) throws Exception {
        Mesh m = mesh(1, 2, 2, 2, 1);
        Map<String, HostArray> p = params(11);
        HostArray x = input(12);
        Path file = dir.resolve("block.mlir");
        Files.writeString(file, MoeBlock5dJourneyTest.gradJit(m).lower(p, x).asTextWithLocations());

        // shardings: wi [4, 16, 16] P(ep, fsdp, tp) is 2 x 2 x 2 blocks of [2, 8, 8], one per device; x [4, 8, 16]
        // P((dp, fsdp), sp, None) is two blocks of [2, 8, 16], each held by the 4 devices of one fsdp coordinate
        Out sh = cli("shardings", file.toString());
        assertThat(sh.code()).as(sh.toString()).isZero();
        assertThat(sh.out()).contains("@main %arg4: tensor<4x16x16xf32> #sdy.sharding<@mesh, [{\"ep\"}, {\"fsdp\"}, {\"tp\"}]>\n"
                + "  blocks [2, 2, 2], block shape [2, 8, 8]");
        assertThat(sh.out()).contains("@main %arg10: tensor<4x8x16xf32> #sdy.sharding<@mesh, [{\"dp\", \"fsdp\"}, {\"sp\"}, {}]>\n"
                + "  blocks [2, 1, 1], block shape [2, 8, 16]\n+---------+\n| dev 0-3 |\n+---------+\n| dev 4-7 |\n+---------+");

        // inspect of the global program: each argument's per-device shard, and where the collectives are
        Out global = cli("inspect", file.toString());
        assertThat(global.code()).as(global.toString()).isZero();
        assertThat(global.out()).contains("%arg4: tensor<4x16x16xf32> (4.00 KiB), #sdy.sharding<@mesh, [{\"ep\"}, {\"fsdp\"}, {\"tp\"}]>\n"
                + "      axes per dim [[ep], [fsdp], [tp]], shard [2, 8, 8] (512 B per device)");
        assertThat(global.out()).contains("collectives: none in this global program (it declares an sdy.mesh): `hlo4j dump " + file,
                "add `--locations` to see each collective's source line");
        Out globalJson = cli("inspect", "--json", file.toString());
        assertThat(globalJson.code()).as(globalJson.toString()).isZero();
        JsonNode gj = new ObjectMapper().readTree(globalJson.out());
        assertThat(gj.get("collectives_after_partitioning").asBoolean()).as(globalJson.out()).isTrue();
        assertThat(gj.get("collectives")).isEmpty();

        // the per-device program with the user's lines, and inspect's account of each collective
        Path device = dir.resolve("block-device.mlir");
        Out dumped = cli("dump", file.toString(), "--locations", "-o", device.toString());
        assertThat(dumped.code()).as(dumped.toString()).isZero();
        Out in = cli("inspect", "--json", device.toString());
        assertThat(in.code()).as(in.toString()).isZero();
        assertThat(new ObjectMapper().readTree(in.out()).has("collectives_after_partitioning")).as("the per-device program declares its mesh only: not a global program").isFalse();
        JsonNode predicted = new ObjectMapper().readTree(in.out()).get("collectives");
        Out inText = cli("inspect", device.toString());
        assertThat(inText.out()).as("inspect names the Java line of each collective").contains("stablehlo.all_reduce in @main at MoeBlock.java:"
                + MoeBlock5dJourneyTest.WO + ":0: group size 2, 1.00 KiB received per device");

        // the DSL's own simulated run: the same collectives in the same order, with the bytes inspect predicts
        // (the same mesh, params(11) and input(12), run once and shared with MoeBlock5dJourneyTest)
        SimulatedRun sim = MoeBlock5dJourneyTest.fsdpTpEpRun();
        List<CollectiveRecord> log = sim.run().log();
        // 39 collectives on this program once its dead code is removed (MoeBlock5dJourneyTest bounds them)
        assertThat(predicted.size()).as(in.out()).isEqualTo(log.size()).isGreaterThan(30);
        for (int c = 0; c < log.size(); c++) {
            JsonNode pc = predicted.get(c);
            assertThat(pc.get("op").asText()).as("collective #%d", c).isEqualTo(log.get(c).op());
            assertThat(pc.toString()).as("collective #%d names the user's line", c).contains(log.get(c).location());
            assertThat(pc.get("bytes_received_per_device").asLong()).as("collective #%d %s bytes", c, log.get(c).op())
                    .isEqualTo(log.get(c).maxBytesReceived());
        }

        // run --spmd on .npy inputs (the parameter map by key, then x): the loss and every gradient of one device
        List<String> run = new ArrayList<>(List.of("run", file.toString(), "--spmd", "--collectives", "-o", dir.resolve("out").toString()));
        List<HostArray> inputs = new ArrayList<>(p.values());
        inputs.add(x);
        for (int i = 0; i < inputs.size(); i++) {
            Path f = dir.resolve("in" + i + ".npy");
            Npy.write(f, inputs.get(i));
            run.add("--input");
            run.add(f.toString());
        }
        Out ran = cli(run.toArray(String[]::new));
        assertThat(ran.code()).as(ran.toString()).isZero();
        assertThat(ran.out()).contains("partitioned @main for 8 devices", "collectives: " + log.size() + " executed, in order",
                "all_reduce at MoeBlock.java:" + MoeBlock5dJourneyTest.WO + ":0 groups [[0,1],[2,3],[4,5],[6,7]] axes tp");
        @SuppressWarnings("unchecked") List<Object> want = (List<Object>) Jit.jit("block", Grad.valueAndGrad(LOSS, 0)).call(p, x);
        assertThat(relErr(Npy.read(dir.resolve("out/result0.npy")), (HostArray) want.get(0))).as("loss").isLessThan(1e-5);
        @SuppressWarnings("unchecked") Map<String, HostArray> grads = (Map<String, HostArray>) want.get(1);
        int r = 1;
        for (Map.Entry<String, HostArray> g : grads.entrySet()) {
            assertThat(relErr(Npy.read(dir.resolve("out/result" + r++ + ".npy")), g.getValue())).as("d loss / d %s", g.getKey()).isLessThan(2e-5);
        }
    }
}
