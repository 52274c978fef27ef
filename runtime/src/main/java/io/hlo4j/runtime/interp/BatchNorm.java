package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code batch_norm_inference}, {@code batch_norm_training} and {@code batch_norm_grad}, as the spec defines them
 * by decomposition: statistics over every dimension except {@code feature_index}, the biased (population)
 * variance, {@code stddev = sqrt(variance + epsilon)}. Float element types; computed in double per feature and
 * rounded once to the element type.
 */
final class BatchNorm {
    private BatchNorm() {}

    static void register() {
        Kernels.put("stablehlo.batch_norm_inference", BatchNorm::inference);
        Kernels.put("stablehlo.batch_norm_training", BatchNorm::training);
        Kernels.put("stablehlo.batch_norm_grad", BatchNorm::grad);
    }

    /** The operand viewed as [outer, features, inner] around the feature dimension. */
    private record Layout3(int outer, int features, int inner) {
        static Layout3 of(Operation op, Tensor x) {
            if (!(x.elementType instanceof FloatType)) throw InterpreterException.at(op, "operand must be a float tensor, got " + x.type);
            long fi = Attrs.integer(op, "feature_index", -1);
            if (fi < 0 || fi >= x.rank()) throw InterpreterException.at(op, "feature_index " + fi + " is outside " + x.type);
            int outer = 1, inner = 1;
            for (int i = 0; i < fi; i++) outer *= (int) x.shape[i];
            for (int i = (int) fi + 1; i < x.rank(); i++) inner *= (int) x.shape[i];
            return new Layout3(outer, (int) x.shape[(int) fi], inner);
        }

        int index(int o, int c, int i) { return (o * features + c) * inner + i; }

        int perFeature() { return outer * inner; }
    }

    private static List<RtValue> inference(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), scale = (Tensor) args.get(1), offset = (Tensor) args.get(2),
                mean = (Tensor) args.get(3), variance = (Tensor) args.get(4);
        Layout3 l = Layout3.of(op, x);
        StopCheck stop = StopCheck.current(); // polled per (feature, outer) row: inner may be 1
        double eps = epsilon(op, x);
        double[] out = new double[x.size];
        for (int c = 0; c < l.features; c++) {
            double sd = Math.sqrt(variance.re[c] + eps);
            for (int o = 0; o < l.outer; o++, stop.poll(l.inner)) for (int i = 0; i < l.inner; i++) {
                int k = l.index(o, c, i);
                out[k] = scale.re[c] * ((x.re[k] - mean.re[c]) / sd) + offset.re[c];
            }
        }
        return List.of(Tensor.ofDoubles((TensorType) op.resultTypes().get(0), out));
    }

    private static List<RtValue> training(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), scale = (Tensor) args.get(1), offset = (Tensor) args.get(2);
        Layout3 l = Layout3.of(op, x);
        StopCheck stop = StopCheck.current(); // polled per (feature, outer) row: inner may be 1
        double eps = epsilon(op, x);
        double[] out = new double[x.size], mean = new double[l.features], var = new double[l.features];
        int n = l.perFeature();
        for (int c = 0; c < l.features; c++) {
            double s = 0;
            for (int o = 0; o < l.outer; o++, stop.poll(l.inner)) for (int i = 0; i < l.inner; i++) s += x.re[l.index(o, c, i)];
            double mu = s / n, v = 0;
            for (int o = 0; o < l.outer; o++, stop.poll(l.inner)) for (int i = 0; i < l.inner; i++) {
                double d = x.re[l.index(o, c, i)] - mu;
                v += d * d;
            }
            v /= n;
            mean[c] = mu;
            var[c] = v;
            double sd = Math.sqrt(v + eps);
            for (int o = 0; o < l.outer; o++, stop.poll(l.inner)) for (int i = 0; i < l.inner; i++) {
                int k = l.index(o, c, i);
                out[k] = scale.re[c] * ((x.re[k] - mu) / sd) + offset.re[c];
            }
        }
        List<io.hlo4j.mlir.types.Type> rt = op.resultTypes();
        return List.of(Tensor.ofDoubles((TensorType) rt.get(0), out), Tensor.ofDoubles((TensorType) rt.get(1), mean),
                Tensor.ofDoubles((TensorType) rt.get(2), var));
    }

    /**
     * The spec's decomposition: grad_operand = scale / stddev / N * (N * dy - sum(dy) - (x - mean) * sum(dy * (x -
     * mean)) / (variance + epsilon)), grad_scale = sum(dy * (x - mean) / stddev), grad_offset = sum(dy).
     */
    private static List<RtValue> grad(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), scale = (Tensor) args.get(1), mean = (Tensor) args.get(2),
                variance = (Tensor) args.get(3), dy = (Tensor) args.get(4);
        Layout3 l = Layout3.of(op, x);
        StopCheck stop = StopCheck.current(); // polled per (feature, outer) row: inner may be 1
        double eps = epsilon(op, x);
        int n = l.perFeature();
        double[] gx = new double[x.size], gScale = new double[l.features], gOffset = new double[l.features];
        for (int c = 0; c < l.features; c++) {
            double mu = mean.re[c], ve = variance.re[c] + eps, sd = Math.sqrt(ve);
            double sumDy = 0, sumDyCentered = 0;
            for (int o = 0; o < l.outer; o++, stop.poll(l.inner)) for (int i = 0; i < l.inner; i++) {
                int k = l.index(o, c, i);
                sumDy += dy.re[k];
                sumDyCentered += dy.re[k] * (x.re[k] - mu);
            }
            gOffset[c] = sumDy;
            gScale[c] = sumDyCentered / sd;
            double factor = scale.re[c] / sd / n;
            for (int o = 0; o < l.outer; o++, stop.poll(l.inner)) for (int i = 0; i < l.inner; i++) {
                int k = l.index(o, c, i);
                double centered = x.re[k] - mu;
                gx[k] = factor * ((double) n * dy.re[k] - sumDy - centered * sumDyCentered / ve);
            }
        }
        List<io.hlo4j.mlir.types.Type> rt = op.resultTypes();
        return List.of(Tensor.ofDoubles((TensorType) rt.get(0), gx), Tensor.ofDoubles((TensorType) rt.get(1), gScale),
                Tensor.ofDoubles((TensorType) rt.get(2), gOffset));
    }

    private static double epsilon(Operation op, Tensor x) {
        double e = Attrs.real(op, "epsilon", Double.NaN);
        if (Double.isNaN(e)) throw InterpreterException.at(op, "missing attribute epsilon");
        return e;
    }
}
