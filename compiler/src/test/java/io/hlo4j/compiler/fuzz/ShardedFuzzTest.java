package io.hlo4j.compiler.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutants of hlo4j's own Shardy-annotated modules (the dumped MoE layers, the docs' sharded examples, JAX exports)
 * through parse, verify, interpret, propagate, partition and the run on simulated devices: each runs or is refused by
 * an hlo4j error, never a crash or a hang. Besides the general mutations, mesh axes are resized, sharding axes
 * renamed, sharding dimensions dropped and {@code mhlo.num_partitions} changed. By default a fixed set of 100 mutants,
 * all run. Longer (the budget may cut it short; the summary says so): {@code -Dhlo4j.fuzz.sharded.mutants=5000
 * -Dhlo4j.fuzz.budget.ms=600000}.
 */
class ShardedFuzzTest {
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.sharded.mutants", 100);
    static final long BUDGET_MS = Long.getLong("hlo4j.fuzz.budget.ms", 0); // 0: none; a fixed set of mutants, whatever the machine's speed
    static final long SEED = Long.getLong("hlo4j.fuzz.seed", 0x5_4A2D_0000L);
    static final String[] KINDS = {"dim", "elemtype", "attr", "operand", "swapop", "deleteline", "hugedim", "negdim", "hugeliteral",
            "resulttype", "signature", "sharding", "sharding", "sharding", "sharding", "dim", "deleteline"};

    @Test
    void shardedMutantsRunOrAreRefusedByName() throws IOException {
        List<Fuzzer.Seed> seeds = shardedSeeds();
        assertThat(seeds).hasSizeGreaterThanOrEqualTo(10);
        Fuzzer.Result r = new Fuzzer(seeds, SEED, KINDS, "sharded").run(MUTANTS, BUDGET_MS);
        System.out.println(r.summary("sharded pipeline fuzz over " + seeds.size() + " modules"));
        assertThat(r.failures().lines).as(r.summary("failures")).isEmpty();
        if (BUDGET_MS <= 0) assertThat(r.run()).as("no budget: every mutant runs").isEqualTo(MUTANTS);
        assertThat(r.refused()).isGreaterThan(r.run() / 5);
        // most sharded mutants are refused; some still partition (the default 100: 10, whatever their one-device run did),
        // and some of those run on their devices (the default 100: 8; a manual computation's one-device run is refused
        // after that, so only the progress counts them); the mutants come from all 16 seed modules
        assertThat(r.partitioned()).isGreaterThanOrEqualTo(r.run() / 20);
        assertThat(r.ranOnDevices()).as(r.summary("none ran on its devices")).isPositive();
        assertThat(r.seedsDrawn()).as("mutants come from many seed modules").hasSizeGreaterThan(Math.min(r.run(), seeds.size()) / 2);
    }

    static final String MOE = "compiler/src/test/resources/io/hlo4j/compiler/spmd/partition/moe/";

    /** The seeds whose unmutated module goes through the whole pipeline, its one-device run included. */
    static final Set<String> RUN_THROUGH = Set.of("docs/examples/global-dot.mlir", "docs/examples/mlp-dp-tp.mlir",
            MOE + "moe-standard-dp1-fsdp2-ep2-tp2-sp1.mlir", MOE + "moe-standard-dp2-fsdp1-ep2-tp1-sp2.mlir");

    /**
     * The seeds whose unmutated module runs on its simulated devices: those of {@link #RUN_THROUGH}, and the manual
     * computations (plain or in jax.export's round-trip form), whose one-device run is then refused by name.
     */
    static final Set<String> RAN_ON_DEVICES;

    static {
        Set<String> s = new TreeSet<>(RUN_THROUGH);
        s.addAll(List.of("docs/examples/jax/export-roundtrip.mlir", "docs/examples/jax/shardy-mlp.mlir", "docs/examples/partial-manual-halo.mlir",
                "docs/examples/partial-manual.mlir", "cli/src/test/resources/jaxinterop/export_shardy_two_axes.mlir"));
        RAN_ON_DEVICES = java.util.Collections.unmodifiableSet(s);
    }

    /**
     * The unmutated seeds go through the whole pipeline: exactly {@link #RAN_ON_DEVICES} run on their devices and exactly
     * {@link #RUN_THROUGH} end without a refusal; every other seed ends at PARTITIONED (too many devices, or arguments
     * the pipeline does not make up) or is refused by name (a crash fails the test, it does not count as "not run").
     */
    @Test
    void unmutatedSeedsRunOnTheirDevicesOrAreRefusedByName() throws IOException {
        Set<String> ran = new TreeSet<>(), through = new TreeSet<>();
        List<String> bad = new ArrayList<>(), ends = new ArrayList<>();
        for (Fuzzer.Seed s : shardedSeeds()) {
            Pipeline.Progress progress = new Pipeline.Progress();
            String end;
            try {
                Pipeline.Stage stage = Pipeline.run(s.text(), System.nanoTime() + Fuzzer.DEADLINE_MS * 1_000_000L, SEED, progress);
                end = stage.name();
                if (stage == Pipeline.Stage.RAN_SPMD) through.add(s.name());
                else if (stage != Pipeline.Stage.PARTITIONED) bad.add(s.name() + " ended at " + stage);
            } catch (RuntimeException | Error e) {
                end = "refused: " + Verdicts.firstLine(e.toString());
                String why = Verdicts.judge(e);
                if (why != null) bad.add(s.name() + ": " + why);
            }
            if (progress.furthest == Pipeline.Stage.RAN_SPMD) ran.add(s.name());
            ends.add(s.name() + " (furthest " + progress.furthest + ") " + end);
        }
        System.out.println("sharded seeds: " + String.join("; ", ends));
        assertThat(bad).as(String.join("\n", ends)).isEmpty();
        assertThat(ran).as(String.join("\n", ends)).isEqualTo(RAN_ON_DEVICES);
        assertThat(through).as(String.join("\n", ends)).isEqualTo(new TreeSet<>(RUN_THROUGH));
    }

    /** Every .mlir under the repository's docs/examples and compiler test resources that holds an sdy annotation. */
    static List<Fuzzer.Seed> shardedSeeds() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<Fuzzer.Seed> out = new ArrayList<>();
        for (Path d : List.of(root.resolve("docs/examples"), root.resolve("compiler/src/test/resources"), root.resolve("cli/src/test/resources/jaxinterop"))) {
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.walk(d)) {
                for (Path f : s.filter(x -> x.toString().endsWith(".mlir")).sorted().toList()) {
                    String t = Files.readString(f);
                    if (t.contains("sdy.sharding") && t.length() < 20_000) out.add(new Fuzzer.Seed(root.relativize(f).toString(), t));
                }
            }
        }
        return out;
    }
}
