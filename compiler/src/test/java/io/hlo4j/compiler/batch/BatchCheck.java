package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.runtime.testing.BatchAxis.stack;
import static io.hlo4j.runtime.testing.BatchAxis.take;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batching oracle at the IR level: {@code vmap} of the module's first function, printed and parsed back and
 * verified, run once on the interpreter, equals the function run per example with the results stacked.
 */
final class BatchCheck {
    private BatchCheck() {}

    /** A reducer region (f64 addition) for the collectives' text. */
    static final String ADD_F64 = """
            ({
              ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                %s = stablehlo.add %a, %b : tensor<f64>
                stablehlo.return %s : tensor<f64>
            })""";

    /** Per device, one uniform f64 array of each shape. */
    static List<List<HostArray>> perDevice(Random r, int devices, long[]... shapes) {
        List<List<HostArray>> out = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            List<HostArray> xs = new ArrayList<>();
            for (long[] s : shapes) xs.add(uniform(r, TensorType.of(FloatType.F64, s)));
            out.add(xs);
        }
        return out;
    }

    static HostArray uniform(Random r, TensorType t) {
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() * 2 - 1;
        return HostArray.fromDoubles(t, v);
    }

    /** {@code inAxes}/{@code outAxes}: {@link Batched#NONE} for none. Returns the batched module's text. */
    static String check(String funcText, int[] inAxes, int[] outAxes, long size, List<HostArray> batchedArgs) {
        Module m = MlirParser.parseModule("module {\n" + funcText + "\n}\n", "test.mlir");
        ModuleVerifier.verify(m);
        Operation f = m.functions().get(0);
        String name = ((StringAttr) f.attr("sym_name")).value();
        Operation vf = Batching.vmap(f, inAxes, outAxes, size, "batched");
        List<Operation> top = new ArrayList<>();     // meshes and other declarations the function refers to come along
        for (Operation op : m.operations()) if (!op.name().equals("func.func")) top.add(io.hlo4j.compiler.ad.Cloner.copy(op, new java.util.IdentityHashMap<>()).build());
        top.add(vf);
        Module vm = Module.of("b", null, top, f.location());
        return printRunAndCompare(vm, m, name, inAxes, outAxes, size, batchedArgs);
    }

    /**
     * {@link #check} for the module's function {@code name} batched with the module at hand
     * ({@link Batching#vmap(Module, String, int[], int[], long, String)}): calls stay calls of batched copies of their
     * callees, composites are inlined. Returns the batched module's text.
     */
    static String checkModule(String moduleText, String name, int[] inAxes, int[] outAxes, long size, List<HostArray> batchedArgs) {
        Module m = MlirParser.parseModule(moduleText, "test.mlir");
        ModuleVerifier.verify(m);
        Module vm = Batching.vmap(m, name, inAxes, outAxes, size, "batched");
        return printRunAndCompare(vm, m, name, inAxes, outAxes, size, batchedArgs);
    }

    /**
     * The batched module {@code vm} verified, printed, parsed back and verified again, its {@code @batched} run on the
     * batch against {@code name} of {@code m} run per example. Returns the printed text.
     */
    private static String printRunAndCompare(Module vm, Module m, String name, int[] inAxes, int[] outAxes, long size, List<HostArray> batchedArgs) {
        ModuleVerifier.verify(vm);
        String text = MlirPrinter.print(vm);
        Module back = MlirParser.parseModule(text, "batched.mlir");
        ModuleVerifier.verify(back);
        List<HostArray> got = new Interpreter(back).runHost("batched", batchedArgs);
        compare(got, perExample(m, name, inAxes, outAxes, size, batchedArgs), outAxes);
        return text;
    }

    /** The module's function run per example, results stacked at {@code outAxes}. */
    static List<HostArray> perExample(Module m, String name, int[] inAxes, int[] outAxes, long size, List<HostArray> batchedArgs) {
        Interpreter single = new Interpreter(m);
        List<List<HostArray>> per = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            List<HostArray> ex = new ArrayList<>();
            for (int a = 0; a < batchedArgs.size(); a++) {
                ex.add(inAxes[a] == Batched.NONE ? batchedArgs.get(a) : take(batchedArgs.get(a), inAxes[a], i));
            }
            per.add(single.runHost(name, ex));
        }
        List<HostArray> want = new ArrayList<>();
        for (int j = 0; j < outAxes.length; j++) {
            List<HostArray> col = new ArrayList<>();
            for (List<HostArray> p : per) col.add(p.get(j));
            want.add(outAxes[j] == Batched.NONE ? col.get(0) : stack(col, outAxes[j]));
        }
        return want;
    }

    static void compare(List<HostArray> got, List<HostArray> want, int[] outAxes) {
        assertThat(got).hasSameSizeAs(want);
        for (int j = 0; j < got.size(); j++) {
            assertThat(got.get(j).shape()).as("result %d shape", j).containsExactly(want.get(j).shape());
            double[] g = got.get(j).toDoubleArray(), w = want.get(j).toDoubleArray();
            for (int k = 0; k < g.length; k++) assertThat(g[k]).as("result %d element %d", j, k).isCloseTo(w[k], org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    /**
     * grad of vmap: the VJP of the batched first function of {@code funcText} (with respect to argument {@code wrt})
     * against central differences of {@code sum_j <g(args)_j, ct_j>}, one element of the argument at a time.
     */
    static void gradOfVmap(String funcText, int[] inAxes, int[] outAxes, long size, List<HostArray> batchedArgs, int wrt, Random r) {
        Module m = MlirParser.parseModule("module {\n" + funcText + "\n}\n", "test.mlir");
        ModuleVerifier.verify(m);
        Operation vf = Batching.vmap(m.functions().get(0), inAxes, outAxes, size, "g");
        Operation vjp = io.hlo4j.compiler.ad.Autodiff.vjp(vf, new int[]{wrt}, "vjp");
        Module vm = Module.of("b", null, List.of(vf, vjp), vf.location());
        ModuleVerifier.verify(vm);
        Interpreter in = new Interpreter(MlirParser.parseModule(MlirPrinter.print(vm), "grad.mlir"));
        List<HostArray> primal = in.runHost("g", batchedArgs);
        List<HostArray> cts = new ArrayList<>();
        for (HostArray p : primal) {      // an integer result's cotangent is zero
            cts.add(p.type().elementType() instanceof FloatType ? uniform(r, p.type()) : HostArray.fromLongs(p.type(), new long[(int) p.type().numElements()]));
        }
        List<HostArray> all = new ArrayList<>(batchedArgs);
        all.addAll(cts);
        List<HostArray> got = in.runHost("vjp", all);
        HostArray g = got.get(primal.size());
        assertThat(g.shape()).containsExactly(batchedArgs.get(wrt).shape());
        double[] x = batchedArgs.get(wrt).toDoubleArray();
        double h = 1e-6;
        for (int j = 0; j < x.length; j++) {
            double fd = (objective(in, batchedArgs, cts, wrt, j, h) - objective(in, batchedArgs, cts, wrt, j, -h)) / (2 * h);
            assertThat(g.getDouble(j)).as("d arg %d [%d]", wrt, j).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    private static double objective(Interpreter in, List<HostArray> args, List<HostArray> cts, int wrt, int j, double h) {
        double[] x = args.get(wrt).toDoubleArray();
        x[j] += h;
        List<HostArray> moved = new ArrayList<>(args);
        moved.set(wrt, HostArray.fromDoubles(args.get(wrt).type(), x));
        List<HostArray> out = in.runHost("g", moved);
        double s = 0;
        for (int k = 0; k < out.size(); k++) {
            double[] o = out.get(k).toDoubleArray(), c = cts.get(k).toDoubleArray();
            for (int i = 0; i < o.length; i++) s += o[i] * c[i];
        }
        return s;
    }

    /**
     * The oracle on {@code replicas} simulated devices ({@link Interpreter#runParallel}): the batched function run once
     * per device on its batch equals, on every device, the function run per example (every device running example
     * i together) with the results stacked. {@code batchedArgs.get(d)} are device d's arguments.
     */
    static String checkParallel(String funcText, int[] inAxes, int[] outAxes, long size, int replicas, List<List<HostArray>> batchedArgs) {
        Module m = MlirParser.parseModule("module {\n" + funcText + "\n}\n", "test.mlir");
        ModuleVerifier.verify(m);
        Operation f = m.functions().get(0);
        String name = ((StringAttr) f.attr("sym_name")).value();
        Module vm = Module.of("b", null, List.of(Batching.vmap(f, inAxes, outAxes, size, "batched")), f.location());
        ModuleVerifier.verify(vm);
        String text = MlirPrinter.print(vm);
        Module back = MlirParser.parseModule(text, "batched.mlir");
        ModuleVerifier.verify(back);
        List<List<RtValue>> in = new ArrayList<>();
        for (List<HostArray> d : batchedArgs) in.add(HostArrays.toValues(d));
        List<List<RtValue>> got = new Interpreter(back).runParallel("batched", replicas, 1, in);
        Interpreter single = new Interpreter(m);
        List<List<List<HostArray>>> per = new ArrayList<>();             // [example][device][result]
        for (int i = 0; i < size; i++) {
            List<List<RtValue>> ex = new ArrayList<>();
            for (List<HostArray> d : batchedArgs) {
                List<HostArray> one = new ArrayList<>();
                for (int a = 0; a < d.size(); a++) one.add(inAxes[a] == Batched.NONE ? d.get(a) : take(d.get(a), inAxes[a], i));
                ex.add(HostArrays.toValues(one));
            }
            List<List<HostArray>> res = new ArrayList<>();
            for (List<RtValue> r : single.runParallel(name, replicas, 1, ex)) res.add(HostArrays.toHost(r));
            per.add(res);
        }
        for (int d = 0; d < replicas; d++) {
            List<HostArray> g = HostArrays.toHost(got.get(d));
            for (int j = 0; j < g.size(); j++) {
                List<HostArray> col = new ArrayList<>();
                for (List<List<HostArray>> p : per) col.add(p.get(d).get(j));
                HostArray want = outAxes[j] == Batched.NONE ? col.get(0) : stack(col, outAxes[j]);
                assertThat(g.get(j).shape()).as("device %d result %d shape", d, j).containsExactly(want.shape());
                double[] gv = g.get(j).toDoubleArray(), wv = want.toDoubleArray();
                for (int k = 0; k < gv.length; k++) {
                    assertThat(gv[k]).as("device %d result %d element %d", d, j, k).isCloseTo(wv[k], org.assertj.core.data.Offset.offset(1e-12));
                }
            }
        }
        return text;
    }
}
