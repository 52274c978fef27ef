package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * The batch_norm trio, differentiated through their definitions in element-wise ops and reductions over every
 * dimension but {@code feature_index} (N elements per feature): mean = sum(x)/N, var = sum((x-mean)^2)/N (biased),
 * y = scale * (x - mean) * rsqrt(var + epsilon) + offset. Training computes mean and var from x (so their
 * cotangents flow into x too); inference takes them as operands; batch_norm_grad is the training VJP written out
 * (grad_offset = sum(gy), grad_scale = sum(gy * xhat), grad_x = scale * rsqrt(var+eps) / N * (N gy - grad_offset -
 * xhat grad_scale)) with mean and var as operands, and is differentiated as such (second order).
 */
final class BatchNormRules {
    private BatchNormRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.batch_norm_training", (b, op, g) -> Decomposition.vjp(b, op, g, (sb, a) -> {
            Norm n = new Norm(sb, op, a.get(0));
            Value mean = n.mean(a.get(0));
            Value xc = sb.subtract(a.get(0), n.wide(mean), n.loc);
            Value var = n.mean(sb.multiply(xc, xc, n.loc));
            return List.of(n.normalize(xc, var, a.get(1), a.get(2)), mean, var);
        }));
        in.rule("stablehlo.batch_norm_inference", (b, op, g) -> Decomposition.vjp(b, op, g, (sb, a) -> {
            Norm n = new Norm(sb, op, a.get(0));
            Value xc = sb.subtract(a.get(0), n.wide(a.get(3)), n.loc);
            return List.of(n.normalize(xc, a.get(4), a.get(1), a.get(2)));
        }));
        in.rule("stablehlo.batch_norm_grad", (b, op, g) -> Decomposition.vjp(b, op, g, (sb, a) -> {
            Value x = a.get(0), scale = a.get(1), mean = a.get(2), var = a.get(3), gy = a.get(4);
            Norm n = new Norm(sb, op, x);
            Value inv = n.rsqrtVar(var);
            Value xhat = sb.multiply(sb.subtract(x, n.wide(mean), n.loc), n.wide(inv), n.loc);
            Value gOffset = n.sum(gy);
            Value gScale = n.sum(sb.multiply(gy, xhat, n.loc));
            Value inner = sb.subtract(sb.subtract(sb.multiply(gy, n.full(n.xt, n.count), n.loc), n.wide(gOffset), n.loc),
                    sb.multiply(xhat, n.wide(gScale), n.loc), n.loc);
            Value k = sb.divide(sb.multiply(scale, inv, n.loc), n.full(n.ft, n.count), n.loc);
            return List.of(sb.multiply(n.wide(k), inner, n.loc), gScale, gOffset);
        }));
    }

    /** Shapes and helpers of one batch-norm op: x's type, the per-feature type, the reduced dims, N and epsilon. */
    private static final class Norm {
        final StablehloBuilder sb;
        final Location loc;
        final TensorType xt, ft;
        final int feature;
        final long[] dims;
        final double count, eps;

        Norm(StablehloBuilder sb, Operation op, Value x) {
            this.sb = sb;
            this.loc = op.location();
            this.xt = Backward.tensor(x);
            this.feature = (int) Attrs.i64(op, "feature_index");
            this.ft = TensorType.of(xt.elementType(), xt.dim(feature));
            this.dims = new long[xt.rank() - 1];
            double c = 1;
            for (int d = 0, k = 0; d < xt.rank(); d++) if (d != feature) { dims[k++] = d; c *= xt.dim(d); }
            this.count = c;
            this.eps = Attrs.get(op, "epsilon", FloatAttr.class).value();
        }

        Value full(TensorType t, double v) { return sb.constant(t, v, loc); }
        Value sum(Value v) { return sb.reduce(v, full(TensorType.scalar(xt.elementType()), 0), dims, "add", loc); }
        Value mean(Value v) { return sb.divide(sum(v), full(ft, count), loc); }
        Value wide(Value perFeature) { return sb.broadcastInDim(perFeature, xt.shape(), new long[] {feature}, loc); }
        Value rsqrtVar(Value var) { return sb.unary("rsqrt", sb.add(var, full(ft, eps), loc), loc); }

        Value normalize(Value xc, Value var, Value scale, Value offset) {
            Value k = sb.multiply(scale, rsqrtVar(var), loc);
            return sb.add(sb.multiply(xc, wide(k), loc), wide(offset), loc);
        }
    }
}
