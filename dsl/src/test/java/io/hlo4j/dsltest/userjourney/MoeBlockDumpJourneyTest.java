package io.hlo4j.dsltest.userjourney;

import static io.hlo4j.dsltest.userjourney.TinyMoeBlock.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link TinyMoeBlock} jit'd, its StableHLO dumped with locations, parsed back with hlo4j's parser and run on the
 * interpreter: the parsed module must give the jit'd results bit for bit, and every op in the dump must point at a
 * line of the block's source. The aux losses, loads and entropy are checked against plain-Java formulas over the
 * router logits the block returns (moe-semantics: z-loss = coef * mean_t logsumexp(l_t)^2; expert choice gives every
 * expert exactly c = ceil(N k / E) tokens).
 */
class MoeBlockDumpJourneyTest {
    static final Path SOURCE = Path.of("src/test/java/io/hlo4j/dsltest/userjourney/TinyMoeBlock.java");

    @Test
    void dumpedModuleReparsesAndRunsBitForBitWithLocationsInTheBlock() throws IOException {
        Map<String, HostArray> params = params(11);
        HostArray x = input(12);
        Jit jit = Jit.jit("moe_block", block());
        Lowered lowered = jit.lower(paramSpecs(), x);
        List<HostArray> want = lowered.compile().call(flatArgs(params, x).toArray(HostArray[]::new));
        @SuppressWarnings("unchecked") List<HostArray> viaCall = (List<HostArray>) jit.call(params, x);
        assertThat(viaCall).as("jit.call and lower().compile().call agree").isEqualTo(want);

        String dump = lowered.asTextWithLocations();
        Module parsed = MlirParser.parseModule(dump, "moe_block.mlir");
        List<HostArray> got = Backend.interpreter().compile(parsed).call(flatArgs(params, x));
        assertThat(got).hasSize(RESULTS.size());
        for (int i = 0; i < want.size(); i++) {
            assertThat(got.get(i).type()).as(RESULTS.get(i)).isEqualTo(want.get(i).type());
            assertThat(got.get(i).firstBitDifference(want.get(i))).as("%s: first differing element", RESULTS.get(i)).isEqualTo(-1);
        }
        assertThat(assertLocationsInBlock(lowered.module(), "forward, as traced", false)).as("ops without a location in the traced module").isZero();
        assertThat(assertLocationsInBlock(parsed, "forward, parsed", false))
                .as("compact reduce bodies without a location (the parser gives them the reduce's)").isZero();

        // --- the numbers against plain Java over the block's own outputs
        double[] out = want.get(0).toDoubleArray(), logits = want.get(4).toDoubleArray();
        int n = B * S;
        double zSum = 0, entropy = 0;
        for (int t = 0; t < n; t++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < E; e++) mx = Math.max(mx, logits[t * E + e]);
            double se = 0;
            for (int e = 0; e < E; e++) se += Math.exp(logits[t * E + e] - mx);
            double lse = mx + Math.log(se);
            zSum += lse * lse;
            for (int e = 0; e < E; e++) {
                double p = Math.exp(logits[t * E + e] - lse);
                entropy -= p * Math.log(p + 1e-8);
            }
        }
        double rzl = RZL * zSum / n;
        assertThat(want.get(3).getDouble(0)).as("router z-loss").isCloseTo(rzl, offset(1e-6 * rzl));
        assertThat(want.get(6).getDouble(0)).as("routing entropy").isCloseTo(entropy / n, offset(1e-5));
        int capacity = (int) Math.ceil(1.0 * n * K / E);
        assertThat(want.get(5).toLongArray()).as("expert-choice loads: each expert takes its %d best tokens", capacity)
                .containsExactly(capacity, capacity, capacity, capacity);
        double meanSq = 0;
        for (double v : out) meanSq += v * v;
        meanSq /= out.length;
        double objective = meanSq + want.get(2).getDouble(0) + rzl;
        assertThat(want.get(1).getDouble(0)).as("objective = mean(out^2) + lbl + rzl").isCloseTo(objective, offset(1e-5 * objective));
        assertThat(want.get(2).getDouble(0)).as("the load-balancing loss is in the objective and not zero").isGreaterThan(0);
    }

    @Test
    void gradientProgramOfTheObjectiveAlsoReparsesBitForBit() throws IOException {
        TracedFunction objective = a -> (Tensor) ((List<?>) block().apply(a)).get(1);
        Jit jit = Jit.jit("moe_block_grad", Grad.valueAndGrad(objective, 0));
        Map<String, HostArray> params = params(11);
        HostArray x = input(12);
        Lowered lowered = jit.lower(paramSpecs(), x);
        List<HostArray> want = lowered.compile().call(flatArgs(params, x).toArray(HostArray[]::new));
        Module parsed = MlirParser.parseModule(lowered.asTextWithLocations(), "moe_block_grad.mlir");
        List<HostArray> got = Backend.interpreter().compile(parsed).call(flatArgs(params, x));
        assertThat(got).hasSize(1 + paramSpecs().size());
        for (int i = 0; i < want.size(); i++) assertThat(got.get(i).firstBitDifference(want.get(i))).as("result %d", i).isEqualTo(-1);
        assertThat(assertLocationsInBlock(lowered.module(), "gradient, as traced", true)).as("ops without a location in the traced module").isZero();
        assertThat(assertLocationsInBlock(parsed, "gradient, parsed", true)).as("compact reduce bodies without a location").isZero();
    }

    /**
     * Every op, nested ones too, is located at a line of TinyMoeBlock's block(), except the module, the
     * function, its return and (for a gradient) grad's seed, which carry the line of this file that lowered it; the MoE call's line holds the most ops.
     * In a parsed module the combiner of a reduce printed in the compact form ({@code applies stablehlo.add}) is not in
     * the text; the parser gives it the reduce's location. Any such body op left without one is counted apart: returns that count.
     */
    static int assertLocationsInBlock(Module module, String what, boolean gradient) throws IOException {
        List<String> lines = Files.readAllLines(SOURCE);
        int blockStart = indexOf(lines, "static TracedFunction block()");
        int first = blockStart + 1, moeLine = indexOf(lines, ".moeCall(") + 1;
        int last = blockStart + indexOf(lines.subList(blockStart, lines.size()), "        };") + 1;
        Map<Integer, Integer> perLine = new TreeMap<>();
        List<String> bad = new ArrayList<>();
        int[] compactBodies = {0};
        Walker.walk(module.op(), op -> {
            // grad's seed cotangent (the constant 1.0) is made where the program is traced, like the function itself
            boolean structural = op.name().equals("builtin.module") || op.name().equals("func.func") || op.name().equals("func.return")
                    || gradient && op.name().equals("stablehlo.constant") && op.location() instanceof Location.FileLineCol f0
                    && f0.file().equals("MoeBlockDumpJourneyTest.java");
            if (op.location() instanceof Location.FileLineCol f && f.file().equals(structural ? "MoeBlockDumpJourneyTest.java" : "TinyMoeBlock.java")) {
                if (structural) return;
                perLine.merge(f.line(), 1, Integer::sum);
                if (f.line() < first || f.line() > last) bad.add(op.name() + " at line " + f.line());
            } else if (op.location() == Location.UNKNOWN && inCompactReduceBody(op)) {
                compactBodies[0]++;
            } else {
                bad.add(op.name() + " at " + op.location().describe());
            }
        });
        assertThat(bad).as("%s ops outside TinyMoeBlock.java:%d-%d", what, first, last).isEmpty();
        int busiest = perLine.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertThat(busiest).as("%s: the line with the most ops (per line: %s)", what, perLine).isEqualTo(moeLine);
        return compactBodies[0];
    }

    /** The op is the combiner or the return of a one-op reduce body (what the compact form prints as its name). */
    static boolean inCompactReduceBody(Operation op) {
        Operation owner = op.parent().parent().parent();
        return owner.name().equals("stablehlo.reduce") && op.parent().operations().size() == 2;
    }

    static int indexOf(List<String> lines, String needle) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(needle)) return i;
        throw new AssertionError(needle + " not in " + SOURCE);
    }
}
