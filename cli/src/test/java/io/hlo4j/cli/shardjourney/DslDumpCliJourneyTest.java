package io.hlo4j.cli.shardjourney;

import static io.hlo4j.cli.shardjourney.JourneyCli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.cli.shardjourney.JourneyCli.Out;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.Sharding;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JAX user's round trip from the DSL to the CLI, as with {@code jax.jit(f).lower(...).as_text()}: a sharded block
 * (RMSNorm, FSDP weights, a constraint mid-function) on the 2 x 4 ("data", "model") mesh is lowered with
 * {@link ShardedJit}, written to a file, drawn with {@code shardings}, partitioned with {@code dump FILE}, costed with
 * {@code inspect} and run with {@code run --spmd --collectives} on .npy inputs. Oracles: the DSL's own one-device
 * result, the block shapes by hand, and the bytes {@code inspect} predicts for each collective against what the run's
 * log measured for it.
 */
class DslDumpCliJourneyTest {
    static final Mesh MESH = Mesh.of(8, List.of("data", "model"), 2, 4);

    /**
     * x + silu(rmsNorm(x) w1) w2, with the hidden activation constrained to P(data, None, model) when {@code constrain}:
     * unlike jax.jit, a plain {@link Jit} refuses {@code withShardingConstraint} (docs/sharding.md says so), so the
     * one-device oracle is traced without it.
     */
    @SuppressWarnings("unchecked")
    static TracedFunction block(boolean constrain) {
        return a -> {
            Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            Tensor x = (Tensor) a[1];
            Tensor h = Nn.silu(Linalg.einsum("bsd,df->bsf", Nn.rmsNorm(x, p.get("norm"), 1e-6), p.get("w1")));
            if (constrain) h = Sharding.withShardingConstraint(h, NamedSharding.of(MESH, "data", null, "model"));
            return x.add(Linalg.einsum("bsf,fd->bsd", h, p.get("w2")));
        };
    }

