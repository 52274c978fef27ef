package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.Spmd;
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
 * every result must equal it (bit for bit in the exact mode, within 1e-4 of the largest value in the f32 mode), and
 * every device must hold exactly its block of the expected result under the result's sharding ({@link BlockOracle},
 * so replicas agree). Closed dimensions of declared argument and result shardings must be kept. A program with an
 * axis on a dimension it does not divide must be refused naming divisibility (never padded, docs/sharding.md).
 * A program that partitions or runs past a deadline fails. Case i of a test is {@code generate(CaseSeeds.of(seed, i))};
 * a failure prints the case, its seed, the program and a smaller one that fails the same way ({@link Minimiser}), and
 * writes them to {@code compiler/target/spmd-fuzz-failures/}. Longer: {@code -Dspmdfuzz.count=5000},
 * {@code -Dspmdfuzz.seed=S}.
 */
class SpmdDifferentialFuzzTest {
    static final long SEED = Long.getLong("spmdfuzz.seed", 20261130L);
    static final int COUNT = Integer.getInteger("spmdfuzz.count", 400);
    /** Seconds one program may take to partition and run (they take milliseconds). */
    static final long DEADLINE_S = Long.getLong("spmdfuzz.deadline.s", 60);

    @Test
    void exactProgramsMatchTheUnpartitionedRunBitForBit() { fuzz(COUNT, true); }

    @Test
    void f32ProgramsMatchTheUnpartitionedRunWithinTolerance() { fuzz(Math.max(1, COUNT / 3), false); }

    private static void fuzz(int count, boolean exact) {
        List<String> failures = new ArrayList<>();
        int refused = 0, moved = 0;
        for (int i = 0; i < count; i++) {
            long seed = CaseSeeds.of(exact ? SEED : ~SEED, i);
            ProgramGen.Program p = ProgramGen.generate(seed, exact);
            try {
                int collectives = check(p, seed);
                if (collectives < 0) refused++;
                if (collectives > 0) moved++;
            } catch (AssertionError | RuntimeException e) {
                String what = (exact ? "exact" : "f32") + " case " + i + " (ProgramGen.generate(" + seed + "L, " + exact + ")): " + e;
                ProgramGen.Program small = Minimiser.minimise(p, c -> fails(c, seed, e.getClass()));
                String text = p.text() + "\n// minimised (" + small.body().size() + " of " + p.body().size() + " ops):\n" + small.text();
                failures.add(what + "\n" + text);
                save(exact, i, what, text);
            }
        }
        System.out.printf("SpmdDifferentialFuzzTest %s: %d programs (seed %d), %d refused as documented, %d ran collectives, %d failed%n",
                exact ? "exact" : "f32", count, SEED, refused, moved, failures.size());
        assertThat(failures).as("%d of %d programs failed (%d refused as documented); the first:\n%s", failures.size(), count, refused,
                failures.isEmpty() ? "" : failures.getFirst()).isEmpty();
        assertThat(refused).as("most programs run").isLessThan(count / 4 + 1);
        // not a fuzz of replicated programs: many move data between devices
        assertThat(moved).as("programs whose partitioned run executed a collective").isGreaterThan(count / 3);
    }

    /** Whether the program fails the same way (the same exception class), for the minimiser. */
    private static boolean fails(ProgramGen.Program p, long seed, Class<?> how) {
        try {
            check(p, seed);
            return false;
        } catch (AssertionError | RuntimeException e) {
            return e.getClass() == how;
        }
    }

    /** Checks one program; returns the number of collectives its run executed, -1 when it was refused as documented. */
    static int check(ProgramGen.Program p, long seed) {
        Module global = MlirParser.parseModule(p.text(), "fuzz.mlir");
        ModuleVerifier.verify(global);
        List<HostArray> inputs = inputs(p, new Random(seed ^ 0x5DEECE66DL));
        List<HostArray> expected = new Interpreter(global).runHost("main", inputs);
        // never a hang: partitioning and the run each stop at the deadline, naming where (a failure of the case)
        long deadline = System.nanoTime() + DEADLINE_S * 1_000_000_000L;
        PartitionedProgram pp;
        try {
            pp = PartitionDeadline.within(deadline, () -> Spmd.explicit(global));
        } catch (Hlo4jException e) {
            String m = e.getMessage();
            if (p.nonDividing() && m.contains("divisible")) {
                // refused by name at a line of fuzz.mlir (the annotation's op or argument)
                assertThat(e.location()).as("the refusal's location: %s", m).isNotEqualTo(io.hlo4j.mlir.ir.Location.UNKNOWN);
                return -1;
            }
            throw new AssertionError("the pipeline refused: " + m, e);
        }
        assertThat(p.nonDividing()).as("a sharding whose axes do not divide a dimension is accepted (not refused): %s", pp.argShardings()).isFalse();
        keepsClosedDims("argument", p.argShardings(), pp.argShardings());
        keepsClosedDims("result", p.resultShardings(), pp.resultShardings());
        SpmdRun run = SpmdRunner.run(pp.module(), pp.meshes(), inputs, pp.argShardings(), pp.resultShardings(), pp.resultTypes(), deadline);
        for (int r = 0; r < expected.size(); r++) {
            same(p.exact(), expected.get(r), run.results().get(r), "result #" + r);
            for (int d = 0; d < pp.devices(); d++) {
                HostArray want = BlockOracle.block(expected.get(r), pp.meshes().get(pp.resultShardings().get(r).meshName()),
                        pp.resultShardings().get(r), d);
                same(p.exact(), want, run.deviceResults().get(d).get(r), "device " + d + "'s block of result #" + r + " under "
                        + pp.resultShardings().get(r));
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
                if (!d.isOpen(k)) {
                    assertThat(got.get(i).axesOfDim(k)).as("%s %d dimension %d declared %s, partitioned as %s", what, i, k, d, got.get(i))
                            .isEqualTo(d.axesOfDim(k));
                }
            }
        }
    }

    static void same(boolean exact, HostArray want, HostArray got, String what) {
        assertThat(got.type()).as(what).isEqualTo(want.type());
        double scale = 0;
        for (int i = 0; i < want.size(); i++) if (Double.isFinite(want.getDouble(i))) scale = Math.max(scale, Math.abs(want.getDouble(i)));
        // integer-valued f32 sums are exact below 2^24 only: beyond, the order of a sum matters
        boolean bits = exact && scale < (1 << 24);
        for (int i = 0; i < want.size(); i++) {
            if (want.getBits(i) == got.getBits(i)) continue;
            double e = want.getDouble(i), g = got.getDouble(i);
            boolean ok = !bits && (Double.compare(e, g) == 0 || Math.abs(e - g) <= 1e-4 * Math.max(scale, 1e-3));
            if (!ok) throw new AssertionError(what + " element " + i + ": expected " + e + " got " + g + " (" + want.type() + ")");
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

    private static void save(boolean exact, int i, String what, String text) {
        try {
            Path dir = Path.of("target", "spmd-fuzz-failures");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve((exact ? "exact-" : "f32-") + i + ".mlir"), "// " + what.replace("\n", "\n// ") + "\n" + text);
        } catch (java.io.IOException ignored) {
            // the failure is reported by the assertion anyway
        }
    }
}
