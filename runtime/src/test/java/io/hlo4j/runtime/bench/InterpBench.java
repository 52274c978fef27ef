package io.hlo4j.runtime.bench;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The interpreter half of {@code bench/interp_vs_numpy.sh}: each case is a StableHLO module generated here, run
 * by the interpreter on seeded random inputs; prints {@code name best_ms runs cpu=ms checksum=x bits=h} per case (warm-up runs untimed,
 * best of N timed). Only {@link Interpreter#run} is timed, not input generation or parsing.
 * Usage: {@code InterpBench [case...]}; system properties {@code bench.warmup} and {@code bench.repeat}.
 */
public final class InterpBench {
    private InterpBench() {}

    static final SplittableRandom RNG = new SplittableRandom(42);

    public static void main(String[] args) {
        int warmup = Integer.getInteger("bench.warmup", 1), repeat = Integer.getInteger("bench.repeat", 3);
        List<String> cases = args.length == 0 ? List.of("matmul", "softmax", "argsort", "gather", "moe") : List.of(args);
        for (String c : cases) {
            switch (c) {
                case "matmul" -> run(c, matmul(), () -> List.of(floats(1 << 20, 1, 1024, 1024), floats(1 << 20, 1, 1024, 1024)), warmup, repeat);
                case "softmax" -> run(c, softmax(), () -> List.of(floats(8192 * 256, 4, 8192, 256)), warmup, repeat);
                case "argsort" -> run(c, argsort(), () -> List.of(ints(65536, 1000, 65536)), warmup, repeat);
                case "gather" -> run(c, gather(), () -> List.of(floats(8192 * 1024, 1, 8192, 1024), ints(65536, 8192, 65536, 1)), warmup, repeat);
                case "moe" -> run(c, moe(), () -> List.of(floats(4096 * 1024, 1, 4096, 1024), floats(1024 * 8, 1 / 32.0, 1024, 8),
                        floats(8 * 1024 * 2816, 1 / 32.0, 8, 1024, 2816), floats(8 * 2816 * 1024, 1 / 53.0, 8, 2816, 1024)),
                        Math.min(warmup, 1), Math.min(repeat, 2));
                // not in the default list (numpy_bench.py has no counterpart): run it by name, InterpBench transpose
                case "transpose" -> run(c, transpose(), () -> List.of(floats(4096 * 1024, 1, 4096, 1024), floats(8 * 1024 * 512, 1, 8, 1024, 512)),
                        warmup, repeat);
                // the MoE router's sorts (docs/benchmarks-moe-step.md, "Interpreter: the router's short-row sorts"):
                // run it by name, InterpBench router
                case "router" -> run(c, router(), () -> List.of(floats(2048 * 8, 1, 2048, 8)), warmup, repeat);
                // the MoE training step's seven transposes and three router dot_generals (docs/benchmarks-matmul.md,
                // "Interpreter: the MoE step's transposes and the router's narrow products"): by name
                case "steptranspose" -> run(c, stepTransposes(), () -> List.of(floats(8 * 512 * 1024, 1, 8, 512, 1024),
                        floats(8 * 1024 * 512, 1, 8, 1024, 512), floats(4096 * 1024, 1, 4096, 1024), floats(4096 * 512, 1, 4096, 512),
                        floats(8 * 512, 1, 8, 512)), warmup, repeat);
                case "routerdots" -> run(c, routerDots(), () -> List.of(floats(2048 * 512, 1, 2048, 512), floats(512 * 8, 1 / 22.6, 512, 8),
                        floats(2048 * 8, 1, 2048, 8)), warmup, repeat);
                default -> throw new IllegalArgumentException("unknown bench case " + c
                        + " (matmul softmax argsort gather moe transpose router steptranspose routerdots)");
            }
        }
    }

    static void run(String name, String text, Supplier<List<Tensor>> inputs, int warmup, int repeat) {
        Module m = MlirParser.parseModule(text, name + ".mlir");
        Interpreter interp = new Interpreter(m);
        List<Tensor> in = inputs.get();
        double best = Double.MAX_VALUE, bestCpu = Double.MAX_VALUE;
        double check = 0;
        long bits = 0;
        for (int i = 0; i < warmup + repeat; i++) {
            long c0 = processCpuNanos(), t0 = System.nanoTime();
            List<RtValue> out = interp.run(in);
            double ms = (System.nanoTime() - t0) / 1e6, cpu = (processCpuNanos() - c0) / 1e6;
            if (i >= warmup) {
                best = Math.min(best, ms);
                bestCpu = Math.min(bestCpu, cpu);
            }
            check = checksum((Tensor) out.get(0));
            bits = bitsHash(out);
        }
        // cpu: CPU time of the whole process (all threads, JIT and GC included) in the least costly timed run
        // bits: a hash of every output's raw bits in order (equal before and after a kernel change that kept them)
        System.out.printf(Locale.ROOT, "%s %.3f %d cpu=%.3f checksum=%.6g bits=%016x%n", name, best, repeat, bestCpu, check, bits);
    }

    static long bitsHash(List<RtValue> out) {
        long h = 1125899906842597L;
        for (RtValue v : out) {
            Tensor t = (Tensor) v;
            for (int i = 0; i < t.size; i++) h = 31 * h + (t.ints != null ? t.ints[i] : Double.doubleToRawLongBits(t.re[i]));
        }
        return h;
    }

    /**
     * CPU time of the whole process in nanoseconds: the sum of every thread's time on a CPU from
     * /proc/self/task/N/schedstat (nanosecond resolution; JIT and GC threads included), else the JVM's process
     * CPU time (10 ms ticks on Linux).
     */
    static long processCpuNanos() {
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks != null) {
            long sum = 0;
            boolean ok = true;
            for (java.io.File t : tasks) {
                try {
                    String line = java.nio.file.Files.readString(t.toPath().resolve("schedstat")).trim();
                    sum += Long.parseLong(line.substring(0, line.indexOf(' ')));
                } catch (java.io.IOException | RuntimeException e) {
                    ok = false; // a thread that ended while we read: fall back below
                }
            }
            if (ok) return sum;
        }
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime();
    }

    static double checksum(Tensor t) {
        double s = 0;
        for (int i = 0; i < t.size; i++) s += Math.abs(t.asDouble(i));
        return s / t.size;
    }

    static Tensor floats(int n, double scale, long... shape) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (RNG.nextDouble() * 2 - 1) * scale;
        return Tensor.ofDoubles(TensorType.of(FloatType.F32, shape), v);
    }

    static Tensor ints(int n, int bound, long... shape) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = RNG.nextInt(bound);
        return Tensor.ofInts(TensorType.of(IntegerType.I32, shape), v);
    }

    static String matmul() {
        return """
            func.func @main(%a: tensor<1024x1024xf32>, %b: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
              %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<1024x1024xf32>, tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
              return %0 : tensor<1024x1024xf32>
            }
            """;
    }

    /** The two transposes of the MoE backward's largest kind (docs/benchmarks-moe-step.md, branch interpperf). */
    static String transpose() {
        return """
            func.func @main(%a: tensor<4096x1024xf32>, %b: tensor<8x1024x512xf32>) -> (tensor<1024x4096xf32>, tensor<8x512x1024xf32>) {
              %t = stablehlo.transpose %a, dims = [1, 0] : (tensor<4096x1024xf32>) -> tensor<1024x4096xf32>
              %u = stablehlo.transpose %b, dims = [0, 2, 1] : (tensor<8x1024x512xf32>) -> tensor<8x512x1024xf32>
              return %t, %u : tensor<1024x4096xf32>, tensor<8x512x1024xf32>
            }
            """;
    }

    /**
     * The seven transposes of one MoE training step ({@code MoeGradBench}, 2,048 tokens, H 512, M 1024, 8 experts):
     * autodiff's before the gradient dots, the last two dimensions swapped, and one of an [8, 512] gradient.
     */
    static String stepTransposes() {
        return """
            func.func @main(%w: tensor<8x512x1024xf32>, %d: tensor<8x1024x512xf32>, %h: tensor<4096x1024xf32>, %x: tensor<4096x512xf32>,
                            %g: tensor<8x512xf32>)
                -> (tensor<8x1024x512xf32>, tensor<8x1024x512xf32>, tensor<8x512x1024xf32>, tensor<1024x4096xf32>, tensor<512x4096xf32>,
                    tensor<512x4096xf32>, tensor<512x8xf32>) {
              %0 = stablehlo.transpose %w, dims = [0, 2, 1] : (tensor<8x512x1024xf32>) -> tensor<8x1024x512xf32>
              %1 = stablehlo.transpose %w, dims = [0, 2, 1] : (tensor<8x512x1024xf32>) -> tensor<8x1024x512xf32>
              %2 = stablehlo.transpose %d, dims = [0, 2, 1] : (tensor<8x1024x512xf32>) -> tensor<8x512x1024xf32>
              %3 = stablehlo.transpose %h, dims = [1, 0] : (tensor<4096x1024xf32>) -> tensor<1024x4096xf32>
              %4 = stablehlo.transpose %x, dims = [1, 0] : (tensor<4096x512xf32>) -> tensor<512x4096xf32>
              %5 = stablehlo.transpose %x, dims = [1, 0] : (tensor<4096x512xf32>) -> tensor<512x4096xf32>
              %6 = stablehlo.transpose %g, dims = [1, 0] : (tensor<8x512xf32>) -> tensor<512x8xf32>
              return %0, %1, %2, %3, %4, %5, %6 : tensor<8x1024x512xf32>, tensor<8x1024x512xf32>, tensor<8x512x1024xf32>,
                  tensor<1024x4096xf32>, tensor<512x4096xf32>, tensor<512x4096xf32>, tensor<512x8xf32>
            }
            """;
    }

    /**
     * The three dot_generals of one MoE training step's router ({@code MoeGradBench}): the gate's logits
     * [2048, 512] x [512, 8], and the two of its gradient, [2048, 8] x [512, 8] contracting [1] x [1] (the input's) and
     * [2048, 8] x [2048, 512] contracting [0] x [0] (the gate kernel's).
     */
    static String routerDots() {
        return """
            func.func @main(%x: tensor<2048x512xf32>, %k: tensor<512x8xf32>, %g: tensor<2048x8xf32>)
                -> (tensor<2048x8xf32>, tensor<2048x512xf32>, tensor<8x512xf32>) {
              %0 = stablehlo.dot_general %x, %k, contracting_dims = [1] x [0] : (tensor<2048x512xf32>, tensor<512x8xf32>) -> tensor<2048x8xf32>
              %1 = stablehlo.dot_general %g, %k, contracting_dims = [1] x [1] : (tensor<2048x8xf32>, tensor<512x8xf32>) -> tensor<2048x512xf32>
              %2 = stablehlo.dot_general %g, %x, contracting_dims = [0] x [0] : (tensor<2048x8xf32>, tensor<2048x512xf32>) -> tensor<8x512xf32>
              return %0, %1, %2 : tensor<2048x8xf32>, tensor<2048x512xf32>, tensor<8x512xf32>
            }
            """;
    }

    /**
     * The router's short-row sorts: the DSL's {@code argsortTotalOrder} of [2048, 8] logits (sort of (keys, iota) along
     * the rows, LT in total order) and a {@code chlo.top_k} of 2 of the same rows.
     */
    static String router() {
        return """
            func.func @main(%x: tensor<2048x8xf32>) -> (tensor<2048x8xi32>, tensor<2048x2xi32>) {
              %i = stablehlo.iota dim = 1 : tensor<2048x8xi32>
              %s:2 = "stablehlo.sort"(%x, %i) <{dimension = 1 : i64, is_stable = true}> ({
              ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i32>, %d: tensor<i32>):
                %lt = stablehlo.compare LT, %a, %b, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
                stablehlo.return %lt : tensor<i1>
              }) : (tensor<2048x8xf32>, tensor<2048x8xi32>) -> (tensor<2048x8xf32>, tensor<2048x8xi32>)
              %v, %e = chlo.top_k(%x, k = 2) : tensor<2048x8xf32> -> (tensor<2048x2xf32>, tensor<2048x2xi32>)
              return %s#1, %e : tensor<2048x8xi32>, tensor<2048x2xi32>
            }
            """;
    }

    /** Softmax over the last axis, as frontends lower it: max, subtract, exp, sum, divide. */
    static String softmax() {
        return """
            func.func @main(%x: tensor<8192x256xf32>) -> tensor<8192x256xf32> {
              %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
              %zero = stablehlo.constant dense<0.0> : tensor<f32>
              %m = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<8192x256xf32>, tensor<f32>) -> tensor<8192xf32>
              %mb = stablehlo.broadcast_in_dim %m, dims = [0] : (tensor<8192xf32>) -> tensor<8192x256xf32>
              %d = stablehlo.subtract %x, %mb : tensor<8192x256xf32>
              %e = stablehlo.exponential %d : tensor<8192x256xf32>
              %s = stablehlo.reduce(%e init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<8192x256xf32>, tensor<f32>) -> tensor<8192xf32>
              %sb = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<8192xf32>) -> tensor<8192x256xf32>
              %r = stablehlo.divide %e, %sb : tensor<8192x256xf32>
              return %r : tensor<8192x256xf32>
            }
            """;
    }

    static String sortPair(String result, String keys, String values, int n) {
        String t = "tensor<" + n + "xi32>";
        return """
              %R:2 = "stablehlo.sort"(%K, %V) ({
              ^bb0(%p: tensor<i32>, %q: tensor<i32>, %u: tensor<i32>, %w: tensor<i32>):
                %lt = stablehlo.compare LT, %p, %q, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
                stablehlo.return %lt : tensor<i1>
              }) {dimension = 0 : i64, is_stable = true} : ($T, $T) -> ($T, $T)
            """.replace("%R", result).replace("%K", keys).replace("%V", values).replace("$T", t);
    }

    /** Stable argsort: sort (keys, iota) by key; the second result is the permutation. */
    static String argsort() {
        return "func.func @main(%k: tensor<65536xi32>) -> tensor<65536xi32> {\n"
                + "  %i = stablehlo.iota dim = 0 : tensor<65536xi32>\n"
                + sortPair("%s", "%k", "%i", 65536)
                + "  return %s#1 : tensor<65536xi32>\n}\n";
    }

    static String gatherRows(String result, String table, String idx, long rows, long cols, long n) {
        String et = cols == 0 ? "tensor<" + n + "xf32>" : "tensor<" + n + "x" + cols + "xf32>";
        String tt = cols == 0 ? "tensor<" + rows + "xf32>" : "tensor<" + rows + "x" + cols + "xf32>";
        return "  " + result + " = \"stablehlo.gather\"(" + table + ", " + idx + ") {\n"
                + "    dimension_numbers = #stablehlo.gather<" + (cols == 0 ? "" : "offset_dims = [1], ")
                + "collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>,\n"
                + "    slice_sizes = array<i64: 1" + (cols == 0 ? "" : ", " + cols) + ">, indices_are_sorted = false\n"
                + "  } : (" + tt + ", tensor<" + n + "x1xi32>) -> " + et + "\n";
    }

    static String gather() {
        return "func.func @main(%t: tensor<8192x1024xf32>, %i: tensor<65536x1xi32>) -> tensor<65536x1024xf32> {\n"
                + gatherRows("%g", "%t", "%i", 8192, 1024, 65536)
                + "  return %g : tensor<65536x1024xf32>\n}\n";
    }

    static String raggedDot(String result, String lhs, String rhs, long rows, long k, long n) {
        return "  " + result + " = \"chlo.ragged_dot\"(" + lhs + ", " + rhs + ", %gs) {\n"
                + "    ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [],\n"
                + "      lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>\n"
                + "  } : (tensor<" + rows + "x" + k + "xf32>, tensor<8x" + k + "x" + n + "xf32>, tensor<8xi64>) -> tensor<" + rows + "x" + n + "xf32>\n";
    }

    /**
     * An MoE layer forward, 4,096 tokens, H 1024, M 2816, 8 experts, top-2: router matmul, top_k, softmax of the
     * two gate logits, (token, slot) pairs sorted stably by expert, rows gathered, two ragged_dots with SiLU
     * between, gate-weighted, pairs put back in order (inverse permutation) and the two slots summed.
     */
    static String moe() {
        StringBuilder s = new StringBuilder();
        s.append("""
            func.func @main(%x: tensor<4096x1024xf32>, %wr: tensor<1024x8xf32>, %w1: tensor<8x1024x2816xf32>, %w2: tensor<8x2816x1024xf32>) -> tensor<4096x1024xf32> {
              %logits = stablehlo.dot_general %x, %wr, contracting_dims = [1] x [0] : (tensor<4096x1024xf32>, tensor<1024x8xf32>) -> tensor<4096x8xf32>
              %v, %e = chlo.top_k(%logits, k = 2) : tensor<4096x8xf32> -> (tensor<4096x2xf32>, tensor<4096x2xi32>)
              %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
              %zero = stablehlo.constant dense<0.0> : tensor<f32>
              %vm = stablehlo.reduce(%v init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<4096x2xf32>, tensor<f32>) -> tensor<4096xf32>
              %vmb = stablehlo.broadcast_in_dim %vm, dims = [0] : (tensor<4096xf32>) -> tensor<4096x2xf32>
              %vs = stablehlo.subtract %v, %vmb : tensor<4096x2xf32>
              %ve = stablehlo.exponential %vs : tensor<4096x2xf32>
              %vsum = stablehlo.reduce(%ve init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<4096x2xf32>, tensor<f32>) -> tensor<4096xf32>
              %vsb = stablehlo.broadcast_in_dim %vsum, dims = [0] : (tensor<4096xf32>) -> tensor<4096x2xf32>
              %gate = stablehlo.divide %ve, %vsb : tensor<4096x2xf32>
              %ef = stablehlo.reshape %e : (tensor<4096x2xi32>) -> tensor<8192xi32>
              %pair = stablehlo.iota dim = 0 : tensor<8192xi32>
            """);
        s.append(sortPair("%sorted", "%ef", "%pair", 8192));
        s.append("""
              %two = stablehlo.constant dense<2> : tensor<8192xi32>
              %tok = stablehlo.divide %sorted#1, %two : tensor<8192xi32>
              %tokc = stablehlo.reshape %tok : (tensor<8192xi32>) -> tensor<8192x1xi32>
            """);
        s.append(gatherRows("%xs", "%x", "%tokc", 4096, 1024, 8192));
        s.append("""
              %eb = stablehlo.broadcast_in_dim %ef, dims = [1] : (tensor<8192xi32>) -> tensor<8x8192xi32>
              %ei = stablehlo.iota dim = 0 : tensor<8x8192xi32>
              %eq = stablehlo.compare EQ, %eb, %ei, SIGNED : (tensor<8x8192xi32>, tensor<8x8192xi32>) -> tensor<8x8192xi1>
              %eqi = stablehlo.convert %eq : (tensor<8x8192xi1>) -> tensor<8x8192xi64>
              %izero = stablehlo.constant dense<0> : tensor<i64>
              %gs = stablehlo.reduce(%eqi init: %izero) applies stablehlo.add across dimensions = [1] : (tensor<8x8192xi64>, tensor<i64>) -> tensor<8xi64>
            """);
        s.append(raggedDot("%h", "%xs", "%w1", 8192, 1024, 2816));
        s.append("""
              %sg = stablehlo.logistic %h : tensor<8192x2816xf32>
              %act = stablehlo.multiply %h, %sg : tensor<8192x2816xf32>
            """);
        s.append(raggedDot("%y", "%act", "%w2", 8192, 2816, 1024));
        s.append("""
              %gflat = stablehlo.reshape %gate : (tensor<4096x2xf32>) -> tensor<8192xf32>
              %permc = stablehlo.reshape %sorted#1 : (tensor<8192xi32>) -> tensor<8192x1xi32>
            """);
        s.append(gatherRows("%gp", "%gflat", "%permc", 8192, 0, 8192));
        s.append("""
              %gpb = stablehlo.broadcast_in_dim %gp, dims = [0] : (tensor<8192xf32>) -> tensor<8192x1024xf32>
              %yw = stablehlo.multiply %y, %gpb : tensor<8192x1024xf32>
            """);
        s.append(sortPair("%inv", "%sorted#1", "%pair", 8192));
        s.append("  %invc = stablehlo.reshape %inv#1 : (tensor<8192xi32>) -> tensor<8192x1xi32>\n");
        s.append(gatherRows("%yo", "%yw", "%invc", 8192, 1024, 8192));
        s.append("""
              %y3 = stablehlo.reshape %yo : (tensor<8192x1024xf32>) -> tensor<4096x2x1024xf32>
              %out = stablehlo.reduce(%y3 init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<4096x2x1024xf32>, tensor<f32>) -> tensor<4096x1024xf32>
              return %out : tensor<4096x1024xf32>
            }
            """);
        return s.toString();
    }
}
