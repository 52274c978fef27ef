package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;

/**
 * Typed reads of the check ops' attributes with upstream's defaults applied, for the interpreter's check
 * kernels: almost-eq tolerance 1e-4, expect_close max 1 / min 0 ULP, probe iteration 0.
 */
public final class CheckAttrs {
    private CheckAttrs() {}

    public static final double DEFAULT_TOLERANCE = 1e-4;
    public static final long DEFAULT_MAX_ULP = 1;

    /** The constant of {@code expect_eq_const} / {@code expect_almost_eq_const}. */
    public static DenseElementsAttr value(Operation op) {
        Attribute a = op.attr("value");
        if (a instanceof DenseElementsAttr d) return d;
        throw OpSupport.fail(op, "has no dense 'value' attribute");
    }

    public static double tolerance(Operation op) {
        return op.attr("tolerance") instanceof FloatAttr f ? f.value() : DEFAULT_TOLERANCE;
    }

    public static long maxUlpDifference(Operation op) {
        return op.attr("max_ulp_difference") instanceof IntegerAttr i ? i.value() : DEFAULT_MAX_ULP;
    }

    public static long minUlpDifference(Operation op) {
        return op.attr("min_ulp_difference") instanceof IntegerAttr i ? i.value() : 0;
    }

    public static String probeId(Operation op) {
        if (op.attr("probe_id") instanceof StringAttr s) return s.value();
        throw OpSupport.fail(op, "has no string 'probe_id' attribute");
    }

    public static long iteration(Operation op) {
        return op.attr("iteration") instanceof IntegerAttr i ? i.value() : 0;
    }
}
