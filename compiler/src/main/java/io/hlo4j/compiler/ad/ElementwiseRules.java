package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.Arrays;
import java.util.List;

/** VJP rules of element-wise math: each operand's cotangent is the result cotangent times a local derivative. */
final class ElementwiseRules {
    private ElementwiseRules() {}

    /** dy/dx as a function of x and y (the residuals), multiplied into the cotangent by the caller. */
    private interface Deriv { Value of(Backward b, Value x, Value y); }

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.negate", (b, op, g) -> List.of(b.neg(g.get(0))));
        unary(in, "exponential", (b, x, y) -> y);
        unary(in, "exponential_minus_one", (b, x, y) -> b.add(y, b.fullLike(y, 1)));
        unary(in, "log", (b, x, y) -> b.div(b.fullLike(x, 1), x));
        unary(in, "log_plus_one", (b, x, y) -> b.div(b.fullLike(x, 1), b.add(x, b.fullLike(x, 1))));
        unary(in, "sqrt", (b, x, y) -> b.div(b.fullLike(y, 0.5), y));
        unary(in, "rsqrt", (b, x, y) -> b.div(b.scale(y, -0.5), x));
        unary(in, "cbrt", (b, x, y) -> b.div(y, b.scale(x, 3)));
        unary(in, "tanh", (b, x, y) -> b.sub(b.fullLike(y, 1), b.mul(y, y)));
        unary(in, "tan", (b, x, y) -> b.add(b.fullLike(y, 1), b.mul(y, y)));
        unary(in, "logistic", (b, x, y) -> b.mul(y, b.sub(b.fullLike(y, 1), y)));
        unary(in, "sine", (b, x, y) -> b.unary("cosine", x));
        unary(in, "cosine", (b, x, y) -> b.neg(b.unary("sine", x)));
        in.rule("stablehlo.abs", (b, op, g) -> List.of(ComplexRules.isComplex(op.operand(0))
                ? ComplexRules.absCotangent(b, op.operand(0), g.get(0))
                : b.mul(g.get(0), b.unary("sign", op.operand(0)))));
        // Real sign is piecewise constant (zero cotangent); complex sign is z / |z|, smooth away from 0.
        in.rule("stablehlo.sign", (b, op, g) -> List.of(ComplexRules.isComplex(op.operand(0))
                ? ComplexRules.signCotangent(b, op.operand(0), op.result(), g.get(0))
                : b.zerosLike(op.operand(0))));
        // chlo math used by the DSL's activations.
        chloUnary(in, "erf", (b, x, y) -> b.scale(b.unary("exponential", b.neg(b.mul(x, x))), 2 / Math.sqrt(Math.PI)));
        chloUnary(in, "sinh", (b, x, y) -> chloCall(b, "cosh", x));
        chloUnary(in, "cosh", (b, x, y) -> chloCall(b, "sinh", x));
        chloUnary(in, "tan", (b, x, y) -> b.add(b.fullLike(y, 1), b.mul(y, y)));
        chloUnary(in, "erfc", (b, x, y) -> b.scale(b.unary("exponential", b.neg(b.mul(x, x))), -2 / Math.sqrt(Math.PI)));
        chloUnary(in, "erf_inv", (b, x, y) -> b.scale(b.unary("exponential", b.mul(y, y)), Math.sqrt(Math.PI) / 2));
        chloUnary(in, "asin", (b, x, y) -> b.unary("rsqrt", b.sub(b.fullLike(x, 1), b.mul(x, x))));
        chloUnary(in, "acos", (b, x, y) -> b.neg(b.unary("rsqrt", b.sub(b.fullLike(x, 1), b.mul(x, x)))));
        chloUnary(in, "atanh", (b, x, y) -> b.div(b.fullLike(x, 1), b.sub(b.fullLike(x, 1), b.mul(x, x))));
        chloUnary(in, "asinh", (b, x, y) -> b.unary("rsqrt", b.add(b.mul(x, x), b.fullLike(x, 1))));
        chloUnary(in, "acosh", (b, x, y) -> b.unary("rsqrt", b.sub(b.mul(x, x), b.fullLike(x, 1))));
        chloUnary(in, "lgamma", (b, x, y) -> chloCall(b, "digamma", x));
        chloUnary(in, "atan", (b, x, y) -> b.div(b.fullLike(x, 1), b.add(b.fullLike(x, 1), b.mul(x, x))));

