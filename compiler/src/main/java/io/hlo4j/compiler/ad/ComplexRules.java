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

    private static Value part(Backward b, String which, Value c) {
        return b.ir().emit1("stablehlo." + which, List.of(c), Map.of(), b.loc());
    }

    private static Value complex(Backward b, Value re, Value im) {
        return b.ir().emit1("stablehlo.complex", List.of(re, im), Map.of(), b.loc());
    }
}
