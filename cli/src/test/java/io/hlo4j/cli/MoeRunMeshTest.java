package io.hlo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code moe run --mesh}: the partitioned run on 8 simulated devices writes the same files as the run without a
 * mesh (the oracle, run once per class), to relative error 1e-5; the collectives report lists every collective with
 * bytes that add up to its totals, and the cost model's steps next to the collectives they match; token-sharded
 * dispatch and combine send exactly their analytic lower bound for the run's routing; bad meshes and
 * modes are refused in one line with nothing written.
 */
class MoeRunMeshTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** 64 tokens (B=4, S=16), E=4, k=4, H=8, M=16, f32, top_k_ndiv routing, standard load-balancing loss. */
    static final String CASE = "c25_top_k_ndiv_standard_k4_e4_n64";

    @TempDir static Path shared;
    static Path oracle;

    static String[] base(Path c, Path out) {
        return new String[] {"run", "--config", c.resolve("config.json").toString(), "--weights", c.toString(),
                "--input", c.resolve("x.npy").toString(), "-o", out.toString()};
    }

    static Cli.Run moe(Path c, Path out, String... extra) {
        return MoeCommandTest.moe(Stream.concat(Stream.of(base(c, out)), Stream.of(extra)).toArray(String[]::new));
    }

    @BeforeAll
    static void runWithoutAMesh() {
        oracle = shared.resolve("oracle");
        Cli.Run r = moe(MoeCommandTest.fixtures().resolve(CASE), oracle);
        assertThat(r.code()).as(r.toString()).isZero();
    }

    /** Every file of the run without a mesh, equal within 1e-5 (integers exactly, metrics relatively). */
    static void assertSameAsOracle(String what, Path out) throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).as(what + " files").containsExactly("expert_loads.npy",
                    "metrics.json", "output.npy", "router_logits.npy", "selected_experts.npy", "selected_weights.npy");
        }
        for (String f : List.of("selected_experts", "expert_loads")) {
            assertThat(Npy.read(out.resolve(f + ".npy")).toLongArray()).as(what + " " + f)
                    .containsExactly(Npy.read(oracle.resolve(f + ".npy")).toLongArray());
        }
        for (String f : List.of("output", "router_logits", "selected_weights")) {
            MoeCommandTest.assertRelClose(what + " " + f, Npy.read(out.resolve(f + ".npy")), Npy.read(oracle.resolve(f + ".npy")));
        }
        JsonNode got = JSON.readTree(out.resolve("metrics.json").toFile()), want = JSON.readTree(oracle.resolve("metrics.json").toFile());
        for (String k : MoeRunCommand.METRICS) {
            if (want.get(k).isNull()) {
                assertThat(got.get(k).isNull()).as(what + " " + k + " null").isTrue();
            } else {
                double g = got.get(k).asDouble(), w = want.get(k).asDouble();
                assertThat(Math.abs(g - w)).as(what + " " + k + " = " + g + ", want " + w).isLessThanOrEqualTo(1e-5 * Math.abs(w) + 1e-9);
            }
        }
    }

    @ParameterizedTest(name = "--mesh {0} --ep-mode {1}")
    @CsvSource({
            "'dp=1,fsdp=2,ep=2,tp=2,sp=1', replicated",
            "'dp=1,fsdp=2,ep=2,tp=2,sp=1', token-sharded",
            "'dp=1,fsdp=2,ep=2,tp=2,sp=1', ring",
            "'dp=2,fsdp=1,ep=2,tp=2,sp=1', token-sharded",
            "'dp=2,fsdp=1,ep=4,tp=1,sp=1', ring",
            "'dp=2,fsdp=1,ep=2,tp=1,sp=2', replicated",
            "'dp=2,ep=2,tp=2', auto",
    })
    void fusedOnEightDevicesEqualsTheRunWithoutAMesh(String mesh, String mode, @TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve(CASE), out = tmp.resolve("out"), rep = tmp.resolve("comm.json");
        Cli.Run r = moe(c, out, "--mesh", mesh, "--ep-mode", mode, "--collectives-report", rep.toString(), "--dump-dir", tmp.resolve("d").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("8 simulated devices");
        assertSameAsOracle(mesh + " " + mode, out);

        JsonNode j = JSON.readTree(rep.toFile());
        assertThat(j.get("devices").asInt()).isEqualTo(8);
        String ran = j.get("ep_mode").asText();
        if (!mode.equals("auto")) assertThat(ran).isEqualTo(mode);
        assertThat(r.out()).contains("EP mode " + ran);
        long[] sent = new long[8], recv = new long[8];
        for (JsonNode cl : j.get("collectives")) {
            assertThat(cl.get("op").asText()).isNotEmpty();
            assertThat(cl.get("axes").isArray()).isTrue();
            int g = cl.get("group_size").asInt();
            for (JsonNode grp : cl.get("groups")) assertThat(grp.size()).isEqualTo(g);
            for (int d = 0; d < 8; d++) {
                sent[d] += cl.get("bytes_sent_per_device").get(d).asLong();
                recv[d] += cl.get("bytes_received_per_device").get(d).asLong();
            }
        }
        assertThat(j.get("collectives").size()).as("the model mesh has > 1 device on the expert axes").isPositive();
        for (int d = 0; d < 8; d++) {
            assertThat(j.get("totals").get("bytes_sent_per_device").get(d).asLong()).as("sent by " + d).isEqualTo(sent[d]);
            assertThat(j.get("totals").get("bytes_received_per_device").get(d).asLong()).as("received by " + d).isEqualTo(recv[d]);
        }
        java.util.Set<Integer> matched = new java.util.HashSet<>();
        for (JsonNode a : j.get("analytic")) {
            if (a.get("collectives").isEmpty()) {
                assertThat(a.get("op").asText()).as("only the entry reshard has no collective: " + a).isEqualTo("reshard");
                continue;
            }
            long[] per = new long[8];
            for (JsonNode i : a.get("collectives")) {
                assertThat(matched.add(i.asInt())).as("collective " + i + " matched once").isTrue();
                JsonNode cl = j.get("collectives").get(i.asInt());
                assertThat(cl.get("op").asText()).isEqualTo(a.get("op").asText());
                assertThat(cl.get("group_size").asInt()).isEqualTo(a.get("group_size").asInt());
                for (int d = 0; d < 8; d++) per[d] += cl.get("bytes_sent_per_device").get(d).asLong();
            }
            long max = java.util.Arrays.stream(per).max().orElseThrow();
            assertThat(a.get("measured_max_bytes_sent").asLong()).isEqualTo(max);
            if (!a.get("op").asText().equals("ragged_all_to_all") && a.has("lower_bound_bytes_per_device")) {
                // ring algorithms: a fixed-size collective moves exactly its bound on every device (up to whole bytes)
                assertThat(a.get("lower_bound_bytes_per_device").isArray()).as(a.toString()).isTrue();
                for (int d = 0; d < 8; d++) {
                    assertThat((double) per[d]).as(a + " device " + d)
                            .isCloseTo(a.get("lower_bound_bytes_per_device").get(d).asDouble(), org.assertj.core.data.Offset.offset(1.0));
                }
                assertThat((double) max).isCloseTo(a.get("lower_bound_max_bytes_per_device").asDouble(), org.assertj.core.data.Offset.offset(1.0));
            }
        }
        assertThat(matched).as("every collective of the body belongs to a step of the model").hasSize(j.get("collectives").size());
        if (ran.equals("token-sharded")) assertDispatchAtItsBound(mesh, j);
        else assertThat(j.has("dispatch_combine")).as("a dispatch bound only for token-sharded").isFalse();
        for (String f : List.of("annotated.mlir", "explicit.mlir")) {
            Module m = MlirParser.parseModule(Files.readString(tmp.resolve("d").resolve(f)), f);
            ModuleVerifier.verify(m);
        }
        assertThat(Files.readString(tmp.resolve("d/annotated.mlir"))).contains("sdy.mesh").contains("sdy.manual_computation");
        assertThat(Files.readString(tmp.resolve("d/explicit.mlir"))).doesNotContain("sdy.manual_computation").contains("mhlo.num_partitions = 8");
    }

    /**
     * Token-sharded: dispatch and combine sent exactly the analytic lower bound for the routing that ran, on every
     * device and on every ragged step; the bound is also computed here by hand. In this fixture (E = 4, k = 4) every
     * token selects every expert (checked on the oracle's selected experts), so with T = N / (D X) tokens per device
     * and L = E / X: T rows of H f32 out and as many back, T L remote assignments (weights f32, and a
     * one-byte code when L > 1; with L = 1 one weight per row), one i32 count per peer.
     */
    static void assertDispatchAtItsBound(String mesh, JsonNode j) throws IOException {
        long[] selected = Npy.read(oracle.resolve("selected_experts.npy")).toLongArray();
        for (int t = 0; t < 64; t++) {
            long[] row = java.util.Arrays.copyOfRange(selected, t * 4, t * 4 + 4);
            java.util.Arrays.sort(row);
            assertThat(row).as("token " + t + " selects every expert").containsExactly(0, 1, 2, 3);
        }
        java.util.Map<String, Integer> axes = new java.util.HashMap<>();
        for (String kv : mesh.split(",")) axes.put(kv.split("=")[0], Integer.parseInt(kv.split("=")[1]));
        long x = (long) axes.getOrDefault("fsdp", 1) * axes.getOrDefault("ep", 1) * axes.getOrDefault("sp", 1);
        long d = axes.getOrDefault("dp", 1), t = 64 / (d * x), l = 4 / x, h = 8;
        long pairs = t * (x - 1), assignments = pairs * l;
        long byHand = 2 * pairs * h * 4 + (l > 1 ? assignments * (1 + 4) : pairs * 4) + (x - 1) * 4;

        JsonNode dc = j.get("dispatch_combine");
        assertThat(dc).as("the dispatch and combine bound").isNotNull();
        long[] perDevice = new long[8];
        for (JsonNode i : dc.get("collectives")) {
            JsonNode cl = j.get("collectives").get(i.asInt());
            assertThat(cl.get("op").asText()).isIn("all_to_all", "ragged_all_to_all");
            assertThat(cl.get("group_size").asLong()).isEqualTo(x);
            for (int dev = 0; dev < 8; dev++) perDevice[dev] += cl.get("bytes_sent_per_device").get(dev).asLong();
        }
        for (int dev = 0; dev < 8; dev++) {
            assertThat(dc.get("measured_bytes_sent_per_device").get(dev).asLong()).as("device " + dev + " measured").isEqualTo(perDevice[dev]);
            assertThat(dc.get("lower_bound_bytes_per_device").get(dev).asLong()).as("device " + dev + " bound").isEqualTo(byHand);
            assertThat(perDevice[dev]).as("device " + dev + " sent the bound").isEqualTo(byHand);
        }
        assertThat(dc.get("lower_bound_max_bytes_per_device").asLong()).isEqualTo(byHand);
        assertThat(dc.get("measured_max_bytes_sent").asLong()).isEqualTo(byHand);
        long pairTotal = 0;
        for (JsonNode p : dc.get("pairs_sent_per_device")) for (JsonNode v : p) pairTotal += v.asLong();
        // every token to every shard, once per tp replica (the tp members of a token shard route the same tokens)
        assertThat(pairTotal).as("(token, shard) pairs, own shard included").isEqualTo(64 * x * axes.getOrDefault("tp", 1));
        int ragged = 0;
        for (JsonNode a : j.get("analytic")) {
            if (!a.get("op").asText().equals("ragged_all_to_all")) continue;
            ragged++;
            assertThat(a.get("lower_bound_bytes_per_device")).as(a.get("what").asText()).isEqualTo(a.get("measured_bytes_sent_per_device"));
            long max = 0;
            for (JsonNode v : a.get("lower_bound_bytes_per_device")) max = Math.max(max, v.asLong());
            assertThat(a.get("lower_bound_max_bytes_per_device").asLong()).isEqualTo(max);
        }
        assertThat(ragged).as("codes (L > 1), rows, weights, combine").isEqualTo(l > 1 ? 4 : 3);
    }

    /**
     * Uneven routing in bf16 (case c26: E = 8, k = 2, H = 8, top-k) on dp=2, ep=2, tp=2: every device sends exactly
     * the bound, which is recounted here from the fixture's selected experts (the golden routing, which the run must
     * reproduce): device (dp, ep, tp) holds tokens [16 (2 dp + ep), +16); shard ep owns experts [4 ep, 4 ep + 4); bf16
     * rows (2 bytes) and weights, one-byte codes (L = 4), f32 combine rows of H/2 (the row reduced over tp = 2 on the
     * expert's shard, each tp member returning its half), one i32 count for the one peer.
     */
    /**
     * A weights folder with only some of the biases (here wu and wd, no wi) runs on the mesh as the one-device layer
     * does (each given bias used: the run differs from the run with none), in every mode.
     */
    @ParameterizedTest(name = "bias subset --ep-mode {0}")
    @CsvSource({"replicated", "token-sharded", "ring"})
    void aSubsetOfTheBiasesRunsOnTheMeshAsWithoutOne(String mode, @TempDir Path tmp) throws IOException {
        Path src = MoeCommandTest.fixtures().resolve("c18_switch_expert_choice_k4_e8_n512"), c = tmp.resolve("w");
        Files.createDirectories(c);
        for (String f : List.of("config.json", "x.npy", "gate.npy", "wi.npy", "wu.npy", "wd.npy", "wu_bias.npy", "wd_bias.npy")) {
            Files.copy(src.resolve(f), c.resolve(f));
        }
        Path one = tmp.resolve("one"), mesh = tmp.resolve("mesh");
        Cli.Run r1 = moe(c, one);
        assertThat(r1.code()).as(r1.toString()).isZero();
        Cli.Run r2 = moe(c, mesh, "--mesh", "dp=2,ep=2,tp=2", "--ep-mode", mode);
        assertThat(r2.code()).as(r2.toString()).isZero();
        for (String f : List.of("output", "router_logits", "selected_weights")) {
            MoeCommandTest.assertRelClose(mode + " " + f, Npy.read(mesh.resolve(f + ".npy")), Npy.read(one.resolve(f + ".npy")));
        }
        // the biases matter: without them the one-device output differs
        Files.delete(c.resolve("wu_bias.npy"));
        Files.delete(c.resolve("wd_bias.npy"));
        Path none = tmp.resolve("none");
        assertThat(moe(c, none).code()).isZero();
        assertThat(Npy.read(none.resolve("output.npy")).toDoubleArray()).isNotEqualTo(Npy.read(one.resolve("output.npy")).toDoubleArray());
    }

    /**
     * A bf16 config (case c26) on dp=2, ep=2, tp=2 writes the unpartitioned run's files bit for bit in every mode: the
     * EP layer rounds where the one-device layer rounds (docs/moe-expert-parallelism.md, bf16).
     */
    @ParameterizedTest(name = "bf16 --ep-mode {0}")
    @CsvSource({"replicated", "token-sharded", "ring"})
    void aBf16RunOnTheMeshEqualsTheUnpartitionedRunBitForBit(String mode, @TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve("c26_top_k_none_k2_e8_n64"), one = tmp.resolve("one"), mesh = tmp.resolve("mesh");
        assertThat(moe(c, one).code()).isZero();
        Cli.Run r = moe(c, mesh, "--mesh", "dp=2,ep=2,tp=2", "--ep-mode", mode);
        assertThat(r.code()).as(r.toString()).isZero();
        for (String f : List.of("output", "router_logits", "selected_weights", "selected_experts", "expert_loads")) {
            assertThat(Npy.read(mesh.resolve(f + ".npy")).toDoubleArray()).as(mode + " " + f).containsExactly(Npy.read(one.resolve(f + ".npy")).toDoubleArray());
        }
        assertThat(Files.readString(mesh.resolve("metrics.json"))).isEqualTo(Files.readString(one.resolve("metrics.json")));
    }

    @Test
    void tokenShardedSendsTheBoundOfAnUnevenBf16Routing(@TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve("c26_top_k_none_k2_e8_n64"), out = tmp.resolve("out"), rep = tmp.resolve("comm.json");
        Cli.Run r = moe(c, out, "--mesh", "dp=2,ep=2,tp=2", "--ep-mode", "token-sharded", "--collectives-report", rep.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        long[] sel = Npy.read(c.resolve("selected_experts.npy")).toLongArray();
        assertThat(Npy.read(out.resolve("selected_experts.npy")).toLongArray()).as("the run's routing").containsExactly(sel);
        long h = 8;
        long[][] pairsTo = new long[4][2], remote = new long[4][2];      // per token shard (2 dp + ep), per expert shard
        for (int shard = 0; shard < 4; shard++) {
            for (int t = shard * 16; t < shard * 16 + 16; t++) {
                boolean[] hit = new boolean[2];
                for (int j = 0; j < 2; j++) {
                    int to = (int) sel[t * 2 + j] / 4;
                    hit[to] = true;
                    remote[shard][to]++;
                }
                for (int to = 0; to < 2; to++) if (hit[to]) pairsTo[shard][to]++;
            }
        }
        JsonNode dc = JSON.readTree(rep.toFile()).get("dispatch_combine");
        boolean uneven = false;
        for (int dev = 0; dev < 8; dev++) {
            int dp = dev / 4, ep = (dev / 2) % 2, shard = 2 * dp + ep, peer = 2 * dp + (1 - ep);
            long out1 = pairsTo[shard][1 - ep], rem = remote[shard][1 - ep], in = pairsTo[peer][ep];
            // the combine returns each row reduced over tp, H/2 f32 per tp member (a bf16 layer rounds the whole row)
            long byHand = 4 + rem + out1 * h * 2 + rem * 2 + in * (h / 2) * 4;
            uneven |= byHand != dc.get("lower_bound_bytes_per_device").get(0).asLong();
            assertThat(dc.get("lower_bound_bytes_per_device").get(dev).asLong()).as("device " + dev + " bound").isEqualTo(byHand);
            assertThat(dc.get("measured_bytes_sent_per_device").get(dev).asLong()).as("device " + dev + " sent").isEqualTo(byHand);
        }
        assertThat(uneven).as("the devices' bounds differ (uneven routing)").isTrue();
    }

    void assertRefused(Cli.Run r, Path tmp, String... fragments) throws IOException {
        assertThat(r.code()).as(r.toString()).isIn(1, 2);
        assertThat(r.err().strip().lines().count()).as("one line: " + r.err()).isEqualTo(1);
        assertThat(r.err()).contains(fragments);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.toList()).as("nothing written").isEmpty();
        }
    }

    @Test
    void refusesBadMeshesAndModesInOneLine(@TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve(CASE), out = tmp.resolve("out");
        String rep = tmp.resolve("comm.json").toString();
        assertRefused(moe(c, out, "--mesh", "dp=1,fsdp=2,xp=2", "--collectives-report", rep), tmp, "unknown axis 'xp'");
        // E = 4 experts over fsdp * ep * sp = 8 expert shards
        assertRefused(moe(c, out, "--mesh", "fsdp=2,ep=2,sp=2", "--collectives-report", rep), tmp, "4 experts", "8 shards");
        // H = 8 over tp = 16 ... and M = 16
        assertRefused(moe(c, out, "--mesh", "tp=16", "--collectives-report", rep), tmp, "tp = 16");
        assertRefused(moe(c, out, "--mesh", "ep=2", "--ep-mode", "sideways"), tmp, "unknown EP mode 'sideways'");
        assertRefused(moe(c, out, "--mesh", "ep=2", "--emit", "global"), tmp, "--emit");
        assertRefused(moe(c, out, "--collectives-report", rep), tmp, "need --mesh");
        assertRefused(moe(c, out, "--mesh", "fsdp=2,ep=2,tp=2", "--devices", "4", "--collectives-report", rep), tmp, "has 8 devices but --devices is 4");
        // 64 tokens do not split over 128 devices' token shards
        assertRefused(moe(c, out, "--mesh", "dp=128", "--ep-mode", "replicated"), tmp, "64 tokens", "128");
    }

    @Test
    void refusesExpertChoiceWithSplitTokens(@TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve("c11_expert_choice_expert_choice_k1_e16_n64"), out = tmp.resolve("out");
        assertRefused(moe(c, out, "--mesh", "dp=1,fsdp=2,ep=2,tp=2", "--ep-mode", "token-sharded"), tmp, "expert_choice", "token-sharded");
    }

    /** STANDARD has no EP program: its annotated layer goes through the partitioner (8 devices, collectives inserted). */
    @ParameterizedTest(name = "--method standard --mesh {0}")
    @CsvSource({"'ep=2,tp=2,sp=2'", "'ep=2,tp=4'", "'dp=2,ep=2,tp=2'", "'dp=1,fsdp=2,ep=2,tp=2,sp=1'"})
    void standardPartitionedFromItsAnnotationsEqualsTheRunWithoutAMesh(String mesh, @TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve(CASE), out = tmp.resolve("out"), dump = tmp.resolve("explicit.mlir");
        Cli.Run r = moe(c, out, "--mesh", mesh, "--method", "standard", "--emit", "explicit", "--dump", dump.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("standard_moe").contains("8 simulated devices").doesNotContain("EP mode");
        assertSameAsOracle("standard " + mesh, out);
        String text = Files.readString(dump);
        ModuleVerifier.verify(MlirParser.parseModule(text, "explicit.mlir"));
        assertThat(text).contains("mhlo.num_partitions = 8").doesNotContain("sdy.sharding<");
    }

    @Test
    void anEpModeWithAnotherMethodIsRefused(@TempDir Path tmp) throws IOException {
        Path c = MoeCommandTest.fixtures().resolve(CASE), out = tmp.resolve("out");
        assertRefused(moe(c, out, "--mesh", "ep=2", "--method", "standard", "--ep-mode", "ring"), tmp, "fused method only");
    }
}
