package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.hlo4j.runtime.interp.Ir.i64s;
import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Element-wise ops reading a deferred row broadcast: results against float/double arithmetic done here, and the
 * rule for when a broadcast may be deferred (every use a fusible op at the top level of its block).
 */
class BroadcastFusionTest {
    private static final List<String> OPS = List.of("add", "subtract", "multiply", "divide");

    private static double apply(String op, double a, double b, boolean f32) {
        if (f32) {
            float x = (float) a, y = (float) b;
            return switch (op) {
                case "add" -> x + y;
                case "subtract" -> x - y;
                case "multiply" -> x * y;
                default -> x / y;
            };
        }
        return switch (op) {
            case "add" -> a + b;
            case "subtract" -> a - b;
            case "multiply" -> a * b;
            default -> a / b;
        };
    }

    private static double[] random(int n, long seed, boolean f32) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double d = r.nextDouble(-3, 3);
            v[i] = f32 ? (float) d : d;
        }
        v[0] = 0.0; // a zero divisor / dividend somewhere
        return v;
    }

    @Test
    void fusedOpsMatchElementArithmetic() {
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            boolean f32 = ft == FloatType.F32;
            // [300, 257]: the parallel path, chunks that split rows; [3, 5] the serial one; rank-0 source: a scalar
            for (long[] rowsCols : List.of(shape(300, 257), shape(3, 5), shape(4, 6, 0))) {
                boolean scalar = rowsCols.length == 3;
                long rows = rowsCols[0], cols = rowsCols[1];
                int n = (int) (rows * cols);
                double[] xs = random(n, 7, f32), ss = random(scalar ? 1 : (int) rows, 11, f32);
                Tensor x = Ir.reals(ft, shape(rows, cols), xs.clone());
                Tensor s = scalar ? Ir.reals(ft, shape(), ss.clone()) : Ir.reals(ft, shape(rows), ss.clone());
                for (String op : OPS) {
                    for (boolean bcastLhs : List.of(false, true)) {
                        Ir ir = new Ir();
                        Value xv = ir.arg(x.type), sv = ir.arg(s.type);
                        Value b = ir.op("stablehlo.broadcast_in_dim", List.of(sv), t(ft, rows, cols),
                                "broadcast_dimensions", scalar ? i64s() : i64s(0));
                        Value r = ir.op("stablehlo." + op, bcastLhs ? List.of(b, xv) : List.of(xv, b), t(ft, rows, cols));
                        Operation f = ir.func("main", r);
                        assertThat(BroadcastFusion.deferrable(f.region(0).entry())).as("deferred").hasSize(1);
                        double[] out = ((Tensor) Ir.run(f, x, s).get(0)).re;
                        for (int i = 0; i < n; i++) {
                            double sv0 = ss[scalar ? 0 : (int) (i / cols)];
                            double want = bcastLhs ? apply(op, sv0, xs[i], f32) : apply(op, xs[i], sv0, f32);
                            assertThat(Double.doubleToRawLongBits(out[i])).as("%s %s %s lhs=%s element %d", ft, op, scalar ? "scalar" : "row", bcastLhs, i)
                                    .isEqualTo(Double.doubleToRawLongBits(want));
                        }
                    }
                }
            }
        }
    }

    @Test
    void twoDeferredOperands() {
        FloatType ft = FloatType.F32;
        Tensor a = Ir.reals(ft, shape(4), 1, 2, 3, 4), c = Ir.reals(ft, shape(4), 10, 20, 30, 40);
        Ir ir = new Ir();
        Value av = ir.arg(a.type), cv = ir.arg(c.type);
        Value ab = ir.op("stablehlo.broadcast_in_dim", List.of(av), t(ft, 4, 3), "broadcast_dimensions", i64s(0));
        Value cb = ir.op("stablehlo.broadcast_in_dim", List.of(cv), t(ft, 4, 3), "broadcast_dimensions", i64s(0));
        Value r = ir.op("stablehlo.subtract", List.of(ab, cb), t(ft, 4, 3));
        Operation f = ir.func("main", r);
        assertThat(BroadcastFusion.deferrable(f.region(0).entry())).hasSize(2);
        double[] out = ((Tensor) Ir.run(f, a, c).get(0)).re;
        for (int i = 0; i < 12; i++) assertThat(out[i]).isEqualTo(-9.0 * (i / 3 + 1));
    }

    @Test
    void broadcastsWithOtherUsesAreMaterialised() {
        FloatType ft = FloatType.F32;
        TensorType row = t(ft, 2), mat = t(ft, 2, 3);
        // returned as well as subtracted: not deferred
        Ir ir = new Ir();
        Value x = ir.arg(mat), s = ir.arg(row);
        Value b = ir.op("stablehlo.broadcast_in_dim", List.of(s), mat, "broadcast_dimensions", i64s(0));
        Value d = ir.op("stablehlo.subtract", List.of(x, b), mat);
        Operation f = ir.func("main", d, b);
        assertThat(BroadcastFusion.deferrable(f.region(0).entry())).isEmpty();
        List<RtValue> out = Ir.run(f, Ir.reals(ft, shape(2, 3), 1, 2, 3, 4, 5, 6), Ir.reals(ft, shape(2), 1, 2));
        assertThat(((Tensor) out.get(0)).re).containsExactly(0, 1, 2, 2, 3, 4);
        assertThat(((Tensor) out.get(1)).re).containsExactly(1, 1, 1, 2, 2, 2);

        // transposed broadcast (dims = [1]) or another op (maximum) as a user: not deferred
        Ir ir2 = new Ir();
        Value x2 = ir2.arg(t(ft, 3, 2)), s2 = ir2.arg(row);
        Value b2 = ir2.op("stablehlo.broadcast_in_dim", List.of(s2), t(ft, 3, 2), "broadcast_dimensions", i64s(1));
        Value m2 = ir2.op("stablehlo.add", List.of(x2, b2), t(ft, 3, 2));
        Block blk2 = ir2.func("main", m2).region(0).entry();
        assertThat(BroadcastFusion.deferrable(blk2)).isEmpty();
        Ir ir3 = new Ir();
        Value x3 = ir3.arg(mat), s3 = ir3.arg(row);
        Value b3 = ir3.op("stablehlo.broadcast_in_dim", List.of(s3), mat, "broadcast_dimensions", i64s(0));
        Value m3 = ir3.op("stablehlo.maximum", List.of(x3, b3), mat);
        assertThat(BroadcastFusion.deferrable(ir3.func("main", m3).region(0).entry())).isEmpty();
    }

    @Test
    void aUseInsideANestedRegionPreventsDeferral() {
        FloatType ft = FloatType.F32;
        TensorType row = t(ft, 2), mat = t(ft, 2, 3);
        Ir ir = new Ir();
        Value x = ir.arg(mat), s = ir.arg(row);
        Value b = ir.op("stablehlo.broadcast_in_dim", List.of(s), mat, "broadcast_dimensions", i64s(0));
        Value d = ir.op("stablehlo.subtract", List.of(x, b), mat);
        // an op whose region reads the broadcast (the structure is all the decision looks at)
        var region = Ir.region(List.of(), r -> List.of(r.op("stablehlo.add", List.of(b, b), mat)));
        ir.ops("stablehlo.case", List.of(ir.arg(t(io.hlo4j.mlir.types.IntegerType.I32))), List.of(mat), List.of(region));
        assertThat(BroadcastFusion.deferrable(ir.func("main", d).region(0).entry())).isEmpty();
    }
}
