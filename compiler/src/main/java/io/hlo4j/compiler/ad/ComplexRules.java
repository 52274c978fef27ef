package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Value;

import java.util.List;
import java.util.Map;

/**
 * complex/real/imag under JAX's convention: a cotangent c of a complex value z pairs with a tangent dz as
 * Re(c * dz), with no conjugation (so the cotangent of z for a real loss is the conjugate of the usual
 * Wirtinger gradient df/dx + i df/dy). Hence complex(x, y) sends c to (re c, -im c), real(z) sends t to t + 0i
 * and imag(z) sends t to 0 - t i. Multiplication's rule (ct * other operand) is consistent with this pairing.
 */
final class ComplexRules {
    private ComplexRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.complex", (b, op, g) -> {
            Value c = g.get(0);
            return List.of(b.castLike(part(b, "real", c), op.operand(0)), b.castLike(b.neg(part(b, "imag", c)), op.operand(1)));
        });
        in.rule("stablehlo.real", (b, op, g) -> List.of(complex(b, g.get(0), b.zerosLike(g.get(0)))));
        in.rule("stablehlo.imag", (b, op, g) -> List.of(complex(b, b.zerosLike(g.get(0)), b.neg(g.get(0)))));
    }

    static boolean isComplex(Value v) {
        return v.type() instanceof io.hlo4j.mlir.types.TensorType t && t.elementType() instanceof io.hlo4j.mlir.types.ComplexType;
    }

    /** |z| (real result, cotangent g): g * conj(sign z), i.e. g z-bar / |z| (0 at z = 0). */
    static Value absCotangent(Backward b, Value z, Value g) {
        return b.mul(complex(b, g, b.zerosLike(g)), conj(b, b.unary("sign", z)));
    }

    /**
     * sign z = z / |z| for z != 0. Its tangent is (dz - s Re(s-bar dz)) / |z|, so under the pairing Re(c * dz) the
     * cotangent is (c - Re(c s) s-bar) / |z|. At z = 0, where sign is not differentiable, 0 (as JAX gives for real
     * sign everywhere; JAX also gives 0 for complex z != 0, which finite differences contradict).
     */
    static Value signCotangent(Backward b, Value z, Value s, Value c) {
        Value a = b.unary("abs", z);
        Value sBar = conj(b, s);
        Value t = part(b, "real", b.mul(c, s));
        Value num = b.sub(c, b.mul(complex(b, t, b.zerosLike(t)), sBar));
        Value zero = b.compare("EQ", a, b.zerosLike(a));
        Value safe = b.select(zero, b.fullLike(a, 1), a);
        return b.select(zero, b.zerosLike(z), b.div(num, complex(b, safe, b.zerosLike(safe))));
    }

    private static Value conj(Backward b, Value z) {
        return complex(b, part(b, "real", z), b.neg(part(b, "imag", z)));
    }

    private static Value part(Backward b, String which, Value c) {
        return b.ir().emit1("stablehlo." + which, List.of(c), Map.of(), b.loc());
    }

    private static Value complex(Backward b, Value re, Value im) {
        return b.ir().emit1("stablehlo.complex", List.of(re, im), Map.of(), b.loc());
    }
}
