package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks reverse-mode gradients against central finite differences in f64 on the interpreter. The VJP function
 * is printed and parsed back before it runs, so what is checked is the text a backend would receive. With a
 * random cotangent c for every result, the FD oracle of argument element j is
 * (sum c.f(x + h e_j) - sum c.f(x - h e_j)) / 2h.
 */
final class GradCheck {
    static final double H = 1e-5, TOL = 1e-6;

    private GradCheck() {}

    static Module parse(String funcs) { return MlirParser.parseModule("module {\n" + funcs + "\n}\n", "test.mlir"); }

    static HostArray uniform(TensorType t, Random r, double lo, double hi) {
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * r.nextDouble();
        return HostArray.fromDoubles(t, v);
    }

    static TensorType f64(long... shape) { return TensorType.of(FloatType.F64, shape); }

    /** {@code @f(x: f64[2, 3])} applying the unary {@code op} (written in generic form) to x. */
    static String unaryF64(String op) {
        return """
                func.func @f(%x: tensor<2x3xf64>) -> tensor<2x3xf64> {
                  %0 = "OP"(%x) : (tensor<2x3xf64>) -> tensor<2x3xf64>
                  return %0 : tensor<2x3xf64>
                }""".replace("OP", op);
    }

    /** The VJP module of the first function of {@code m}, differentiated in every float argument. */
    static Module vjpModule(Module m, int[] wrt) {
        return vjpModule(m, ((io.hlo4j.mlir.attr.StringAttr) m.functions().get(0).attr("sym_name")).value(), wrt);
    }

    static Module vjpModule(Module m, String name, int[] wrt) {
        Module vm = Autodiff.withVjp(m, name, wrt, "vjp");
        ModuleVerifier.verify(vm);
        Module back = MlirParser.parseModule(MlirPrinter.print(vm), "vjp.mlir");
        ModuleVerifier.verify(back);
        return back;
    }

    /** Runs the gradient check; returns the largest relative error seen (also asserted below TOL). */
    static double check(String funcText, List<HostArray> args, long seed) {
        Module m = parse(funcText);
        return checkModule(m, ((io.hlo4j.mlir.attr.StringAttr) m.functions().get(0).attr("sym_name")).value(), args, seed);
    }

    /**
     * As {@link #check}, with {@code lower} applied to the primal module and to the VJP module before they run (for
     * ops the interpreter lacks, e.g. chlo's broadcasting forms).
     */
    static double check(String funcText, java.util.function.UnaryOperator<Module> lower, List<HostArray> args, long seed) {
        Module m = parse(funcText);
        return checkModule(m, ((io.hlo4j.mlir.attr.StringAttr) m.functions().get(0).attr("sym_name")).value(), args, seed, lower);
    }

    /** As {@link #check} for function {@code name} of a module (callees resolve in it). */
    static double checkModule(Module m, String name, List<HostArray> args, long seed) {
        return checkModule(m, name, args, seed, java.util.function.UnaryOperator.identity());
    }

    static double checkModule(Module m, String name, List<HostArray> args, long seed, java.util.function.UnaryOperator<Module> lower) {
        List<Integer> wrtL = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) if (args.get(i).elementType() instanceof FloatType) wrtL.add(i);
        int[] wrt = wrtL.stream().mapToInt(Integer::intValue).toArray();
        Interpreter primal = new Interpreter(lower.apply(m));
        List<HostArray> out = primal.runHost(name, args);

        Random r = new Random(seed ^ 0x5DEECE66DL);
        List<HostArray> cts = new ArrayList<>();
        for (HostArray o : out) cts.add(o.elementType() instanceof FloatType ? uniform(o.type(), r, -1, 1) : HostArray.zeros(o.type()));
        List<HostArray> vin = new ArrayList<>(args);
        vin.addAll(cts);
        List<HostArray> vout = new Interpreter(lower.apply(vjpModule(m, name, wrt))).runHost("vjp", vin);
        assertThat(vout).hasSize(out.size() + wrt.length);
        for (int i = 0; i < out.size(); i++) assertThat(vout.get(i)).as("primal result #%d", i).isEqualTo(out.get(i));

        double worst = 0;
        for (int k = 0; k < wrt.length; k++) {
            int a = wrt[k];
            HostArray grad = vout.get(out.size() + k);
            assertThat(grad.type()).isEqualTo(args.get(a).type());
            double[] x = args.get(a).toDoubleArray(), g = grad.toDoubleArray(), fd = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                fd[j] = (objective(primal, name, args, a, x, j, H, cts) - objective(primal, name, args, a, x, j, -H, cts)) / (2 * H);
            }
            double num = 0, den = 0;
            for (int j = 0; j < x.length; j++) { num += (g[j] - fd[j]) * (g[j] - fd[j]); den += fd[j] * fd[j]; }
            double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
            if (den == 0) rel = Math.sqrt(num); // an all-zero gradient: compare absolutely
            assertThat(rel).as("relative error of the gradient of argument #%d: vjp %s vs fd %s", a,
                    java.util.Arrays.toString(g), java.util.Arrays.toString(fd)).isLessThanOrEqualTo(TOL);
            worst = Math.max(worst, rel);
        }
        return worst;
    }

    private static double objective(Interpreter in, String name, List<HostArray> args, int a, double[] x, int j, double h,
                                    List<HostArray> cts) {
        double[] xp = x.clone();
        xp[j] += h;
        List<HostArray> as = new ArrayList<>(args);
        as.set(a, HostArray.fromDoubles(args.get(a).type(), xp));
        List<HostArray> out = in.runHost(name, as);
        double s = 0;
        for (int i = 0; i < out.size(); i++) {
            if (!(out.get(i).elementType() instanceof FloatType)) continue;
            double[] o = out.get(i).toDoubleArray(), c = cts.get(i).toDoubleArray();
            for (int e = 0; e < o.length; e++) s += o[e] * c[e];
        }
        return s;
    }
}
