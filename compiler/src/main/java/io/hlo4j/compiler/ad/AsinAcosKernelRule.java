package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.List;
import java.util.Map;

/**
 * VJP of {@code chlo._asin_acos_kernel}, the shared part of chlo's complex asin/acos/asinh/acosh decompositions.
 * With X = |re z|, Y = |im z|, a = (hypot(X + 1, Y) + hypot(X - 1, Y)) / 2 and z1 = X + iY (the first quadrant),
 * the kernel is w = sqrt(a^2 - X^2) + i acosh(a) = Re(sqrt(1 - z1^2)) + i Im(asin(z1)): even in re z and in im z,
 * not holomorphic. In the first quadrant asin(z1) = u + iv and sqrt(1 - z1^2) = cos(u + iv) = P - iQ with
 * P = w.re and Q = sin u sinh v = X tanh(w.im) (sin u = X / a, tanh v = sqrt(a^2 - 1) / a), so
 * h = 1 / sqrt(1 - z1^2) = 1 / (P - iQ) comes from the primal result without forming z^2 (no overflow at large
 * |z|). Since d sqrt(1 - z^2) = -z h dz and d asin(z) = h dz:
 * <pre>
 *   d w.re / dX = Re(-z1 h)    d w.re / dY = Im(z1 h)
 *   d w.im / dX = Im h         d w.im / dY = Re h
 * </pre>
 * and the signs of re z and im z multiply the X and Y columns. At re z = 0 the X column is zero (w is even and
 * smooth there) and sign(0) = 0 agrees. On the real axis w has kinks (w.im ~ |im z| for |re z| &lt; 1, w.re ~
 * |im z| for |re z| &gt; 1); there sign(0) = 0 gives the zero Y column, the mean of the one-sided derivatives. At
 * z = +-1 the derivative is infinite and the rule gives NaN (h = 1/0 computed as 0/0). The kernel's large-|z| branch (w.re = |im z|, w.im = log(2|z|))
 * matches these formulas to rounding.
 * <p>
 * Cotangents follow {@link ComplexRules}: c pairs with dw as Re(c dw), so the real gradients are
 * G_X = c.re dw.re/dX - c.im dw.im/dX (and likewise G_Y), and the cotangent of z is sign(re) G_X - i sign(im) G_Y.
 */
final class AsinAcosKernelRule {
    private AsinAcosKernelRule() {}

    static void install(VjpRules.Installer in) { in.rule("chlo._asin_acos_kernel", AsinAcosKernelRule::vjp); }

    private static List<Value> vjp(Backward b, Operation op, List<Value> g) {
        Value z = op.operand(0), w = op.result(), c = g.get(0);
        Value re = part(b, "real", z), im = part(b, "imag", z);
        Value x = b.unary("abs", re), y = b.unary("abs", im);
        Value p = part(b, "real", w);
        Value q = b.mul(x, b.unary("tanh", part(b, "imag", w)));
        // h = 1 / (p - iq) = (p + iq) / (p^2 + q^2), scaled by m = max(p, q) so the squares cannot overflow.
        Value m = b.hlo().maximum(p, q, b.loc());
        Value ps = b.div(p, m), qs = b.div(q, m);
        Value d = b.mul(m, b.add(b.mul(ps, ps), b.mul(qs, qs)));
        Value hr = b.div(ps, d), hi = b.div(qs, d);
        Value dReDx = b.sub(b.mul(y, hi), b.mul(x, hr)); // Re(-z1 h)
        Value dReDy = b.add(b.mul(x, hi), b.mul(y, hr)); // Im(z1 h)
        Value cr = part(b, "real", c), ci = part(b, "imag", c);
        Value gx = b.mul(b.unary("sign", re), b.sub(b.mul(cr, dReDx), b.mul(ci, hi)));
        Value gy = b.mul(b.unary("sign", im), b.sub(b.mul(cr, dReDy), b.mul(ci, hr)));
        return List.of(b.ir().emit1("stablehlo.complex", List.of(gx, b.neg(gy)), Map.of(), b.loc()));
    }

    private static Value part(Backward b, String which, Value v) {
        return b.ir().emit1("stablehlo." + which, List.of(v), Map.of(), b.loc());
    }
}
