package io.hlo4j.compiler.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token-level mutants ({@link TokenMutator}: dropped, duplicated and swapped tokens, renamed SSA values, changed element
 * types, dimensions and numbers, truncation, unicode, NUL bytes, deep nesting, huge declared tensors, hostile Shardy
 * text) of the docs' example modules and StableHLO's {@code interpret/} files (read in place) through the whole
 * {@link Pipeline}: parse, verify, print and parse again, cost analysis, the interpreter on small inputs, and for
 * sharded modules propagation, partitioning and the run on simulated devices. Each must succeed or be refused by an
 * hlo4j error that names a location (the CLI's {@code file:line:col: message}); never another exception, a hang, or an
 * out-of-memory from a declared huge shape.
 *
 * <p>The seeds and counts live here: {@value #DEFAULT_MUTANTS} general and {@value #DEFAULT_SDY_MUTANTS} Shardy
 * mutants by default (seconds); more with {@code -Dhlo4j.fuzz.token.mutants=N -Dhlo4j.fuzz.token.sdy.mutants=M}, other
 * ones with {@code -Dhlo4j.fuzz.token.seed=S}. A failure names the mutant's number and seed and is written under
 * {@code target/fuzz-failures/}.
 */
class TokenFuzzTest {
    static final int DEFAULT_MUTANTS = 200;
    static final int DEFAULT_SDY_MUTANTS = 100;
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.token.mutants", DEFAULT_MUTANTS);
    static final int SDY_MUTANTS = Integer.getInteger("hlo4j.fuzz.token.sdy.mutants", DEFAULT_SDY_MUTANTS);
    static final long SEED = Long.getLong("hlo4j.fuzz.token.seed", 0x70CE_0000L);
    static final long BUDGET_MS = Long.getLong("hlo4j.fuzz.budget.ms", 0);

    @Test
    void tokenMutantsRunOrAreRefusedAtALocation() throws IOException {
        List<Fuzzer.Seed> seeds = new ArrayList<>(exampleSeeds());
        seeds.addAll(interpretSeeds());
        assertThat(seeds).hasSizeGreaterThan(100);
        Fuzzer.Result r = new Fuzzer(seeds, SEED, TokenMutator.KINDS, "token", TokenMutator::mutate, true).run(MUTANTS, BUDGET_MS);
        System.out.println(r.summary("token fuzz over " + seeds.size() + " modules (seed " + SEED + ")"));
        assertThat(r.failures().lines).as(r.summary("failures")).isEmpty();
        if (BUDGET_MS <= 0) assertThat(r.run()).isEqualTo(MUTANTS);
        assertThat(r.refused()).isGreaterThan(r.run() / 4);
        assertThat(r.reached().getOrDefault(Pipeline.Stage.INTERPRETED, 0)).isGreaterThan(r.run() / 20);
        assertThat(r.seedsDrawn()).as("mutants come from many seed modules").hasSizeGreaterThan(Math.min(r.run(), seeds.size()) / 2);
    }

    @Test
    void shardyTextMutantsRunOrAreRefusedAtALocation() throws IOException {
        List<Fuzzer.Seed> seeds = ShardedFuzzTest.shardedSeeds();
        Fuzzer.Result r = new Fuzzer(seeds, SEED + 1_000_003, TokenMutator.SDY_KINDS, "token-sdy", TokenMutator::mutate, true)
                .run(SDY_MUTANTS, BUDGET_MS);
        System.out.println(r.summary("shardy token fuzz over " + seeds.size() + " modules (seed " + (SEED + 1_000_003) + ")"));
        assertThat(r.failures().lines).as(r.summary("failures")).isEmpty();
        assertThat(r.refused()).isGreaterThan(r.run() / 4);
        assertThat(r.partitioned()).isPositive();
        assertThat(r.seedsDrawn()).as("mutants come from many seed modules").hasSizeGreaterThan(Math.min(r.run(), seeds.size()) / 2);
    }

    /** Every module under docs/examples (split at {@code // -----}). */
    static List<Fuzzer.Seed> exampleSeeds() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<Fuzzer.Seed> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root.resolve("docs/examples"))) {
            for (Path f : s.filter(x -> x.toString().endsWith(".mlir")).sorted().toList()) {
                String t = Files.readString(f);
                if (t.length() > 20_000) continue;
                List<String> chunks = Fuzzer.chunks(t);
                for (int i = 0; i < chunks.size(); i++) out.add(new Fuzzer.Seed(root.relativize(f) + "#" + i, chunks.get(i)));
            }
        }
        return out;
    }

    /** The conformance {@code interpret/} files, split at their markers, read in place. */
    static List<Fuzzer.Seed> interpretSeeds() throws IOException {
        Path dir = PipelineFuzzTest.conformanceDir().resolve("interpret");
        List<Fuzzer.Seed> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(x -> x.toString().endsWith(".mlir")).sorted().toList()) {
                List<String> chunks = Fuzzer.chunks(Files.readString(f));
                for (int i = 0; i < chunks.size(); i++) out.add(new Fuzzer.Seed("interpret/" + f.getFileName() + "#" + i, chunks.get(i)));
            }
        }
        return out;
    }
}
