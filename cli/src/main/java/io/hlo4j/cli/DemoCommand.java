package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * {@code hlo4j demo}: parses, verifies and summarises a hand-written StableHLO program shipped with hlo4j, a
 * Mixtral-style top-2 MoE block (router + SwiGLU experts), then runs it on the interpreter with seeded inputs
 * and checks the result against {@link MoeReference}.
 */
@Command(name = "demo",
        description = {"Parse, verify, summarise and run a bundled StableHLO program (a MoE block).",
                "The program is a Mixtral-style MoE block written by hand: a top-2 router and SwiGLU expert FFNs",
                "(8 tokens, hidden 16, 4 experts, FFN 32). It runs on the pure-Java interpreter with seeded inputs,",
                "and the result is checked against a plain-Java reference of the same block (exit 1 if they differ)."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j demo", "  hlo4j demo --no-run", "  hlo4j demo --print > moe_block.mlir"})
final class DemoCommand extends CliCommand {
    /** Where the program lives on the class path; also the file name its diagnostics carry. */
    static final String RESOURCE = "demo/moe_block.mlir";

    @Option(names = "--print", description = "Print the whole program (as hlo4j prints it) instead of the summary.")
    boolean print;

    @Option(names = "--no-run", description = "Only parse, verify and summarise; do not run the block on the interpreter.")
    boolean noRun;

    /** Seed of the demo's inputs; fixed so every machine prints the same numbers. */
    static final long SEED = 42;
    /** Largest |interpreter - reference| accepted: f32 arithmetic against a double-precision reference. */
    static final double TOLERANCE = 1e-4;

    @Override public Integer call() {
        Module module = MlirParser.parseModule(source(), RESOURCE);
        ModuleVerifier.verify(module);
        if (print) {
            out().print(MlirPrinter.print(module, PrintOptions.DEFAULT));
            out().flush();
            return Main.OK;
        }
        out().println("hlo4j demo: Mixtral-style top-2 MoE block (" + RESOURCE + "), parsed and verified");
        out().print(ModuleSummary.of(module).format());
        int code = noRun ? Main.OK : run(module);
        out().println("see the program: hlo4j demo --print");
        out().flush();
        return code;
    }

    /** Runs @main on the interpreter with seeded inputs and checks it against {@link MoeReference}. */
    private int run(Module module) {
        MoeReference.Inputs in = MoeReference.inputs(SEED);
        List<HostArray> args = List.of(
                f32(in.x(), MoeReference.TOKENS, MoeReference.HIDDEN),
                f32(in.router(), MoeReference.HIDDEN, MoeReference.EXPERTS),
                f32(in.w1(), MoeReference.EXPERTS, MoeReference.HIDDEN, MoeReference.FFN),
                f32(in.w3(), MoeReference.EXPERTS, MoeReference.HIDDEN, MoeReference.FFN),
                f32(in.w2(), MoeReference.EXPERTS, MoeReference.FFN, MoeReference.HIDDEN));
        long t0 = System.nanoTime();
        List<HostArray> results = new Interpreter(module).runHost(null, args);
        double ms = (System.nanoTime() - t0) / 1e6;
        MoeReference.Outputs ref = MoeReference.compute(in);
        double[] y = results.get(0).toDoubleArray();
        double[] logits = results.get(1).toDoubleArray();

        out().printf(Locale.ROOT, "ran @main on the interpreter with seeded inputs (seed %d) in %.1f ms%n", SEED, ms);
        out().println("  token  experts  gates          (checked against a plain-Java Mixtral reference)");
        boolean routingAgrees = true;
        for (int t = 0; t < MoeReference.TOKENS; t++) {
            int[] mine = top2(logits, t);
            routingAgrees &= mine[0] == ref.experts()[t][0] && mine[1] == ref.experts()[t][1];
            out().printf(Locale.ROOT, "  %5d  %3d %3d  %.4f %.4f%n", t, mine[0], mine[1], ref.gates()[t][0], ref.gates()[t][1]);
        }
        double yErr = maxAbsDiff(y, ref.y());
        double logitErr = maxAbsDiff(logits, ref.logits());
        out().printf(Locale.ROOT, "  max |interpreter - reference|: output %.2e, logits %.2e (limit %.0e)%n", yErr, logitErr, TOLERANCE);
        if (!routingAgrees || !(yErr <= TOLERANCE) || !(logitErr <= TOLERANCE)) {
            out().flush();
            err().println("hlo4j: demo: the interpreter disagrees with the reference ("
                    + (routingAgrees ? "" : "routing differs; ") + "output error " + yErr + ", logits error " + logitErr + ")");
            return Main.FAILED;
        }
        return Main.OK;
    }

    /** The two largest logits of token t, the lower index first on a tie, as the program's routing picks them. */
    static int[] top2(double[] logits, int t) {
        int e = MoeReference.EXPERTS;
        int first = 0;
        for (int i = 1; i < e; i++) if (logits[t * e + i] > logits[t * e + first]) first = i;
        int second = first == 0 ? 1 : 0;
        for (int i = 0; i < e; i++) if (i != first && logits[t * e + i] > logits[t * e + second]) second = i;
        return new int[] {first, second};
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalStateException("sizes differ: " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    private static HostArray f32(float[] values, long... shape) {
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), values);
    }

    static String source() {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + RESOURCE + " is missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
