package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.TensorType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A transpose feeding a dot, through the interpreter, folded ({@link TransposeFolding}: the transpose's result has the
 * dot as its one reader) against unfolded (the same program also returning the transpose, so it runs): the MoE
 * training step's forms, in ms per call.
 * <ul>
 *   <li>{@code contract}: [4096, 1024] transposed to [1024, 4096], the lhs of a ragged_dot whose ragged dimension
 *   contracts (a weight gradient; {@link RaggedContractF32}), rhs [4096, 512], 8 groups of 512 rows;</li>
 *   <li>{@code rowgroups}: [8, 512, 1024] transposed to [8, 1024, 512], the rhs of a row-group ragged_dot (an input
 *   gradient), lhs [4096, 1024];</li>
 *   <li>{@code dot}: [4096, 1024] transposed to [1024, 4096] times [4096, 512] by dot_general (the fold composes the
 *   two permutations; here the dot's own is the identity, so the one copy left is the transpose's).</li>
 * </ul>
 * {@code bench/jmh.sh TransposeFoldingBench}; {@link #main} runs both interleaved in one JVM and prints per case the
 * least process CPU and wall time of 3 calls over rounds 3-10, and whether both gave the same bits:
 * {@code bench/jmh.sh --main io.hlo4j.runtime.interp.TransposeFoldingBench [case ...]}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class TransposeFoldingBench {
    @Param({"contract", "rowgroups", "dot"})
    public String form;

    Interpreter folded, unfolded;
    List<RtValue> in;
    Tensor out;

    static final String MODE2 = "#chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], "
            + "rhs_contracting_dimensions = [0], lhs_ragged_dimensions = [1], rhs_group_dimensions = []>";
    static final String MODE1 = "#chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], "
            + "rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>";

    static String program(String form, boolean returnTranspose) {
        String[] p = switch (form) { // x type, y type, transposed type, perm, dot line, result type
            case "contract" -> new String[] {"tensor<4096x1024xf32>", "tensor<4096x512xf32>", "tensor<1024x4096xf32>", "1, 0",
                    "\"chlo.ragged_dot\"(%t, %y, %g) {ragged_dot_dimension_numbers = " + MODE2 + "}", "tensor<8x1024x512xf32>"};
            case "rowgroups" -> new String[] {"tensor<8x512x1024xf32>", "tensor<4096x1024xf32>", "tensor<8x1024x512xf32>", "0, 2, 1",
                    "\"chlo.ragged_dot\"(%y, %t, %g) {ragged_dot_dimension_numbers = " + MODE1 + "}", "tensor<4096x512xf32>"};
            case "dot" -> new String[] {"tensor<4096x1024xf32>", "tensor<4096x512xf32>", "tensor<1024x4096xf32>", "1, 0",
                    "stablehlo.dot_general %t, %y, contracting_dims = [1] x [0]", "tensor<1024x512xf32>"};
            default -> throw new IllegalArgumentException(form);
        };
        String operands = form.equals("rowgroups") ? p[1] + ", " + p[2] : p[2] + ", " + p[1];
        String dotType = form.equals("dot") ? " : (" + operands + ") -> " + p[5] : " : (" + operands + ", tensor<8xi32>) -> " + p[5];
        String results = returnTranspose ? p[5] + ", " + p[2] : p[5];
        return "func.func @main(%x: " + p[0] + ", %y: " + p[1] + ", %g: tensor<8xi32>) -> (" + results + ") {\n"
                + "  %t = stablehlo.transpose %x, dims = [" + p[3] + "] : (" + p[0] + ") -> " + p[2] + "\n"
                + "  %d = " + p[4] + dotType + "\n"
                + "  return %d" + (returnTranspose ? ", %t" : "") + " : " + results + "\n}\n";
    }

    @Setup
    public void setup() {
        folded = new Interpreter(MlirParser.parseModule(program(form, false), "folded.mlir"));
        unfolded = new Interpreter(MlirParser.parseModule(program(form, true), "unfolded.mlir"));
        String[] xy = switch (form) {
            case "rowgroups" -> new String[] {"tensor<8x512x1024xf32>", "tensor<4096x1024xf32>"};
            default -> new String[] {"tensor<4096x1024xf32>", "tensor<4096x512xf32>"};
        };
        SplittableRandom r = new SplittableRandom(42);
        Tensor x = random(r, (TensorType) MlirParser.parseType(xy[0])), y = random(r, (TensorType) MlirParser.parseType(xy[1]));
        Tensor g = Tensor.zeros((TensorType) MlirParser.parseType("tensor<8xi32>"));
        for (int i = 0; i < 8; i++) g.ints[i] = 512;
        in = List.of(x, y, g);
    }

    static Tensor random(SplittableRandom r, TensorType t) {
        Tensor x = Tensor.zeros(t);
        for (int i = 0; i < x.size; i++) x.re[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @Benchmark
    public Tensor folded() { return out = (Tensor) folded.run(in).get(0); }

    @Benchmark
    public Tensor unfolded() { return out = (Tensor) unfolded.run(in).get(0); }

    public static void main(String[] args) {
        String[] forms = args.length > 0 ? args : new String[] {"contract", "rowgroups", "dot"};
        for (String form : forms) {
            TransposeFoldingBench bench = new TransposeFoldingBench();
            bench.form = form;
            bench.setup();
            String[] names = {"unfolded", "folded"};
            Runnable[] runs = {bench::unfolded, bench::folded};
            long[] cpu = new long[names.length], wall = new long[names.length];
            java.util.Arrays.fill(cpu, Long.MAX_VALUE);
            java.util.Arrays.fill(wall, Long.MAX_VALUE);
            long[][] bits = new long[names.length][];
            for (int round = 0; round < 11; round++) {
                for (int f = 0; f < names.length; f++) {
                    long c0 = MatmulBench.processCpuNanos(), w0 = System.nanoTime();
                    for (int call = 0; call < 3; call++) runs[f].run();
                    if (round >= 3) {
                        cpu[f] = Math.min(cpu[f], (MatmulBench.processCpuNanos() - c0) / 3);
                        wall[f] = Math.min(wall[f], (System.nanoTime() - w0) / 3);
                    }
                    if (round == 0) bits[f] = java.util.Arrays.stream(bench.out.re).mapToLong(Double::doubleToRawLongBits).toArray();
                }
            }
            for (int f = 0; f < names.length; f++) {
                System.out.printf(java.util.Locale.ROOT, "%-10s %-9s process CPU %8.2f ms, wall %8.2f ms%n", form, names[f], cpu[f] / 1e6, wall[f] / 1e6);
            }
            System.out.println(form + " same bits in both forms: " + java.util.Arrays.equals(bits[0], bits[1]));
        }
    }
}
