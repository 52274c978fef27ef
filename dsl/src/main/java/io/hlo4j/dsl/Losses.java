package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

import java.util.Arrays;

/**
 * optax's losses, per example (no reduction: take {@code mean} or a masked mean yourself, as with optax). Each is a
 * composition of element-wise ops, reductions and a gather, so gradients come from those ops' rules.
 */
public final class Losses {
    private Losses() {}

    /**
     * {@code optax.softmax_cross_entropy(logits, labels)}: {@code -sum(labels * log_softmax(logits), axis=-1)}, labels
     * a distribution over the last axis (same shape and dtype as logits).
     */
    public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels) { return softmaxCrossEntropy(logits, labels, -1, null); }

    /**
     * As above over {@code axis}; {@code where} (bool, null for none) leaves classes out of the softmax and the sum, as
     * optax's {@code where=}; one of logits' rank less is expanded at {@code axis} first (a per-example mask).
     */
    public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels, int axis, Tensor where) {
        Location loc = SourceLoc.here();
        String op = "softmaxCrossEntropy";
        Ops.requireFloat(op, logits, loc);
        if (!Arrays.equals(labels.dims(), logits.dims()) || labels.dtype() != logits.dtype()) {
            throw new DslException(op, "labels " + labels.describe() + " must have the logits' shape and dtype " + logits.describe(), loc);
        }
        int a = Ops.axis(logits, axis, op, loc);
        Tensor w = expandWhere(op, where, logits, a, loc);
        Tensor logp = Nn.logSoftmax(logits, a, w);
        Tensor prod = Ops.mul(labels, logp);
        if (w != null) prod = Ops.where(w, prod, Ops.scalar(0, logits.dtype()));
        return Ops.neg(Reductions.sum(prod, a));
    }

    /**
     * {@code optax.softmax_cross_entropy_with_integer_labels(logits, labels)}: {@code logsumexp(logits) - logits[label]}
     * over the last axis; labels are integers of logits' shape without that axis. As in JAX, a negative label counts
     * from the end and one out of range reads NaN (the gather's fill mode), so mask such positions with {@code where}.
     */
    public static Tensor softmaxCrossEntropyWithIntegerLabels(Tensor logits, Tensor labels) {
        return softmaxCrossEntropyWithIntegerLabels(logits, labels, -1, null);
    }

    /**
     * As above over {@code axis}; {@code where} (bool, logits' shape or one rank less) leaves classes out of the
     * normaliser, and an example with no class left gets loss 0 (optax's {@code where=}).
     */
    public static Tensor softmaxCrossEntropyWithIntegerLabels(Tensor logits, Tensor labels, int axis, Tensor where) {
        Location loc = SourceLoc.here();
        String op = "softmaxCrossEntropyWithIntegerLabels";
        Ops.requireFloat(op, logits, loc);
        int a = Ops.axis(logits, axis, op, loc);
        long[] want = new long[logits.rank() - 1];
        for (int i = 0, j = 0; i < logits.rank(); i++) if (i != a) want[j++] = logits.dims()[i];
        if (!labels.dtype().isInteger() || !Arrays.equals(labels.dims(), want)) {
            throw new DslException(op, "labels " + labels.describe() + " must be integers of shape " + Arrays.toString(want) + " (logits "
                    + logits.describe() + " without axis " + a + ")", loc);
        }
        Tensor w = expandWhere(op, where, logits, a, loc);
        Tensor labelLogits = Ops.squeeze(Indexing.takeAlongAxis(logits, Ops.expandDims(labels, a), a, Indexing.Mode.FILL), a);
        Tensor normalisers = w == null ? Reductions.logsumexp(logits, a) : Nn.logsumexp(logits, a, w);
        Tensor out = Ops.sub(normalisers, labelLogits);
        if (w != null) out = Ops.where(Reductions.any(Ops.broadcastTo(w, logits.dims()), a), out, Ops.scalar(0, logits.dtype()));
        return out;
    }

    private static Tensor expandWhere(String op, Tensor where, Tensor logits, int a, Location loc) {
        if (where == null) return null;
        Tensor w = where.rank() == logits.rank() - 1 ? Ops.expandDims(where, a) : where;
        return Nn.mask(op, w, logits, loc);
    }

    /**
     * {@code optax.sigmoid_binary_cross_entropy(logits, labels)}: {@code -labels log sigmoid(logits) - (1 - labels) log
     * sigmoid(-logits)}, element-wise; labels (probabilities) are cast to the logits' dtype and broadcast.
     */
    public static Tensor sigmoidBinaryCrossEntropy(Tensor logits, Tensor labels) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("sigmoidBinaryCrossEntropy", logits, loc);
        Tensor y = Ops.astype(labels, logits.dtype());
        Tensor logP = Nn.logSigmoid(logits), logNotP = Nn.logSigmoid(Ops.neg(logits));
        return Ops.sub(Ops.neg(Ops.mul(y, logP)), Ops.mul(Ops.sub(1.0, y), logNotP));
    }

    /** {@code optax.squared_error(predictions, targets)}: {@code (p - t)^2}; the shapes must be equal (no broadcasting, as optax). */
    public static Tensor squaredError(Tensor predictions, Tensor targets) {
        return Ops.square(errors("squaredError", predictions, targets, SourceLoc.here()));
    }

    /** {@code optax.l2_loss(predictions, targets)}: {@code 0.5 (p - t)^2}. */
    public static Tensor l2Loss(Tensor predictions, Tensor targets) {
        return Ops.mul(Ops.square(errors("l2Loss", predictions, targets, SourceLoc.here())), 0.5);
    }

    /**
     * {@code optax.huber_loss(predictions, targets, delta=delta)}: {@code 0.5 e^2} where {@code |e| <= delta}, else
     * {@code 0.5 delta^2 + delta (|e| - delta)}; targets may be null (the predictions are the errors).
     */
    public static Tensor huberLoss(Tensor predictions, Tensor targets, double delta) {
        Location loc = SourceLoc.here();
        if (!(delta > 0)) throw new DslException("huberLoss", "delta must be positive, got " + delta, loc);
        Tensor abs = Ops.abs(errors("huberLoss", predictions, targets, loc));
        Tensor quadratic = Ops.minimum(abs, delta);
        return Ops.add(Ops.mul(Ops.square(quadratic), 0.5), Ops.mul(Ops.sub(abs, quadratic), delta));
    }

    /** {@code optax.log_cosh(predictions, targets)}: {@code logaddexp(e, -e) - log 2}, finite for large errors. */
    public static Tensor logCosh(Tensor predictions, Tensor targets) {
        Tensor e = errors("logCosh", predictions, targets, SourceLoc.here());
        return Ops.sub(Ops.logaddexp(e, Ops.neg(e)), Math.log(2));
    }

    /**
     * {@code optax.kl_divergence(log_predictions, targets)}: {@code sum(targets (log targets - log_predictions))} over
     * the last axis, a zero target contributing 0.
     */
    public static Tensor klDivergence(Tensor logPredictions, Tensor targets) {
        Location loc = SourceLoc.here();
        errors("klDivergence", logPredictions, targets, loc);
        Tensor zero = Ops.scalar(0, targets.dtype());
        Tensor logT = Ops.where(Ops.eq(targets, zero), zero, Ops.log(Ops.where(Ops.eq(targets, zero), Ops.scalar(1, targets.dtype()), targets)));
        return Reductions.sum(Ops.mul(targets, Ops.sub(logT, logPredictions)), -1);
    }

    /** {@code optax.smooth_labels(labels, alpha)}: {@code (1 - alpha) labels + alpha / num_classes} over the last axis. */
    public static Tensor smoothLabels(Tensor labels, double alpha) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("smoothLabels", labels, loc);
        if (labels.rank() == 0) throw new DslException("smoothLabels", "needs a class axis, got " + labels.describe(), loc);
        return Ops.add(Ops.mul(labels, 1 - alpha), alpha / labels.dim(-1));
    }

    private static Tensor errors(String op, Tensor p, Tensor t, Location loc) {
        Ops.requireFloat(op, p, loc);
        if (t == null) return p;
        if (!Arrays.equals(p.dims(), t.dims()) || p.dtype() != t.dtype()) {
            throw new DslException(op, "predictions " + p.describe() + " and targets " + t.describe() + " must have the same shape and dtype", loc);
        }
        return Ops.sub(p, t);
    }
}
