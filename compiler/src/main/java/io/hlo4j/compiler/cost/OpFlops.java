package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.TensorType;

import java.util.Set;

/**
 * Floating-point (and integer) operations of one op, counted as XLA's cost analysis does: a multiply-add is
 * two, an elementwise op one per result element, a reduction one per input element per op of its body.
 * Data movement (reshape, transpose, slice, broadcast, convert, ...) costs none.
 */
public final class OpFlops {
    private OpFlops() {}

    /** Elementwise ops that only move or reinterpret bits. */
    private static final Set<String> FREE = Set.of("stablehlo.convert", "stablehlo.bitcast_convert", "stablehlo.real",
            "stablehlo.imag", "stablehlo.complex", "stablehlo.reduce_precision");

    /** The op's FLOPs, and whether the count is an upper bound (ragged_dot with group sizes not constant). */
    public record Count(long flops, boolean bound) {
        static final Count ZERO = new Count(0, false);
        static Count exact(long f) { return new Count(f, false); }
    }

    public static Count of(Operation op) {
        return switch (op.name()) {
            case "stablehlo.dot_general" -> Count.exact(dotGeneral(op));
            case "stablehlo.dot" -> Count.exact(m(2, TensorBytes.elements(op.result().type()), contractedSize(op)));
            case "chlo.ragged_dot" -> raggedDot(op);
            case "stablehlo.convolution" -> Count.exact(convolution(op));
            case "stablehlo.reduce" -> Count.exact(reduction(op));
            case "stablehlo.reduce_window" -> Count.exact(reduceWindow(op));
            default -> elementwise(op);
        };
    }

    /** 2 x batch x M x N x K: twice the result's elements times the contracted size. */
    static long dotGeneral(Operation op) {
        TensorType lhs = tensor(op.operand(0), op);
        DotDimensionNumbers dn = (DotDimensionNumbers) required(op, "dot_dimension_numbers");
        long k = 1;
        Dims c = dn.lhsContractingDimensions();
        for (int i = 0; i < c.size(); i++) k = m(k, lhs.dim((int) c.get(i)));
        return m(2, TensorBytes.elements(op.result().type()), k);
    }

    private static long contractedSize(Operation op) {
        TensorType lhs = tensor(op.operand(0), op);
        return lhs.rank() == 0 ? 1 : lhs.dim(lhs.rank() - 1);
    }

    /**
     * chlo.ragged_dot, lhs [.., m, k], rhs [g, k, n] with group sizes [g]: when the ragged dimension is a
     * non-contracting one of lhs, only the rows the groups cover multiply (2 x covered rows x k x n x batch);
     * when it is the contracting one, each group contracts over its own slice of k. With group sizes that are
     * not a constant the count is the bound in which the groups cover everything.
     */
    static Count raggedDot(Operation op) {
        TensorType lhs = tensor(op.operand(0), op);
        RaggedDotDimensionNumbers dn = (RaggedDotDimensionNumbers) required(op, "ragged_dot_dimension_numbers");
        long k = 1;
        for (long d : dn.lhsContractingDimensions()) k = m(k, lhs.dim((int) d));
        long resultElements = TensorBytes.elements(op.result().type());
        long[] sizes = constantInts(op.operand(2));
        if (dn.lhsRaggedDimensions().isEmpty()) return Count.exact(m(2, resultElements, k));
        int ragged = (int) (long) dn.lhsRaggedDimensions().get(0);
        long raggedSize = lhs.dim(ragged);
        if (raggedSize == 0) return Count.exact(0); // no rows to multiply, whatever the group sizes
        if (dn.lhsContractingDimensions().contains((long) ragged)) {
            // The result gains a leading group dimension: [g, .., m, n]; each group contracts over its slice.
            long perGroupResult = resultElements / Math.max(1, tensor(op.operand(2), op).dim(0));
            long kOther = k / raggedSize;
            long covered = sizes == null ? raggedSize : Math.min(raggedSize, sum(op, sizes));
            return new Count(m(2, perGroupResult, kOther, covered), sizes == null);
        }
        if (dn.lhsBatchingDimensions().contains((long) ragged)) return Count.exact(m(2, resultElements, k));
        long covered = sizes == null ? raggedSize : Math.min(raggedSize, sum(op, sizes));
        return new Count(m(2, resultElements / raggedSize, covered, k), sizes == null);
    }

    /** 2 x output elements x (kernel elements / output features): one multiply-add per kernel tap and input feature. */
    static long convolution(Operation op) {
        TensorType kernel = tensor(op.operand(1), op);
        ConvDimensionNumbers dn = (ConvDimensionNumbers) required(op, "dimension_numbers");
        long outFeatures = kernel.dim((int) dn.kernelOutputFeatureDimension());
        long perOutput = TensorBytes.elements(kernel) / Math.max(1, outFeatures);
        return m(2, TensorBytes.elements(op.result(0).type()), perOutput);
    }

    /** One op of the body per element of the (first) input: a variadic reduce's body ops cover all its inputs. */
    static long reduction(Operation op) {
        return m(TensorBytes.elements(op.operand(0).type()), bodyOps(op));
    }

    /** One op of the body per window element per output element. */
    static long reduceWindow(Operation op) {
        long window = 1;
        if (op.attr("window_dimensions") instanceof io.hlo4j.mlir.attr.DenseArrayAttr w) {
            for (int i = 0; i < w.size(); i++) window = m(window, w.getLong(i));
        }
        return m(TensorBytes.elements(op.result(0).type()), window, bodyOps(op));
    }

    private static long bodyOps(Operation op) {
        if (op.regions().isEmpty() || op.region(0).isEmpty()) return 1;
        long n = op.region(0).entry().operations().stream().filter(o -> !o.name().endsWith(".return")).count();
        return Math.max(1, n);
    }

    private static Count elementwise(Operation op) {
        OpDef def = op.def();
        if (def == null || !def.has(OpTrait.ELEMENTWISE) || FREE.contains(op.name()) || op.numResults() == 0) return Count.ZERO;
        return Count.exact(TensorBytes.elements(op.result(0).type()));
    }

    /** The integers of a value defined by a constant op, or null when it is not a constant. */
    static long[] constantInts(Value v) {
        if (v instanceof OpResult r && r.owner().name().equals("stablehlo.constant")
                && r.owner().attr("value") instanceof DenseElementsAttr d) {
            return TensorBytes.intValues(d);
        }
        return null;
    }

    /**
     * The constant group sizes' total, exact. A negative size is refused, not clamped: no run can have one (the groups
     * partition the ragged rows), so it is a broken program, and clamping would report FLOPs for a program that fails.
     */
    private static long sum(Operation op, long[] sizes) {
        long s = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 0) {
                throw new Hlo4jException(op.name() + ": group size " + i + " is negative ("
                        + sizes[i] + ") in group_sizes " + java.util.Arrays.toString(sizes), op.location());
            }
            s = Math.addExact(s, sizes[i]);
        }
        return s;
    }

    /** The product; past 64 bits an ArithmeticException, which {@link CostAnalysis} reports naming the op. */
    private static long m(long... xs) {
        long p = 1;
        for (long x : xs) p = Math.multiplyExact(p, x);
        return p;
    }

    private static TensorType tensor(Value v, Operation op) {
        if (v.type() instanceof TensorType t) return t;
        throw new Hlo4jException(op.name() + ": operand is not a tensor: " + v.type(), op.location());
    }

    private static Attribute required(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a == null) throw new Hlo4jException(op.name() + " has no " + name, op.location());
        return a;
    }

}
