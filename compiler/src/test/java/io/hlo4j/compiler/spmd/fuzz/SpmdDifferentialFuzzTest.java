package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.fuzz.FuzzOracle.Failure;
import io.hlo4j.compiler.spmd.fuzz.FuzzOracle.Kind;
import io.hlo4j.compiler.spmd.partition.PartitionDeadline;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.CaseSeeds;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Differential fuzz of the whole SPMD pipeline ({@link ProgramGen}: random programs with random shardings on random
 * meshes): the unpartitioned program on the interpreter is the oracle; the program goes through the path
 * {@code run --spmd} takes ({@code Spmd.explicit}, then {@code SpmdRunner.run} on the mesh's simulated devices) and
 * every result must equal it ({@link FuzzOracle#same}: bit for bit in the exact mode and for i32, each f32 element
 * within 1e-4 of its magnitude otherwise), and every device must hold exactly its block of the expected result under
 * the result's sharding ({@link BlockOracle}, so replicas agree). Closed dimensions of declared argument and result
 * shardings must be kept. A program whose own annotation puts an axis on a dimension it does not divide must be refused
 * naming divisibility at that annotation's line (never padded, docs/sharding.md). A program that partitions or runs
 * past a deadline fails. Case i of a test is {@code generate(CaseSeeds.of(seed, i))}; a failure (whatever was thrown)
 * prints the case, its seed and the program, the first {@value #MINIMISED} also a smaller one that fails the same way
 * ({@link Minimiser}), and writes them to {@code compiler/target/spmd-fuzz-failures/}. Longer:
 * {@code -Dspmdfuzz.count=5000} (exact programs), {@code -Dspmdfuzz.f32count=N} (f32 programs, count/3 unless given),
 * {@code -Dspmdfuzz.seed=S}; an op family more or less often: {@code -Dspmdfuzz.weight.<family>=N} ({@link ProgramGen.Family},
 * the defaults sum to 36; 0 leaves a family out), e.g. {@code -Dspmdfuzz.weight.base=3 -Dspmdfuzz.weight.manual=30}.
 * A program with a manual computation is checked against its {@link ProgramGen.Program#oracleText global form}.
 */
class SpmdDifferentialFuzzTest {
    static final long SEED = Long.getLong("spmdfuzz.seed", 20261130L);
    static final int COUNT = Integer.getInteger("spmdfuzz.count", 400);
    static final int F32_COUNT = Integer.getInteger("spmdfuzz.f32count", Math.max(1, COUNT / 3));
    /** Seconds one program may take to partition and run (they take milliseconds). */
    static final long DEADLINE_S = Long.getLong("spmdfuzz.deadline.s", 60);
    /** Failures that are minimised (each a few hundred checks); the others are printed as they are. */
    static final int MINIMISED = 3;
    static final Path FAILURES = Path.of("target", "spmd-fuzz-failures");

    @Test
    void exactProgramsMatchTheUnpartitionedRunBitForBit() { assertRun(COUNT, true); }

    @Test
    void f32ProgramsMatchTheUnpartitionedRunWithinTolerance() { assertRun(F32_COUNT, false); }

    /** What a run of the fuzz saw: the failures (a one-line header and the program text each), refusals, runs with collectives. */
    record Outcome(List<String> headers, List<String> texts, int refused, int moved) {}

    /** Checks one program: the number of collectives its run executed, -1 when it was refused as documented. */
    interface Checker {
        int check(ProgramGen.Program p, long seed);
    }

    private static void assertRun(int count, boolean exact) {
        Outcome o = fuzz(count, exact, SpmdDifferentialFuzzTest::check, FAILURES);
        System.out.printf("SpmdDifferentialFuzzTest %s: %d programs (seed %d), %d refused as documented, %d ran collectives, %d failed%n",
                exact ? "exact" : "f32", count, SEED, o.refused(), o.moved(), o.headers().size());
        assertThat(o.headers().size()).as("%d of %d programs failed (%d refused as documented); the first:\n%s\n%s", o.headers().size(), count,
                o.refused(), o.headers().isEmpty() ? "" : o.headers().getFirst() + "\n" + o.texts().getFirst(),
                o.headers().size() < 2 ? "" : "the others:\n" + String.join("\n", o.headers().subList(1, Math.min(o.headers().size(), 20)))).isZero();
        assertThat(o.refused()).as("most programs run").isLessThan(count / 4 + 1);
        // not a fuzz of replicated programs: many move data between devices
        assertThat(o.moved()).as("programs whose partitioned run executed a collective").isGreaterThan(count / 3);
    }

    /**
     * Runs {@code count} cases through {@code checker}; whatever a case throws is recorded in the outcome and in
     * {@code dir} (a StackOverflowError too), an OutOfMemoryError in {@code dir} and then rethrown (the JVM may not be
     * fit to go on).
     */
    static Outcome fuzz(int count, boolean exact, Checker checker, Path dir) {
        List<String> headers = new ArrayList<>(), texts = new ArrayList<>();
        int refused = 0, moved = 0;
        for (int i = 0; i < count; i++) {
            long seed = CaseSeeds.of(exact ? SEED : ~SEED, i);
            ProgramGen gen = new ProgramGen(new Random(seed), exact);
            ProgramGen.Program p = gen.program();
            try {
                int found = FuzzOracle.nonDividing(p).size();
                if (found != gen.sh.nonDividing) {
                    throw new AssertionError("the generator drew " + gen.sh.nonDividing + " shardings that do not divide, the oracle finds " + found);
                }
                int collectives = checker.check(p, seed);
                if (collectives < 0) refused++;
                if (collectives > 0) moved++;
            } catch (Throwable t) {
                String what = (exact ? "exact" : "f32") + " case " + i + " (ProgramGen.generate(" + seed + "L, " + exact + "), families " + gen.drawn + "): " + t;
                if (t instanceof OutOfMemoryError oom) {
                    save(dir, exact, i, what, p.text());
                    System.err.println("SpmdDifferentialFuzzTest: " + what);
                    throw oom;
                }
                String text = p.text();
                if (!text.equals(p.oracleText())) text += "\n// the oracle's program (manual computations on global values):\n" + p.oracleText();
                if (headers.size() < MINIMISED) {
                    String kind = FuzzOracle.kindOf(t);
                    ProgramGen.Program small = Minimiser.minimise(p, c -> kind.equals(failure(checker, c, seed)));
                    text += "\n// minimised (" + small.body().size() + " of " + p.body().size() + " ops):\n" + small.text();
                }
                headers.add(what);
                texts.add(text);
                save(dir, exact, i, what, text);
            }
        }
        return new Outcome(headers, texts, refused, moved);
    }

    /** How {@code p} fails ({@link FuzzOracle#kindOf}), null when it passes. */
    static String failure(Checker checker, ProgramGen.Program p, long seed) {
        try {
            checker.check(p, seed);
            return null;
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable t) {
            return FuzzOracle.kindOf(t);
        }
    }

    static int check(ProgramGen.Program p, long seed) {
        Module global = MlirParser.parseModule(p.text(), "fuzz.mlir");
        ModuleVerifier.verify(global);
        List<FuzzOracle.NonDividing> bad = FuzzOracle.nonDividing(p);
        List<HostArray> inputs = inputs(p, new Random(seed ^ 0x5DEECE66DL));
        // the oracle: the program as written, or, where it holds a manual computation, that computation on global values
        Module unpartitioned = p.text().equals(p.oracleText()) ? global : MlirParser.parseModule(p.oracleText(), "fuzz-global.mlir");
        List<HostArray> expected = new Interpreter(unpartitioned).runHost("main", inputs);
        // never a hang: partitioning and the run each stop at the deadline, naming where (a failure of the case)
        long deadline = System.nanoTime() + DEADLINE_S * 1_000_000_000L;
        PartitionedProgram pp;
        try {
            pp = PartitionDeadline.within(deadline, () -> Spmd.explicit(global));
        } catch (Hlo4jException e) {
            if (bad.isEmpty()) throw new Failure(Kind.REFUSED, "the pipeline refused: " + e.getMessage(), e);
            FuzzOracle.refusedAtOneOf(bad, e);
            return -1;
        }
        if (!bad.isEmpty()) throw new Failure(Kind.ACCEPTED, "shardings that do not divide their dimensions were accepted: " + bad
                + ", partitioned arguments " + pp.argShardings());
        keepsClosedDims("argument", p.argShardings(), pp.argShardings());
        keepsClosedDims("result", p.resultShardings(), pp.resultShardings());
        SpmdRun run = SpmdRunner.run(pp.module(), pp.meshes(), inputs, pp.argShardings(), pp.resultShardings(), pp.resultTypes(), deadline);
        for (int r = 0; r < expected.size(); r++) {
            FuzzOracle.same(p.exact(), expected.get(r), run.results().get(r), "result #" + r, Kind.WRONG_VALUE);
            for (int d = 0; d < pp.devices(); d++) {
                HostArray want = BlockOracle.block(expected.get(r), pp.meshes().get(pp.resultShardings().get(r).meshName()),
                        pp.resultShardings().get(r), d);
                FuzzOracle.same(p.exact(), want, run.deviceResults().get(d).get(r), "device " + d + "'s block of result #" + r + " under "
                        + pp.resultShardings().get(r), Kind.WRONG_BLOCK);
            }
        }
        return run.log().size();
    }

    /** A declared sharding's closed dimensions keep their axes through propagation. */
    private static void keepsClosedDims(String what, List<String> declared, List<TensorSharding> got) {
        for (int i = 0; i < declared.size(); i++) {
            if (declared.get(i) == null) continue;
            TensorSharding d = (TensorSharding) MlirParser.parseAttribute("#sdy.sharding" + declared.get(i));
            for (int k = 0; k < d.rank(); k++) {
                if (!d.isOpen(k) && !got.get(i).axesOfDim(k).equals(d.axesOfDim(k))) {
                    throw new Failure(Kind.CLOSED_DIM_CHANGED, what + " " + i + " dimension " + k + " declared " + d + ", partitioned as " + got.get(i));
                }
            }
        }
    }

    /** Integer values in [-3, 3] in the exact mode, else uniform in [-1, 1]. */
    static List<HostArray> inputs(ProgramGen.Program p, Random rnd) {
        List<HostArray> out = new ArrayList<>();
        for (ProgramGen.Val a : p.args()) {
            TensorType t = (TensorType) MlirParser.parseType(a.type());
            int n = (int) a.elements();
            if (a.et().equals("i32")) {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) v[i] = rnd.nextInt(7) - 3;
                out.add(HostArray.fromLongs(t, v));
            } else {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) v[i] = p.exact() ? rnd.nextInt(7) - 3 : rnd.nextDouble() * 2 - 1;
                out.add(HostArray.fromDoubles(t, v));
            }
        }
        return out;
    }

    private static void save(Path dir, boolean exact, int i, String what, String text) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve((exact ? "exact-" : "f32-") + i + ".mlir"), "// " + what.replace("\n", "\n// ") + "\n" + text);
        } catch (java.io.IOException ignored) {
            // the failure is reported by the assertion anyway
        }
    }
}