        in.rule("stablehlo.add", (b, op, g) -> List.of(g.get(0), g.get(0)));
        in.rule("stablehlo.subtract", (b, op, g) -> List.of(g.get(0), b.neg(g.get(0))));
        in.rule("stablehlo.multiply", (b, op, g) -> List.of(b.mul(g.get(0), op.operand(1)), b.mul(op.operand(0), g.get(0))));
        in.rule("stablehlo.divide", (b, op, g) -> {
            Value gx = b.div(g.get(0), op.operand(1));
            return List.of(gx, b.neg(b.mul(gx, op.result())));
        });
        in.rule("stablehlo.maximum", (b, op, g) -> chooser(b, op, g.get(0), "GT"));
        in.rule("stablehlo.minimum", (b, op, g) -> chooser(b, op, g.get(0), "LT"));
        in.rule("stablehlo.power", (b, op, g) -> {
            Value x = op.operand(0), y = op.operand(1), r = op.result();
            // d/dx x^y = y * x^(y-1) = y * r / x would fail at x = 0; use the power form.
            Value dx = b.mul(y, b.hlo().binary("power", x, b.sub(y, b.fullLike(y, 1)), b.loc()));
            Value dy = b.mul(r, b.unary("log", x));
            return List.of(b.mul(g.get(0), dx), b.mul(g.get(0), dy));
        });
        in.rule("stablehlo.atan2", (b, op, g) -> {
            Value y = op.operand(0), x = op.operand(1);
            Value den = b.add(b.mul(x, x), b.mul(y, y));
            return List.of(b.div(b.mul(g.get(0), x), den), b.neg(b.div(b.mul(g.get(0), y), den)));
        });
        in.rule("stablehlo.remainder", (b, op, g) -> {
            // x - trunc(x/y)*y: d/dx = 1, d/dy = -trunc(x/y) (trunc of the exact quotient = (x - rem)/y).
            Value q = b.div(b.sub(op.operand(0), op.result()), op.operand(1));
            return List.of(g.get(0), b.neg(b.mul(g.get(0), q)));
        });
    }

    private static void unary(VjpRules.Installer in, String mnemonic, Deriv d) {
        in.rule("stablehlo." + mnemonic, (b, op, g) -> List.of(b.mul(g.get(0), d.of(b, op.operand(0), op.result()))));
    }

    private static void chloUnary(VjpRules.Installer in, String mnemonic, Deriv d) {
        in.rule("chlo." + mnemonic, (b, op, g) -> List.of(b.mul(g.get(0), d.of(b, op.operand(0), op.result()))));
    }

    private static Value chloCall(Backward b, String mnemonic, Value x) {
        return b.ir().emit1("chlo." + mnemonic, List.of(x), java.util.Map.of(), b.loc());
    }

    /** max/min: the cotangent goes to the chosen side; ties split it evenly (as JAX does). */
    private static List<Value> chooser(Backward b, Operation op, Value g, String strict) {
        Value x = op.operand(0), y = op.operand(1);
        Value zero = b.zerosLike(g);
        Value xWins = b.compare(strict, x, y), tie = b.compare("EQ", x, y);
        Value half = b.scale(g, 0.5);
        Value gx = b.select(xWins, g, b.select(tie, half, zero));
        Value gy = b.select(xWins, zero, b.select(tie, half, g));
        return Arrays.asList(gx, gy);
    }
}
