package io.hlo4j.compiler.fuzz;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Structural mutants ({@link io.hlo4j.mlir.testing.StructureMutator}: attributes of the wrong kind, dropped or unknown; operand, result and
 * block-argument counts that disagree; recursive and missing callees; unbalanced quotes and bad escapes; million-character
 * names; nesting 10^5 deep; dynamic, zero, re-ranked and unknown types; dense literals that disagree with their type;
 * bogus numbers) of the docs' example modules and StableHLO's {@code interpret/} files, each in its own text and in the
 * generic op form hlo4j prints for it, through the whole {@link Pipeline} (parse, verify, print and parse again, cost,
 * the interpreter under a deadline, and for sharded modules partitioning and the run on simulated devices). Each must
 * succeed or be refused by an hlo4j error that names a location; never another exception, a hang, or an out-of-memory.
 *
 * <p>{@value #DEFAULT_MUTANTS} mutants by default (seconds); more with {@code -Dhlo4j.fuzz.structure.mutants=N}, others
 * with {@code -Dhlo4j.fuzz.structure.seed=S}. A failure names the mutant's number and seed and is written under
 * {@code target/fuzz-failures/structure/}.
 */
class StructureFuzzTest {
    static final int DEFAULT_MUTANTS = 300;
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.structure.mutants", DEFAULT_MUTANTS);
    static final long SEED = Long.getLong("hlo4j.fuzz.structure.seed", 0x57C0_0000L);
    static final long BUDGET_MS = Long.getLong("hlo4j.fuzz.budget.ms", 0);

    @Test
    void structuralMutantsRunOrAreRefusedAtALocation() throws IOException {
        List<Fuzzer.Seed> seeds = seeds();
        assertThat(seeds).hasSizeGreaterThan(200);
        Fuzzer.Result r = new Fuzzer(seeds, SEED, io.hlo4j.mlir.testing.StructureMutator.KINDS, "structure", io.hlo4j.mlir.testing.StructureMutator::mutate, true).run(MUTANTS, BUDGET_MS);
        System.out.println(r.summary("structure fuzz over " + seeds.size() + " modules (seed " + SEED + ")"));
        assertThat(r.failures().lines).as(r.summary("failures")).isEmpty();
        if (BUDGET_MS <= 0) assertThat(r.run()).isEqualTo(MUTANTS);
        assertThat(r.refused()).isGreaterThan(r.run() / 3);
        assertThat(r.reached().getOrDefault(Pipeline.Stage.INTERPRETED, 0)).isGreaterThan(r.run() / 50);
        assertThat(r.seedsDrawn()).as("mutants come from many seed modules").hasSizeGreaterThan(Math.min(r.run(), seeds.size()) / 3);
    }

    /**
     * Truncation at every token boundary ({@link io.hlo4j.mlir.testing.StructureMutator#tokens}: each token's start and
     * end, so {@code %0 = stablehlo.add} is also cut between {@code %0} and {@code =} and inside {@code tensor<2xf32>})
     * of a few small modules, in their own and the generic form: each prefix through {@link Fuzzer#run}, judged, timed
     * and (on a hang) its worker replaced as the mutants are. Most prefixes are refused by the parser; those that end
     * after a complete function run.
     */
    @Test
    void everyTruncationOfSmallModulesRunsOrIsRefusedAtALocation() throws Exception {
        List<Fuzzer.Case> cases = new ArrayList<>();
        int modules = 0;
        for (Fuzzer.Seed s : seeds()) {
            if (!List.of("docs/examples/add.mlir#0", "docs/examples/sharded.mlir#0", "interpret/while.mlir#0", "interpret/reduce.mlir#0")
                    .contains(s.name().replace(" (generic)", ""))) continue;
            modules++;
            java.util.SortedSet<Integer> cuts = new java.util.TreeSet<>();
            for (int[] t : io.hlo4j.mlir.testing.StructureMutator.tokens(s.text())) { cuts.add(t[0]); cuts.add(t[1]); }
            for (int cut : cuts) cases.add(new Fuzzer.Case(s.text().substring(0, cut), s.name(), "cut at " + cut, cut));
        }
        assertThat(modules).isEqualTo(8);
        Fuzzer.Result r = new Fuzzer(List.of(), SEED, new String[0], "structure-truncation", (k, t, rnd) -> t, true)
                .run(cases.size(), 0, cases::get);
        System.out.println(r.summary("truncation at every token boundary of " + modules + " modules"));
        assertThat(r.failures().lines).as(r.summary("failures")).isEmpty();
        assertThat(r.run()).isEqualTo(cases.size());
        assertThat(r.refusedBy().getOrDefault("ParseException", 0)).isGreaterThan(500);
        assertThat(r.reached().getOrDefault(Pipeline.Stage.INTERPRETED, 0) + r.reached().getOrDefault(Pipeline.Stage.RAN_SPMD, 0)).isPositive();
    }

    /** The docs' examples and the interpret/ files, each also in the generic form hlo4j prints for it. */
    static List<Fuzzer.Seed> seeds() throws IOException {
        List<Fuzzer.Seed> pretty = new ArrayList<>(TokenFuzzTest.exampleSeeds());
        pretty.addAll(TokenFuzzTest.interpretSeeds());
        List<Fuzzer.Seed> out = new ArrayList<>(pretty);
        for (Fuzzer.Seed s : pretty) {
            StringBuilder generic = new StringBuilder();
            try {
                for (Module m : MlirParser.parseSplit(s.text(), s.name())) generic.append(MlirPrinter.print(m, PrintOptions.GENERIC)).append('\n');
            } catch (RuntimeException e) { // a seed that is itself an error example (docs/examples/bad.mlir): its own text only
                continue;
            }
            out.add(new Fuzzer.Seed(s.name() + " (generic)", generic.toString()));
        }
        return out;
    }
}