    static HostArray random(Random r, double scale, double offset, long... shape) {
        double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = offset + scale * r.nextGaussian();
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    /** The block's parameters: an RMSNorm scale near 1, w1 [16, 32] and w2 [32, 16]. */
    static Map<String, HostArray> blockParams(Random r) {
        return new TreeMap<>(Map.of("norm", random(r, 0.1, 1, 16), "w1", random(r, 0.3, 0, 16, 32), "w2", random(r, 0.3, 0, 32, 16)));
    }

    /** FSDP on data, tensor parallel on model. */
    static final Map<String, NamedSharding> BLOCK_WEIGHTS = Map.of("norm", NamedSharding.of(MESH, "data"),
            "w1", NamedSharding.of(MESH, "data", "model"), "w2", NamedSharding.of(MESH, "model", "data"));

    /** {@code run FILE --spmd --collectives} with the inputs in the flattened order: the parameter map by key, then x. */
    static Out runBlockWithSpmd(Path dir, Path file, Map<String, HostArray> params, HostArray x) throws Exception {
        List<String> run = new ArrayList<>(List.of("run", file.toString(), "--spmd", "--collectives", "-o", dir.resolve("out").toString()));
        int i = 0;
        for (HostArray a : List.of(params.get("norm"), params.get("w1"), params.get("w2"), x)) {
            Path p = dir.resolve("in" + i++ + ".npy");
            Npy.write(p, a);
            run.add("--input");
            run.add(p.toString());
        }
        return cli(run.toArray(String[]::new));
    }

    /** The run's out/result0.npy equals {@code want} up to 1e-5 relative. */
    static void assertResultIs(Path dir, HostArray want) throws Exception {
        double[] got = Npy.read(dir.resolve("out/result0.npy")).toDoubleArray(), w = want.toDoubleArray();
        for (int k = 0; k < w.length; k++) assertThat(got[k]).as("y[%d]", k).isCloseTo(w[k], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(w[k]))));
    }

    @Test
    void theDumpedBlockRunsWithSpmdLikeTheDslAndInspectPredictsTheBytesTheRunMeasures(@TempDir Path dir) throws Exception {
        Random r = new Random(41);
        Map<String, HostArray> params = blockParams(r);
        HostArray x = random(r, 1, 0, 4, 8, 16);
        HostArray want = Jit.jit("block", block(false)).call1(params, x);

        ShardedJit jit = ShardedJit.jit("block", block(true), ShardedJit.flat(BLOCK_WEIGHTS, NamedSharding.of(MESH, "data")),
                List.of(NamedSharding.of(MESH, "data")));
        Path file = dir.resolve("block.mlir");
        String text = jit.lower(params, x).asText();
        assertThat(text).contains("sdy.sharding_constraint");
        Files.writeString(file, text);

        Out ran = runBlockWithSpmd(dir, file, params, x);
        assertThat(ran.code()).as(ran.toString()).isZero();
        assertThat(ran.out()).contains("partitioned @main for 8 devices").doesNotContain("partitioner:");
        assertResultIs(dir, want);

        // shardings: w1 [16, 32] P(data, model) is a 2 x 4 grid of [8, 8] blocks, one device each
        Out sh = cli("shardings", file.toString());
        assertThat(sh.code()).as(sh.toString()).isZero();
        assertThat(sh.out()).contains("@main %arg1: tensor<16x32xf32> #sdy.sharding<@mesh, [{\"data\"}, {\"model\"}]>\n  blocks [2, 4], block shape [8, 8]")
                .contains("@main %arg3: tensor<4x8x16xf32> #sdy.sharding<@mesh, [{\"data\"}, {}, {}]>\n  blocks [2, 1, 1], block shape [2, 8, 16]");

        Set<String> kinds = assertInspectPredictsTheRun(dir, file, ran);
        assertThat(kinds).as("FSDP: the weights are gathered").contains("all_gather");
    }

    /**
     * The per-device program ({@code dump FILE}), what {@code inspect --json} predicts for each of its collectives, and
     * what {@code run --collectives} measured ("#i op at loc groups ... received bytes per device [..]"), collective by
     * collective (no loops, so program order is run order). Returns the kinds of collective that ran.
     */
    static Set<String> assertInspectPredictsTheRun(Path dir, Path file, Out ran) throws Exception {
        Path device = dir.resolve(file.getFileName().toString().replace(".mlir", "-device.mlir"));
        Out dumped = cli("dump", file.toString(), "-o", device.toString());
        assertThat(dumped.code()).as(dumped.toString()).isZero();
        Out in = cli("inspect", "--json", device.toString());
        assertThat(in.code()).as(in.toString()).isZero();
        JsonNode predicted = new ObjectMapper().readTree(in.out()).get("collectives");

        Pattern line = Pattern.compile("#(\\d+) (\\S+) at .* received bytes per device \\[([0-9, ]+)\\]");
        List<String> ops = new ArrayList<>();
        List<Long> measured = new ArrayList<>();
        for (String l : ran.out().split("\n")) {
            Matcher m = line.matcher(l);
            if (!m.find()) continue;
            ops.add(m.group(2));
            long max = 0;
            for (String b : m.group(3).split(", ")) max = Math.max(max, Long.parseLong(b.trim()));
            measured.add(max);
        }
        assertThat(measured).as("the run communicates\n" + ran.out()).isNotEmpty();
        assertThat(predicted.size()).as("inspect lists as many collectives as ran (no loops)\n" + in.out()).isEqualTo(measured.size());
        for (int c = 0; c < measured.size(); c++) {
            JsonNode p = predicted.get(c);
            assertThat(p.get("op").asText()).as("collective #%d", c).endsWith(ops.get(c));
            assertThat(p.get("bytes_received_is_bound").asBoolean()).isFalse();
            assertThat(p.get("bytes_received_per_device").asLong()).as("collective #%d %s: inspect vs the run's busiest device", c, ops.get(c))
                    .isEqualTo(measured.get(c));
        }
        return new java.util.TreeSet<>(ops);
    }

    /**
     * Causal attention with the sequence split over "model" (sequence parallelism) and its result asked for split over
     * hidden features on "model": the partitioner gathers keys and values and moves the result from sequence to features
     * with other collectives than all_gather; inspect's bytes still equal the run's for each.
     */
    @Test
    void sequenceParallelAttentionInspectPredictsEveryCollectiveKind(@TempDir Path dir) throws Exception {
        TracedFunction attn = a -> {
            Tensor q = ((Tensor) a[0]).reshape(2, 8, 4, 4);
            return Nn.dotProductAttention(q, q.mul(0.5), q, null, true).reshape(2, 8, 16);
        };
        HostArray x = random(new Random(44), 1, 0, 2, 8, 16);
        HostArray want = Jit.jit("attn", attn).call1(x);
        Path file = dir.resolve("attn.mlir");
        Files.writeString(file, ShardedJit.jit("attn", attn, List.of(NamedSharding.of(MESH, "data", "model", null)),
                List.of(NamedSharding.of(MESH, "data", null, "model"))).lower(x).asText());
        Npy.write(dir.resolve("x.npy"), x);
        Out ran = cli("run", file.toString(), "--spmd", "--collectives", "--input", dir.resolve("x.npy").toString(), "-o", dir.resolve("out").toString());
        assertThat(ran.code()).as(ran.toString()).isZero();
        assertResultIs(dir, want);
        Set<String> kinds = assertInspectPredictsTheRun(dir, file, ran);
        assertThat(kinds).as(ran.out()).hasSizeGreaterThan(1);
    }

    /**
     * The dump with locations ({@code asTextWithLocations}): {@code run --collectives} then says which line of the Java
     * source each collective was made for, and the result is the same.
     */
    @Test
    void aDumpWithLocationsPointsEachCollectiveAtTheJavaLine(@TempDir Path dir) throws Exception {
        Random r = new Random(43);
        Map<String, HostArray> params = blockParams(r);
        HostArray x = random(r, 1, 0, 4, 8, 16);
        Path file = dir.resolve("block-loc.mlir");
        Files.writeString(file, ShardedJit.jit("block", block(true), ShardedJit.flat(BLOCK_WEIGHTS, NamedSharding.of(MESH, "data"))).lower(params, x)
                .asTextWithLocations());
        Out ran = runBlockWithSpmd(dir, file, params, x);
        assertThat(ran.code()).as(ran.toString()).isZero();
        List<String> lines = ran.out().lines().filter(l -> l.matches("\\s+#\\d+ .*")).toList();
        assertThat(lines).as(ran.out()).isNotEmpty();
        for (String l : lines) assertThat(l).as("collective line").contains(" at DslDumpCliJourneyTest.java:");
        HostArray want = Jit.jit("block", block(false)).call1(params, x);
        assertResultIs(dir, want);
    }

    /** shard_map(psum) traced by the DSL, dumped, and run by the CLI without --spmd (a manual computation needs it). */
    @Test
    void aDslShardMapDumpRunsOnTheCli(@TempDir Path dir) throws Exception {
        TracedFunction f = a -> ShardMap.shardMap(MESH, PartitionSpec.of("data", "model"), PartitionSpec.of("data", null),
                b -> Collectives.psum(b.sum(true, 1), "model"), (Tensor) a[0]);
        HostArray x = random(new Random(42), 1, 0, 4, 8);
        Path file = dir.resolve("psum.mlir");
        Files.writeString(file, ShardedJit.jit("f", f, List.of(NamedSharding.of(MESH, "data", "model"))).lower(x).asText());
        Npy.write(dir.resolve("x.npy"), x);
        Out ran = cli("run", file.toString(), "--input", dir.resolve("x.npy").toString(), "-o", dir.resolve("out").toString());
        assertThat(ran.code()).as(ran.toString()).isZero();
        // row sums of x: each device sums its 2 columns, the psum over model adds the 4 devices' partial sums
        double[] xv = x.toDoubleArray(), got = Npy.read(dir.resolve("out/result0.npy")).toDoubleArray();
        assertThat(got).hasSize(4);
        for (int row = 0; row < 4; row++) {
            double s = 0;
            for (int c = 0; c < 8; c++) s += xv[row * 8 + c];
            assertThat(got[row]).as("row %d", row).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-5));
        }
        // one all_reduce of a [2, 1] f32 block (8 B) over model (g = 4): 2 * 3/4 * 8 = 12 B per device
        assertThat(ran.out()).containsPattern("1 collective, at most 12 bytes received per device");
    }
}
