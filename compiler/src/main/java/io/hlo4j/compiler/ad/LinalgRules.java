package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Triangular solve and Cholesky, on batches of matrices (the last two dimensions).
 *
 * <p>{@code x = op(a)^-1 b} (left side; {@code x op(a) = b} on the right): b's cotangent is the solve with the
 * transposed matrix; a's is minus the outer product of that and x, kept to the triangle a is read from (strictly,
 * when the diagonal is implicitly one). Complex values use the unconjugated pairing, so only ADJOINT on complex
 * matrices (which would need a conjugate-only solve) is refused.
 *
 * <p>Cholesky (real): with L = chol(A) and P = tril(L^T Lbar) with its diagonal halved, S = L^-T P L^-1 is the
 * gradient with respect to the symmetric matrix A stands for. The op reads only A's lower triangle (upper for
 * {@code lower = false}, where U = L^T of the transposed problem), so a strictly-lower entry gets S_ij + S_ji and a
 * diagonal entry S_ii; the other triangle gets zero. (JAX differentiates the symmetrized input (A + A^T)/2 instead;
 * a caller that symmetrizes first gets JAX's numbers through the chain rule.) The result's other triangle is
 * implementation-defined, so it takes no cotangent.
 */
final class LinalgRules {
    private LinalgRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.triangular_solve", LinalgRules::triangularSolve);
        in.rule("stablehlo.cholesky", LinalgRules::cholesky);
    }

    private static List<Value> triangularSolve(Backward b, Operation op, List<Value> g) {
        Value a = op.operand(0), x = op.result(), ct = g.get(0);
        boolean left = flag(op, "left_side"), lower = flag(op, "lower"), unit = flag(op, "unit_diagonal");
        String tr = Attrs.get(op, "transpose_a", EnumAttr.class).value();
        if (tr.equals("ADJOINT") && Backward.tensor(a).elementType() instanceof ComplexType) {
            throw b.refuse(op, "transpose_a = ADJOINT on complex " + a.type() + " needs a conjugate-only solve; conjugate a and use TRANSPOSE");
        }
        boolean transposed = !tr.equals("NO_TRANSPOSE");
        Value ctB = solve(b, a, ct, left, lower, unit, transposed ? "NO_TRANSPOSE" : "TRANSPOSE");
        Value ctA;
        if (left) ctA = transposed ? matmul(b, x, mT(b, ctB)) : matmul(b, ctB, mT(b, x));
        else ctA = transposed ? matmul(b, mT(b, ctB), x) : matmul(b, mT(b, x), ctB);
        return List.of(triangle(b, b.neg(ctA), lower, unit), ctB);
    }

    private static List<Value> cholesky(Backward b, Operation op, List<Value> g) {
        if (!(Backward.tensor(op.operand(0)).elementType() instanceof io.hlo4j.mlir.types.FloatType)) {
            throw b.refuse(op, "the Cholesky VJP is implemented for real matrices only, got " + op.operand(0).type());
        }
        boolean lower = flag(op, "lower");
        Value l = lower ? op.result() : mT(b, op.result());
        Value lbar = triangle(b, lower ? g.get(0) : mT(b, g.get(0)), true, false);
        Value p = halveDiagonal(b, triangle(b, matmul(b, mT(b, l), lbar), true, false));
        Value s = solve(b, l, solve(b, l, p, true, true, false, "TRANSPOSE"), false, true, false, "NO_TRANSPOSE");
        // Lower-triangle read: S_ij + S_ji below the diagonal, S_ii on it.
        Value both = b.add(s, mT(b, s));
        Value ct = b.select(cmp(b, s, "GT"), both, b.select(cmp(b, s, "EQ"), s, b.zerosLike(s)));
        return List.of(lower ? ct : mT(b, ct));
    }

    static boolean flag(Operation op, String name) { return op.attr(name) instanceof BoolAttr f && f.value(); }

    private static Value solve(Backward b, Value a, Value rhs, boolean left, boolean lower, boolean unit, String transpose) {
        Map<String, Attribute> p = new TreeMap<>();
        p.put("left_side", BoolAttr.of(left));
        p.put("lower", BoolAttr.of(lower));
        p.put("unit_diagonal", BoolAttr.of(unit));
        p.put("transpose_a", EnumAttr.transpose(transpose));
        return b.ir().emit("stablehlo.triangular_solve", List.of(a, rhs), p, List.of(), List.of(rhs.type()), b.loc()).get(0);
    }

    /** Batched matrix product over the leading dimensions. */
    private static Value matmul(Backward b, Value x, Value y) {
        int r = Backward.tensor(x).rank();
        long[] batch = Attrs.iota(r - 2);
        return b.hlo().dotGeneral(x, y, batch, batch, new long[] {r - 1}, new long[] {r - 2}, Backward.tensor(x).elementType(), b.loc());
    }

    /** Swaps the last two dimensions. */
    static Value mT(Backward b, Value x) {
        int r = Backward.tensor(x).rank();
        long[] perm = Attrs.iota(r);
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        return b.hlo().transpose(x, perm, b.loc());
    }

    /** row (dir) column over the last two dimensions, as a boolean tensor of x's shape. */
    private static Value cmp(Backward b, Value x, String dir) {
        TensorType it = Backward.tensor(x).withElementType(IntegerType.I64);
        int r = it.rank();
        return b.compare(dir, b.hlo().iota(it, r - 2, b.loc()), b.hlo().iota(it, r - 1, b.loc()));
    }

    /** x with the other triangle (and the diagonal when {@code strict}) zeroed. */
    private static Value triangle(Backward b, Value x, boolean lower, boolean strict) {
        String dir = lower ? (strict ? "GT" : "GE") : (strict ? "LT" : "LE");
        return b.select(cmp(b, x, dir), x, b.zerosLike(x));
    }

    private static Value halveDiagonal(Backward b, Value x) {
        return b.select(cmp(b, x, "EQ"), b.scale(x, 0.5), x);
    }
}
