package io.hlo4j.runtime.bench;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;

import java.util.List;
import java.util.Locale;

/**
 * The kernels whose element loops the stop polls touch (serial convert and compare loops, f32 maximum, reductions
 * by maximum), each one op on 2^22 elements run through {@link Interpreter#run}: prints {@code name best_ms} (best of
 * {@code bench.repeat} after {@code bench.warmup} untimed runs). Meant to be run on the classes before and after a
 * change, alternately (docs/benchmarks-interpreter.md, "Stop polls in every data-sized kernel"). Usage:
 * {@code SerialLoopBench [case...]}.
 */
public final class SerialLoopBench {
    private SerialLoopBench() {}

    static final int N = 1 << 22;

    public static void main(String[] args) {
        int warmup = Integer.getInteger("bench.warmup", 5), repeat = Integer.getInteger("bench.repeat", 30);
        String l = "tensor<" + N + "xi64>", d = "tensor<" + N + "xf64>", f = "tensor<" + N + "xf32>";
        String rows = "tensor<4096x1024xf32>";
        long[] ints = new long[N];
        double[] xs = new double[N], ys = new double[N];
        for (int i = 0; i < N; i++) {
            ints[i] = (i * 7919L) % 100_003 - 50_000;
            xs[i] = (float) ((i * 7919L) % 1000 / 8.0 - 60);
            ys[i] = (float) ((i * 104_729L) % 1000 / 8.0 - 60);
        }
        Tensor li = Tensor.ofInts(TensorType.of(IntegerType.I64, N), ints);
        Tensor dx = Tensor.ofDoubles(TensorType.of(FloatType.F64, N), xs), dy = Tensor.ofDoubles(TensorType.of(FloatType.F64, N), ys);
        Tensor fx = Tensor.ofDoubles(TensorType.of(FloatType.F32, N), xs), fy = Tensor.ofDoubles(TensorType.of(FloatType.F32, N), ys);
        Tensor fr = Tensor.ofDoubles(TensorType.of(FloatType.F32, 4096, 1024), xs);
        Tensor fInit = Tensor.ofDoubles(TensorType.of(FloatType.F32), new double[] {Double.NEGATIVE_INFINITY});
        List<String> cases = args.length == 0 ? List.of("convert_i64_f64", "convert_i64_i32", "compare_f64", "maximum_f32", "reduce_max_f32") : List.of(args);
        for (String c : cases) {
            switch (c) {
                case "convert_i64_f64" -> run(c, one(List.of(l), d, "%r = stablehlo.convert %a0 : (" + l + ") -> " + d), List.of(li), warmup, repeat);
                case "convert_i64_i32" -> run(c, one(List.of(l), "tensor<" + N + "xi32>", "%r = stablehlo.convert %a0 : (" + l + ") -> tensor<" + N + "xi32>"),
                        List.of(li), warmup, repeat);
                case "compare_f64" -> run(c, one(List.of(d, d), "tensor<" + N + "xi1>", "%r = stablehlo.compare LT, %a0, %a1 : (" + d + ", " + d + ") -> tensor<" + N + "xi1>"),
                        List.of(dx, dy), warmup, repeat);
                case "maximum_f32" -> run(c, one(List.of(f, f), f, "%r = stablehlo.maximum %a0, %a1 : " + f), List.of(fx, fy), warmup, repeat);
                case "reduce_max_f32" -> run(c, one(List.of(rows, "tensor<f32>"), "tensor<4096xf32>",
                        "%r = stablehlo.reduce(%a0 init: %a1) applies stablehlo.maximum across dimensions = [1] : (" + rows + ", tensor<f32>) -> tensor<4096xf32>"),
                        List.of(fr, fInit), warmup, repeat);
                default -> throw new IllegalArgumentException("unknown case " + c);
            }
        }
    }

    /** @main(%a0.., ) computing {@code body} (which defines %r) and returning it. */
    private static String one(List<String> args, String result, String body) {
        StringBuilder s = new StringBuilder("func.func @main(");
        for (int i = 0; i < args.size(); i++) s.append(i == 0 ? "" : ", ").append("%a").append(i).append(": ").append(args.get(i));
        return s.append(") -> ").append(result).append(" {\n  ").append(body).append("\n  func.return %r : ").append(result).append("\n}\n").toString();
    }

    private static void run(String name, String text, List<? extends RtValue> in, int warmup, int repeat) {
        Interpreter interp = new Interpreter(MlirParser.parseModule(text, name + ".mlir"));
        double best = Double.MAX_VALUE;
        for (int i = 0; i < warmup + repeat; i++) {
            long t0 = System.nanoTime();
            interp.run(List.copyOf(in));
            double ms = (System.nanoTime() - t0) / 1e6;
            if (i >= warmup) best = Math.min(best, ms);
        }
        System.out.println(String.format(Locale.ROOT, "%s %.2f", name, best));
    }
}
