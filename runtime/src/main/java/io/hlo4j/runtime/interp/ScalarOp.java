package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

/**
 * A combiner region recognised as one primitive binary op ({@code ^bb0(%a, %b): %r = add %a, %b; return %r}),
 * so reductions can loop over primitive arrays instead of evaluating the region per element. Produces exactly
 * what evaluating the region would (same op, same rounding).
 */
final class ScalarOp {
    final String name;
    final ElementType type;
    final Elem elem;
    private final int code;
    private final FloatType floatType;

    private static final java.util.List<String> CODES = java.util.List.of("stablehlo.add", "stablehlo.multiply",
            "stablehlo.maximum", "stablehlo.minimum", "stablehlo.and", "stablehlo.or", "stablehlo.xor");

    private ScalarOp(String name, ElementType type) {
        this.name = name;
        this.type = type;
        this.elem = Elem.of(type);
        this.code = CODES.indexOf(name);
        this.floatType = type instanceof FloatType f ? f : null;
    }

    /** The fast form of {@code region} for element type {@code t}, or null when it is anything else. */
    static ScalarOp of(Region region, ElementType t) {
        if (region.blocks().size() != 1) return null;
        Block b = region.entry();
        if (b.arguments().size() != 2 || b.operations().size() != 2) return null;
        Operation op = b.operations().get(0), ret = b.operations().get(1);
        if (op.numOperands() != 2 || op.numResults() != 1 || ret.numOperands() != 1 || ret.operand(0) != op.result()) return null;
        boolean args = (op.operand(0) == b.argument(0) && op.operand(1) == b.argument(1))
                || (op.operand(0) == b.argument(1) && op.operand(1) == b.argument(0));
        if (!args) return null;
        if (!(op.result().type() instanceof TensorType rt) || !rt.elementType().equals(t)) return null;
        for (int i = 0; i < 2; i++) if (!(b.argument(i).type() instanceof TensorType at) || !at.elementType().equals(t)) return null;
        Elem e = Elem.of(t);
        String n = op.name();
        boolean ok = switch (n) {
            case "stablehlo.add", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum" -> e != Elem.COMPLEX;
            case "stablehlo.and", "stablehlo.or", "stablehlo.xor" -> e.isInt();
            default -> false;
        };
        return ok ? new ScalarOp(n, t) : null;
    }

    /** The float element type, or null for integers. */
    FloatType floatType() { return floatType; }

    double apply(double a, double b) {
        double r = switch (code) {
            case 0 -> a + b;
            case 1 -> a * b;
            case 2 -> Floats.max(a, b);
            case 3 -> Floats.min(a, b);
            default -> throw new IllegalStateException(name);
        };
        return Elem.round(floatType, r);
    }

    long apply(long a, long b) {
        long r = switch (code) {
            case 0 -> elem == Elem.BOOL ? a | b : a + b;
            case 1 -> a * b;
            case 2 -> ElementwiseKernels.cmpInt(a, b, type) >= 0 ? a : b;
            case 3 -> ElementwiseKernels.cmpInt(a, b, type) <= 0 ? a : b;
            case 4 -> a & b;
            case 5 -> a | b;
            case 6 -> a ^ b;
            default -> throw new IllegalStateException(name);
        };
        return Elem.wrap(type, r);
    }

    /** Combines element {@code i} of {@code x} into element {@code o} of {@code acc}. */
    void accumulate(Tensor acc, int o, Tensor x, int i) {
        if (elem.isInt()) acc.ints[o] = apply(acc.ints[o], x.ints[i]);
        else acc.re[o] = apply(acc.re[o], x.re[i]);
    }
}
