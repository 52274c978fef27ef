package io.hlo4j.compiler.ad.fuzz;

import io.hlo4j.compiler.ad.Autodiff;
import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Program;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionDeadline;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sharded mode of the autodiff fuzz: the backward program of a generated program becomes {@code @main} of a module
 * on a mesh of 2 devices, with {@code sdy.sharding} on its arguments (dim 0 split over "x" where it is even, else
 * replicated), goes through the path {@code run --spmd} takes ({@code Spmd.explicit}, then {@code SpmdRunner.run} on
 * simulated devices), and every result must equal the unpartitioned backward program's on the interpreter within
 * 1e-9 of the result's largest magnitude (f64; partitioned sums add in another order) or 1e-4 (f32); bf16 programs
 * below.
 */
final class ShardedBackwardCheck {
    private static final Pattern ARG = Pattern.compile("(%[\\w]+): (tensor<([0-9x]*)(f64|f32|i32|i64|i1)>)");

    private ShardedBackwardCheck() {}

    /** Thrown when the partitioner refuses the backward module (a failure of the sharded mode, told apart from a wrong value). */
    static final class Refused extends RuntimeException {
        Refused(String m, Throwable cause) { super(m, cause); }
    }

    /**
     * Checks p's backward program sharded; returns how many of its arguments were split. A program with a bf16 segment
     * is checked twice: its f64 twin ({@link Program#twin}) at the f64 tolerance, where a wrong partitioning shows, and
     * itself at 2^-4 of each result's largest magnitude, since a sum regrouped over the devices rounds differently in
     * bf16 (an ulp is 2^-8 relative, of partial sums that may exceed the result) and the ops after it carry that into
     * every later result, f32 and f64 ones too.
     */
    static int check(Program p, long seed) {
        if (!p.hasBf16()) return check(p, p.text(), seed, false);
        check(p, p.twin(), seed, false);
        return check(p, p.text(), seed, true);
    }

    private static int check(Program p, String program, long seed, boolean bf16) {
        Module m = MlirParser.parseModule(program, "fuzz.mlir");
        Annotated an = annotate(p, m);
        String text = an.text();
        int split = an.split();
        Module annotated = MlirParser.parseModule(text, "sharded-vjp.mlir");
        Random rnd = new Random(seed * 31);
        List<HostArray> in = new ArrayList<>(DotProductOracle.inputs(p, rnd));
        List<HostArray> y = new Interpreter(m).runHost("main", in);
        for (HostArray r : y) {
            if (!(r.elementType() instanceof FloatType)) { in.add(HostArray.zeros(r.type())); continue; }
            double[] u = new double[r.size()];
            for (int i = 0; i < u.length; i++) u[i] = rnd.nextDouble() * 2 - 1;
            in.add(HostArray.fromDoubles(r.type(), u));
        }
        List<HostArray> expected = new Interpreter(annotated).runHost("main", in);
        long deadline = System.nanoTime() + 60_000_000_000L;
        PartitionedProgram pp;
        try {
            pp = PartitionDeadline.within(deadline, () -> Spmd.explicit(annotated));
        } catch (Hlo4jException e) {
            throw new Refused("the partitioner refused the backward program: " + e.getMessage(), e);
        }
        SpmdRun run = SpmdRunner.run(pp.module(), pp.meshes(), in, pp.argShardings(), pp.resultShardings(), pp.resultTypes(), deadline);
        for (int i = 0; i < expected.size(); i++) {
            HostArray want = expected.get(i), got = run.results().get(i);
            if (!want.type().equals(got.type())) throw new DotProductOracle.Mismatch("sharded backward result #" + i + " is " + got.type() + ", expected " + want.type());
            if (!(want.elementType() instanceof FloatType)) {
                if (!want.equals(got)) throw new DotProductOracle.Mismatch("sharded backward result #" + i + ": " + got + " vs " + want);
                continue;
            }
            double[] w = want.toDoubleArray(), g = got.toDoubleArray();
            double scale = 0;
            for (double v : w) scale = Math.max(scale, Math.abs(v));
            double tol = (bf16 ? 0x1p-4 : want.elementType() == FloatType.F64 ? 1e-9 : 1e-4) * Math.max(scale, 1e-300);
            for (int e = 0; e < w.length; e++) {
                if (!(Math.abs(w[e] - g[e]) <= tol)) {
                    throw new DotProductOracle.Mismatch("sharded backward result #" + i + " element " + e + ": " + g[e] + " vs unpartitioned " + w[e]
                            + " (tolerance " + tol + ")\n" + text);
                }
            }
        }
        return split;
    }

    /** The backward module's text with the mesh and the arguments' shardings, and how many arguments are split. */
    record Annotated(String text, int split) {}

    /** p's backward program as {@code @main} of a module on a 2-device mesh, dim 0 of even arguments split over "x". */
    static Annotated annotate(Program p, Module m) {
        List<Integer> wrt = new ArrayList<>();
        for (int i = 0; i < p.args().size(); i++) if (p.args().get(i).isFloat()) wrt.add(i);
        String text = MlirPrinter.print(Autodiff.withVjp(m, "main", wrt.stream().mapToInt(Integer::intValue).toArray(), "vjp"))
                .replace("@main(", "@fwd(").replace("@vjp(", "@main(");
        int split = 0;
        int at = text.indexOf("func.func @main("), end = text.indexOf(") ->", at);
        Matcher a = ARG.matcher(text.substring(at, end));
        StringBuilder sig = new StringBuilder();
        while (a.find()) {
            String dims = a.group(3);
            long d0 = dims.isEmpty() ? 0 : Long.parseLong(dims.substring(0, dims.indexOf('x')));
            int rank = dims.isEmpty() ? 0 : dims.split("x").length;
            String sharding = "";
            if (rank > 0 && d0 % 2 == 0) {
                StringBuilder s = new StringBuilder("[{\"x\"}");
                for (int i = 1; i < rank; i++) s.append(", {}");
                sharding = " {sdy.sharding = #sdy.sharding<@mesh, " + s + "]>}";
                split++;
            }
            a.appendReplacement(sig, Matcher.quoteReplacement(a.group(0) + sharding));
        }
        a.appendTail(sig);
        text = text.substring(0, at) + sig + text.substring(end);
        if (!text.startsWith("module {")) throw new IllegalStateException("unexpected module head: " + text.substring(0, 40));
        text = "module attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {\n  sdy.mesh @mesh = <[\"x\"=2]>\n"
                + text.substring("module {".length());
        return new Annotated(text, split);
    }
}
