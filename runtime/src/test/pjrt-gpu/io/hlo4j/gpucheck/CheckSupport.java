package io.hlo4j.gpucheck;

import io.hlo4j.cli.Main;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.Random;

/**
 * What the GPU check's programs share (compiled into the bundle by scripts/gpu-check.sh build, and into the cli
 * module's tests, which run InteropCheck itself): the error measure every check line prints, hlo4j's CLI run in
 * this JVM, and a throwable on one line.
 */
public final class CheckSupport {
    private CheckSupport() {}

    /** max|got - want| / max|want| over one array (max|got - want| when want is all zeros); shapes must agree. */
    public static double relErr(HostArray got, HostArray want) {
        if (!Arrays.equals(got.shape(), want.shape()))
            throw new IllegalStateException("shape " + Arrays.toString(got.shape()) + " where " + Arrays.toString(want.shape()) + " was expected");
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < g.length; i++) {
            num = Math.max(num, Math.abs(g[i] - w[i]));
            den = Math.max(den, Math.abs(w[i]));
        }
        return den == 0 ? num : num / den;
    }

    /** One hlo4j command line run in this JVM: its exit code and what it printed. */
    public record CliRun(int code, String out, String err) {
        public boolean ok() { return code == 0; }

        /** Its one-line error ("exit N: ..."): the first line of stderr, else of stdout. */
        public String error() {
            String e = err.strip();
            String first = (e.isEmpty() ? out.strip() : e).lines().findFirst().orElse("");
            return "exit " + code + ": " + first;
        }
    }

    /** Runs {@code hlo4j ARGS} through the CLI's entry point in this JVM (no process, no System.exit). */
    public static CliRun cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** "Type: message", cut at the message's first line. */
    public static String oneLine(Throwable e) {
        String s = e.getClass().getSimpleName() + ": " + e.getMessage();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    /** An f32 array of the given shape with N(0, scale^2) entries drawn from {@code r}. */
    static HostArray random(Random r, double scale, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * scale);
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }
}
