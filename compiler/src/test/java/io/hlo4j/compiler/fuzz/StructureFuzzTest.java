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
     * Truncation at every token boundary (not a random one) of a few small modules, in their own and the generic form:
     * each prefix through the whole pipeline under the fuzzer's deadline, judged as the mutants are. Most prefixes are
     * refused by the parser; those that end after a complete function run.
     */
    @Test
    void everyTruncationOfSmallModulesRunsOrIsRefusedAtALocation() throws Exception {
        List<Fuzzer.Seed> seeds = new ArrayList<>();
        for (Fuzzer.Seed s : seeds()) {
            if (List.of("docs/examples/add.mlir#0", "docs/examples/sharded.mlir#0", "interpret/while.mlir#0", "interpret/reduce.mlir#0")
                    .contains(s.name().replace(" (generic)", ""))) seeds.add(s);
        }
        assertThat(seeds).hasSize(8);
        java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
        List<String> failures = new ArrayList<>();
        java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "truncation-fuzz", 16L << 20);
            t.setDaemon(true);
            return t;
        });
        try {
            for (Fuzzer.Seed s : seeds) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\S+").matcher(s.text());
                java.util.SortedSet<Integer> cuts = new java.util.TreeSet<>();
                while (m.find()) { cuts.add(m.start()); cuts.add(m.end()); }
                for (int cut : cuts) {
                    String text = s.text().substring(0, cut);
                    long deadline = System.nanoTime() + Fuzzer.DEADLINE_MS * 1_000_000L;
                    var f = worker.submit(() -> Pipeline.run(text, deadline, cut));
                    String where = s.name() + " cut at " + cut;
                    try {
                        outcomes.merge(f.get(Fuzzer.DEADLINE_MS + Fuzzer.GRACE_MS, java.util.concurrent.TimeUnit.MILLISECONDS).name(), 1, Integer::sum);
                    } catch (java.util.concurrent.ExecutionException e) {
                        String why = Verdicts.judge(e.getCause());
                        if (why == null) why = Verdicts.unlocated(e.getCause());
                        if (why != null) failures.add(where + ": " + why);
                        else outcomes.merge(e.getCause().getClass().getSimpleName(), 1, Integer::sum);
                    } catch (java.util.concurrent.TimeoutException e) {
                        failures.add(where + ": no result within " + (Fuzzer.DEADLINE_MS + Fuzzer.GRACE_MS) + " ms");
                        break;
                    }
                }
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.println("truncation at every token boundary of " + seeds.size() + " modules: " + outcomes);
        assertThat(failures).isEmpty();
        assertThat(outcomes.getOrDefault("ParseException", 0)).isGreaterThan(500);
        assertThat(outcomes.getOrDefault("INTERPRETED", 0) + outcomes.getOrDefault("RAN_SPMD", 0)).isPositive();
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
