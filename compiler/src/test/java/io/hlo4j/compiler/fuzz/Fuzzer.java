package io.hlo4j.compiler.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs seeded mutants through the {@link Pipeline} on a worker thread with the CLI's 16 MiB stack: mutant {@code i}
 * is made from {@code Random(caseSeed(seed, i))} alone (one or two mutations of one seed module), so any failure is
 * reproduced by its number ({@link io.hlo4j.mlir.testing.CaseSeeds}: {@code seed} and {@code i} mixed by SplitMix64,
 * so different seeds share no case and consecutive cases draw from every seed module). Runs {@code count} mutants; an opt-in {@code budgetMs} (long runs) may stop it sooner, which
 * the result says. A mutant that does not finish within its deadline plus a grace period is a hang: its worker is
 * interrupted, which the interpreter honours (it stops at its next op, inside a long kernel, or in a collective's wait),
 * and must then end within {@link #STOP_MS}; one that does not is a second failure, "unstoppable" (its daemon thread is
 * then left behind). A fresh worker takes the next mutant. Failing mutants are written under {@code target/fuzz-failures/}
 * for a closer look.
 */
final class Fuzzer {
    record Seed(String name, String text) {}

    /**
     * {@code reached}: the last stage of each mutant that ran or was refused only at the end; {@code partitioned}: the
     * mutants whose partitioning finished, whatever came after (the one-device run may still refuse them);
     * {@code ranOnDevices}: those whose partitioned program also ran on its simulated devices, whatever came after (a
     * manual computation's one-device run is refused after it, so {@code reached} cannot count them); {@code cutShort}: the time budget stopped the run before {@code count} mutants.
     */
    record Result(int run, Map<Pipeline.Stage, Integer> reached, int partitioned, int ranOnDevices, int refused, Map<String, Integer> refusedBy,
                  Verdicts.Log failures, boolean cutShort, java.util.Set<String> seedsDrawn) {
        String summary(String what) {
            return what + ": " + run + " mutants" + (cutShort ? " (CUT SHORT by the time budget)" : "") + ", " + refused + " refused by name "
                    + refusedBy + ", reached " + reached + ", partitioned " + partitioned + ", ran on devices " + ranOnDevices + ", " + seedsDrawn.size() + " seed modules drawn, " + failures.bySite.size() + " failure sites "
                    + failures.bySite;
        }
    }

    /**
     * Per-mutant interpreter/partitioner deadline; the worker gets this plus {@link #GRACE_MS} before it counts as a hang.
     * No mutant of the fixed sets meets it on a quiet machine (their summaries list no DeadlineExceeded), so it only
     * bounds real hangs; at 2 s the sharded set's one run on simulated devices met it on a loaded machine and counted as
     * refused, failing the test's check that some mutant runs partitioned.
     */
    static final long DEADLINE_MS = 10_000;
    static final long GRACE_MS = 8_000;
    /** How long an interrupted worker may take to end. */
    static final long STOP_MS = 5_000;

    /** One mutation of a seed's text by kind; every choice from the given Random. */
    interface Mutation {
        String apply(String kind, String text, Random r);
    }

    private final List<Seed> seeds;
    private final long seed;
    private final String[] kinds;
    private final Path failureDir;
    private final Mutation mutation;
    private final boolean requireLocation;

    Fuzzer(List<Seed> seeds, long seed, String[] kinds, String name) { this(seeds, seed, kinds, name, Mutator::mutate, false); }

    /**
     * {@code requireLocation}: a refusal must also say where (a location that is not unknown), as the CLI's one line
     * {@code file:line:col: message} needs; otherwise a refusal by name suffices.
     */
    Fuzzer(List<Seed> seeds, long seed, String[] kinds, String name, Mutation mutation, boolean requireLocation) {
        this.seeds = seeds;
        this.seed = seed;
        this.kinds = kinds;
        this.failureDir = Path.of("target", "fuzz-failures", name);
        this.mutation = mutation;
        this.requireLocation = requireLocation;
    }

    /**
     * One case for the pipeline: its text, the seed module it came from, how it was made, and the seed the pipeline
     * draws the run's made-up inputs from.
     */
    record Case(String text, String seedName, String how, long inputSeed) {}

    /** Mutant {@code i}: its text, and which seed and kinds made it. */
    Case mutant(int i) {
        Random r = new Random(caseSeed(seed, i));
        Seed s = seeds.get(r.nextInt(seeds.size()));
        String kind = kinds[r.nextInt(kinds.length)];
        String text = mutation.apply(kind, s.text(), r);
        String how = kind;
        if (r.nextInt(4) == 0 && !huge(kind)) {
            String second = kinds[r.nextInt(kinds.length)];
            if (!huge(second)) {
                text = mutation.apply(second, text, r);
                how += "+" + second;
            }
        }
        return new Case(text, s.name(), how, caseSeed(seed, i));
    }

    /** Kinds that make texts of 10^5 characters and more: never combined with a second kind, whose regular expressions would crawl. */
    private static boolean huge(String kind) { return kind.equals("nest") || kind.equals("deepnest") || kind.equals("longid"); }

    /** The seed of case {@code i} ({@link io.hlo4j.mlir.testing.CaseSeeds}). */
    static long caseSeed(long seed, int i) { return io.hlo4j.mlir.testing.CaseSeeds.of(seed, i); }

    Result run(int count, long budgetMs) { return run(count, budgetMs, this::mutant); }

    /** Runs cases {@code 0 .. count-1} of {@code cases} (mutants, or any other texts), judged and timed as mutants are. */
    Result run(int count, long budgetMs, java.util.function.IntFunction<Case> cases) {
        long start = System.nanoTime(); // budgetMs <= 0: no budget, all count mutants run
        long budgetNanos = budgetMs <= 0 ? Long.MAX_VALUE : Math.multiplyExact(budgetMs, 1_000_000L);
        Map<Pipeline.Stage, Integer> reached = new EnumMap<>(Pipeline.Stage.class);
        Verdicts.Log log = new Verdicts.Log();
        Map<String, Integer> refusedBy = new java.util.TreeMap<>();
        java.util.Set<String> seedsDrawn = new java.util.TreeSet<>();
        int refused = 0, run = 0, partitioned = 0, ranOnDevices = 0;
        ExecutorService worker = newWorker();
        try {
            for (int i = 0; i < count && System.nanoTime() - start < budgetNanos; i++, run++) {
                Case m = cases.apply(i);
                String text = m.text();
                seedsDrawn.add(m.seedName());
                long deadline = System.nanoTime() + DEADLINE_MS * 1_000_000L;
                long inputSeed = m.inputSeed();
                Pipeline.Progress progress = new Pipeline.Progress();
                Future<Pipeline.Stage> f = worker.submit(() -> Pipeline.run(text, deadline, inputSeed, progress));
                String where = "mutant " + i + " (" + m.how() + " of " + m.seedName() + ", Random(" + inputSeed + "))";
                try {
                    reached.merge(f.get(DEADLINE_MS + GRACE_MS, TimeUnit.MILLISECONDS), 1, Integer::sum);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    worker.shutdownNow();
                    if (!stopped(worker)) record(log, "unstoppable", where + ": still running " + STOP_MS + " ms after its interrupt", text, i);
                    worker = newWorker();
                    record(log, "hang", where + ": no result within " + (DEADLINE_MS + GRACE_MS) + " ms", text, i);
                } catch (ExecutionException e) {
                    String why = Verdicts.judge(e.getCause());
                    if (why == null && requireLocation) why = Verdicts.unlocated(e.getCause());
                    if (why == null) {
                        refused++;
                        refusedBy.merge(e.getCause().getClass().getSimpleName(), 1, Integer::sum);
                        if (Boolean.getBoolean("hlo4j.fuzz.verbose")) System.out.println(where + ": " + Verdicts.firstLine(e.getCause().toString()));
                    }
                    else record(log, site(e.getCause()), where + ": " + why, text, i);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                Pipeline.Stage furthest = progress.furthest;
                if (furthest != null && furthest.compareTo(Pipeline.Stage.PARTITIONED) >= 0) partitioned++;
                if (furthest == Pipeline.Stage.RAN_SPMD) ranOnDevices++;
            }
        } finally {
            worker.shutdownNow();
        }
        return new Result(run, reached, partitioned, ranOnDevices, refused, refusedBy, log, run < count, seedsDrawn);
    }

    /** Whether the interrupted worker ended within {@link #STOP_MS}. */
    private static boolean stopped(ExecutorService worker) {
        try {
            return worker.awaitTermination(STOP_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void record(Verdicts.Log log, String site, String line, String text, int i) {
        log.add(site, line);
        try {
            Files.createDirectories(failureDir);
            Files.writeString(failureDir.resolve(i + ".mlir"), "// " + line.replace('\n', ' ') + "\n" + text);
        } catch (IOException ignored) {
            // the failure is reported in the assertion either way
        }
    }

    /** The crash's innermost cause and its first frame: one site per bug, however many mutants reach it. */
    private static String site(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        StackTraceElement[] st = c.getStackTrace();
        return c.getClass().getSimpleName() + (st.length > 0 ? "@" + st[0].getClassName() + "." + st[0].getMethodName() + ":" + st[0].getLineNumber() : "");
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "pipeline-fuzz", 16L << 20); // ./hlo4j runs with -Xss16m
            t.setDaemon(true);
            return t;
        });
    }

    /** Splits a conformance-style file at its {@code // -----} markers, so each seed is one module. */
    static List<String> chunks(String text) {
        List<String> out = new ArrayList<>();
        for (String c : text.split("(?m)^// -----\\s*$")) if (c.contains("func.func")) out.add(c);
        return out;
    }
}
