package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * chlo's special functions (as JAX's special.py): digamma' = polygamma(1, x); polygamma(n, x)' = polygamma(n+1, x)
 * in x; zeta(s, q)' = -s zeta(s+1, q) in q; bessel_i1e' = i0e(x) - i1e(x) (sign(x) + 1/x), 1/2 at x = 0, with i0e
 * emitted as its power series (|x| <= 20) or asymptotic expansion (beyond); conj sends c to conj(c) (unconjugated
 * pairing). polygamma's n and zeta's s have no derivative rule (JAX neither: polygamma is defined for integer n):
 * they must be constants or stop_gradient'ed, otherwise the op is refused by name. The implicitly broadcasting
 * forms go through {@link ChloBroadcastRules}; chlo._asin_acos_kernel (not holomorphic) has {@link AsinAcosKernelRule}.
 */
final class ChloMathRules {
    private ChloMathRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("chlo.digamma", (b, op, g) -> List.of(b.mul(g.get(0), polygamma(b, b.fullLike(op.operand(0), 1), op.operand(0)))));
        in.rule("chlo.polygamma", (b, op, g) -> {
            requireConstant(b, op, 0, "n");
            Value n = op.operand(0), x = op.operand(1);
            return Arrays.asList(null, b.mul(g.get(0), polygamma(b, b.add(n, b.fullLike(n, 1)), x)));
        });
        in.rule("chlo.zeta", (b, op, g) -> {
            requireConstant(b, op, 0, "s");
            Value s = op.operand(0), q = op.operand(1);
            Value d = b.neg(b.mul(s, b.ir().emit1("chlo.zeta", List.of(b.add(s, b.fullLike(s, 1)), q), Map.of(), b.loc())));
            return Arrays.asList(null, b.mul(g.get(0), d));
        });
        in.rule("chlo.bessel_i1e", (b, op, g) -> List.of(b.mul(g.get(0), besselI1eDerivative(b, op.operand(0), op.result()))));
        in.rule("chlo.conj", (b, op, g) -> {
            Value c = g.get(0);
            if (!(Backward.tensor(c).elementType() instanceof ComplexType)) return List.of(c);
            Value re = b.ir().emit1("stablehlo.real", List.of(c), Map.of(), b.loc());
            Value im = b.ir().emit1("stablehlo.imag", List.of(c), Map.of(), b.loc());
            return List.of(b.ir().emit1("stablehlo.complex", List.of(re, b.neg(im)), Map.of(), b.loc()));
        });
        AsinAcosKernelRule.install(in);
        in.nonDifferentiable("piecewise constant: the next representable float", "chlo.next_after", "chlo.broadcast_next_after");
    }

    private static Value polygamma(Backward b, Value n, Value x) {
        return b.ir().emit1("chlo.polygamma", List.of(n, x), Map.of(), b.loc());
    }

    private static final Set<String> CONSTANT_OPS = Set.of("stablehlo.constant", "chlo.constant", "chlo.constant_like",
            "stablehlo.iota");
    private static final Set<String> SHAPE_OPS = Set.of("stablehlo.broadcast_in_dim", "stablehlo.reshape", "stablehlo.convert",
            "stablehlo.broadcast", "stablehlo.transpose");

    /** Operand {@code i} must not carry a cotangent: a constant, a stop_gradient, or shaped/converted from one (or from integers). */
    private static void requireConstant(Backward b, Operation op, int i, String name) {
        if (!isConstant(op.operand(i), 4)) {
            throw b.refuse(op, "it has no derivative in its argument " + name + " (" + op.operand(i).type() + "), which is not a constant;"
                    + " make it one or wrap it in stop_gradient");
        }
    }

    private static boolean isConstant(Value v, int depth) {
        if (!Backward.differentiable(v.type())) return true;
        if (!(v instanceof OpResult r) || depth == 0) return false;
        Operation def = r.owner();
        if (CONSTANT_OPS.contains(def.name()) || def.attributes().contains(Autodiff.STOP_GRADIENT)) return true;
        return SHAPE_OPS.contains(def.name()) && def.numOperands() == 1 && isConstant(def.operand(0), depth - 1);
    }

    /**
     * d/dx i1e(x) = i0e(x) - i1e(x) (sign(x) + 1/x), with 1/2 at |x| below the type's epsilon (JAX's safe form). i0e
     * is sum_k (x^2/4)^k / (k!)^2 times exp(-|x|) for |x| <= 20 (45 terms), else
     * sum_k ((2k-1)!!)^2 / (k! 8^k |x|^k) / sqrt(2 pi |x|) (25 terms): relative error about 1e-15 in f64.
     */
    private static Value besselI1eDerivative(Backward b, Value x, Value y) {
        TensorType t = Backward.tensor(x);
        double eps = t.elementType().storageBytes() >= 8 ? Math.ulp(1.0) : Math.ulp(1.0f);
        Value a = b.unary("abs", x);
        Value notTiny = b.compare("GT", a, b.fullLike(x, eps));
        Value safe = b.select(notTiny, x, b.fullLike(x, eps));
        Value safeAbs = b.unary("abs", safe);
        // Power series on min(|x|, 20) (so large |x| does not overflow the unused branch).
        Value small = b.hlo().minimum(safeAbs, b.fullLike(x, 20), b.loc());
        Value q = b.scale(b.mul(small, small), 0.25);
        Value term = b.fullLike(x, 1), series = term;
        for (int k = 1; k <= 45; k++) {
            term = b.scale(b.mul(term, q), 1.0 / ((double) k * k));
            series = b.add(series, term);
        }
        series = b.mul(series, b.unary("exponential", b.neg(small)));
        // Asymptotic expansion on max(|x|, 20).
        Value large = b.hlo().maximum(safeAbs, b.fullLike(x, 20), b.loc());
        Value inv = b.div(b.fullLike(x, 1), large);
        Value c = b.fullLike(x, 1), asym = c;
        for (int k = 1; k <= 25; k++) {
            c = b.mul(b.scale(c, (2.0 * k - 1) * (2.0 * k - 1) / (8.0 * k)), inv);
            asym = b.add(asym, c);
        }
        asym = b.mul(asym, b.unary("rsqrt", b.scale(large, 2 * Math.PI)));
        Value i0e = b.select(b.compare("LE", safeAbs, b.fullLike(x, 20)), series, asym);
        Value d = b.sub(i0e, b.mul(y, b.add(b.unary("sign", safe), b.div(b.fullLike(x, 1), safe))));
        return b.select(notTiny, d, b.fullLike(x, 0.5));
    }
}
