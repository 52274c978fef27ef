import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.Traced;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Training;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Frame;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.Process;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Scope;

import javax.tools.ToolProvider;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Where `hlo4j examples run --class C --classpath SOURCE.java --steps N` spends its CPU, stage by stage, in the order
 * the command runs them (Training.run): the source compiled (javac, as the CLI's SourceCompiler), params() and batch(),
 * the loss traced, lowered and compiled (verified) and called, the train step (TrainStep.of: value and gradient plus
 * the optimiser) traced, lowered, compiled, each step called, the final loss. Each line: the main thread's CPU and the
 * process's (JIT and GC threads, the kernel pool) in s. It prints the losses as the command does, so a change must
 * leave them alone. With -Dstages.profile=true, one more step split into its conversions and the interpreter's run,
 * then op by op. Not a test; run by bench/examples_run.sh.
 *   java -cp CLASSPATH bench/ExamplesRunStages.java SOURCE.java CLASS STEPS
 */
public final class ExamplesRunStages {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static double mainTotal, processTotal;

    private static <T> T stage(String name, Supplier<T> body) {
        long m0 = THREADS.getCurrentThreadCpuTime(), p0 = OS.getProcessCpuTime();
        T r = body.get();
        double m = (THREADS.getCurrentThreadCpuTime() - m0) / 1e9, p = (OS.getProcessCpuTime() - p0) / 1e9;
        mainTotal += m;
        processTotal += p;
        System.err.printf("  %-34s main %6.2f  process %6.2f%n", name, m, p);
        return r;
    }

    public static void main(String[] a) throws Exception {
        Path source = Path.of(a[0]);
        int steps = Integer.parseInt(a[2]);
        System.err.printf("stage (CPU s)%n");
        Path classes = Files.createTempDirectory("stages");
        Example e = stage("compile the source (javac)", () -> {
            try {
                int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                        "-cp", System.getProperty("java.class.path"), source.toString());
                if (rc != 0) throw new IllegalStateException("javac failed");
                ClassLoader l = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ExamplesRunStages.class.getClassLoader());
                return (Example) l.loadClass(a[1]).getDeclaredConstructor().newInstance();
            } catch (Exception x) {
                throw new RuntimeException(x);
            }
        });
        Object params = stage("params()", e::params);
        List<Object> batch = stage("batch()", e::batch);
        List<Object> la = new ArrayList<>(List.of(params));
        la.addAll(batch);
        Traced lt = stage("loss: trace", () -> Jit.traceFunction(Example.symbol(e), e.loss(), la.toArray()));
        Lowered ll = stage("loss: lower", lt::lower);
        Compiled lc = stage("loss: compile (verify)", ll::compile);
        double l0 = stage("loss: call", () -> ((HostArray) lc.callTree(la.toArray())).getDouble(0));
        System.out.printf("initial loss %.6f%n", l0);
        List<Object> sa = new ArrayList<>(List.of(params, Training.optimizer(e).init(params)));
        sa.addAll(batch);
        Object[] args = sa.toArray();
        Traced st = stage("train step: trace (grad, optimizer)", () -> Jit.traceFunction(Training.trainStepName(e), Training.trainStep(e), args));
        Lowered sl = stage("train step: lower", st::lower);
        Compiled sc = stage("train step: compile (verify)", sl::compile);
        for (int i = 0; i < steps; i++) {
            List<?> r = stage("train step: call " + i, () -> (List<?>) sc.callTree(args));
            System.out.printf("step %d loss %.6f%n", i, ((HostArray) r.get(0)).getDouble(0));
            args[0] = r.get(1);
            args[1] = r.get(2);
        }
        la.set(0, args[0]);
        double l = stage("final loss: call", () -> ((HostArray) lc.callTree(la.toArray())).getDouble(0));
        System.out.printf("final loss %.6f (initial %.6f)%n", l, l0);
        System.err.printf("  %-34s main %6.2f  process %6.2f%n", "total", mainTotal, processTotal);
        if (Boolean.getBoolean("stages.profile")) profile(sl, args);
    }

    /**
     * One more train step split into its host arrays converted to the interpreter's tensors, the interpreter's run and
     * the results converted back; then the step op by op (each top-level op of @main through Interpreter.evalOp, no
     * element-wise fusion, so element-wise rows are upper bounds), CPU per op name.
     */
    private static void profile(Lowered step, Object[] args) {
        List<Object> leaves = new ArrayList<>();
        Pytree.flatten(List.of(args), leaves);
        List<HostArray> hs = leaves.stream().map(HostArray.class::cast).toList();
        Interpreter interp = new Interpreter(step.module());
        System.err.printf("one more train step (CPU s)%n");
        List<RtValue> in = stage("host arrays -> tensors", () -> HostArrays.toValues(hs));
        List<RtValue> out = stage("interpreter run", () -> interp.run(in));
        stage("tensors -> host arrays", () -> HostArrays.toHost(out));
        Operation main = step.module().entryFunction();
        var block = main.region(0).entry();
        Scope scope = new Scope(null);
        for (int i = 0; i < in.size(); i++) scope.bind(block.argument(i), in.get(i));
        Frame frame = new Frame(interp, scope, Process.single());
        Map<String, double[]> byName = new TreeMap<>();
        double total = 0;
        for (Operation op : block.operations()) {
            if (op.name().equals("func.return")) break;
            List<RtValue> operands = new ArrayList<>(op.numOperands());
            for (var v : op.operands()) operands.add(scope.lookup(v));
            long c0 = OS.getProcessCpuTime();
            List<RtValue> res = interp.evalOp(op, operands, frame);
            double dc = (OS.getProcessCpuTime() - c0) / 1e9;
            for (int r = 0; r < res.size(); r++) scope.bind(op.result(r), res.get(r));
            double[] acc = byName.computeIfAbsent(op.name(), n -> new double[2]);
            acc[0]++;
            acc[1] += dc;
            total += dc;
        }
        System.err.printf("the step op by op (no fusion): %d ops, process CPU %.2f s%n", block.operations().size(), total);
        byName.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1])).limit(12).forEach(en ->
                System.err.printf("  %-34s %4d ops  %6.2f s%n", en.getKey(), (int) en.getValue()[0], en.getValue()[1]));
    }
}
