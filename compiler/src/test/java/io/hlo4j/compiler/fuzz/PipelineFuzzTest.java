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
 * Mutants of StableHLO's conformance modules (interpret/ and the small testdata/ files, read in place) through parse,
 * verify and interpret: each must run, or be refused by an hlo4j error; never a crash (NullPointerException, index out
 * of bounds, ClassCastException, arithmetic, negative array size, out of memory, stack overflow, a number that fails
 * to parse), never a hang. By default a fixed set of 100 mutants, all run (a few seconds; the floors below hold for that
 * set). A longer run, which the budget may cut short (the summary says so): {@code -Dhlo4j.fuzz.mutants=20000
 * -Dhlo4j.fuzz.budget.ms=600000 -Dhlo4j.fuzz.seed=7}.
 */
class PipelineFuzzTest {
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.mutants", 100);
    static final long BUDGET_MS = Long.getLong("hlo4j.fuzz.budget.ms", 0); // 0: none; a fixed set of mutants, whatever the machine's speed
    static final long SEED = Long.getLong("hlo4j.fuzz.seed", 0xF022_0000L);

    @Test
    void conformanceMutantsRunOrAreRefusedByName() throws IOException {
        List<Fuzzer.Seed> seeds = conformanceSeeds();
        assertThat(seeds).hasSizeGreaterThan(300);
        Fuzzer.Result r = new Fuzzer(seeds, SEED, Mutator.KINDS, "conformance").run(MUTANTS, BUDGET_MS);
        System.out.println(r.summary("pipeline fuzz over " + seeds.size() + " conformance modules"));
        assertThat(r.failures().lines).as(r.summary("failures")).isEmpty();
        if (BUDGET_MS <= 0) assertThat(r.run()).as("no budget: every mutant runs").isEqualTo(MUTANTS);
        // not vacuous: many mutants are refused, and many still verify and run (the default 100: 76 refused, 24 interpreted)
        assertThat(r.refused()).isGreaterThan(r.run() / 5);
        assertThat(r.reached().getOrDefault(Pipeline.Stage.INTERPRETED, 0)).isGreaterThan(r.run() / 10);
        assertThat(r.seedsDrawn()).as("mutants come from many seed modules").hasSizeGreaterThan(Math.min(r.run(), seeds.size()) / 2);
    }

    static Path conformanceDir() {
        String p = System.getProperty("hlo4j.conformance.dir");
        if (p != null && Files.isDirectory(Path.of(p))) return Path.of(p);
        return Path.of("..", "..", "shared", "conformance").toAbsolutePath().normalize();
    }

    /** interpret/*.mlir split at their markers, and the testdata/ files under 4 KB (one module each, inputs inline). */
    static List<Fuzzer.Seed> conformanceSeeds() throws IOException {
        Path dir = conformanceDir();
        List<Fuzzer.Seed> out = new ArrayList<>();
        for (String sub : List.of("interpret", "testdata")) {
            try (Stream<Path> s = Files.list(dir.resolve(sub))) {
                for (Path f : s.filter(x -> x.toString().endsWith(".mlir")).sorted().toList()) {
                    if (sub.equals("testdata") && Files.size(f) > 4_000) continue;
                    List<String> chunks = Fuzzer.chunks(Files.readString(f));
                    for (int i = 0; i < chunks.size(); i++) out.add(new Fuzzer.Seed(sub + "/" + f.getFileName() + "#" + i, chunks.get(i)));
                }
            }
        }
        return out;
    }
}
