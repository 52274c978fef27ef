package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

/** {@code #stablehlo.dot<lhs_batching_dimensions = [0], ...>}: which dimensions dot_general batches and contracts. */
public record DotDimensionNumbers(Dims lhsBatchingDimensions, Dims rhsBatchingDimensions,
                                  Dims lhsContractingDimensions, Dims rhsContractingDimensions)
        implements DialectAttribute {
    @Override public String name() { return "stablehlo.dot"; }

    @Override public String toString() {
        return StructText.of("#stablehlo.dot")
                .dims("lhs_batching_dimensions", lhsBatchingDimensions)
                .dims("rhs_batching_dimensions", rhsBatchingDimensions)
                .dims("lhs_contracting_dimensions", lhsContractingDimensions)
                .dims("rhs_contracting_dimensions", rhsContractingDimensions)
                .close();
    }

    public static DotDimensionNumbers parse(AsmParser p) {
        Dims[] d = {Dims.EMPTY, Dims.EMPTY, Dims.EMPTY, Dims.EMPTY};
        new StructFields("stablehlo.dot")
                .field("lhs_batching_dimensions", () -> d[0] = Dims.parse(p))
                .field("rhs_batching_dimensions", () -> d[1] = Dims.parse(p))
                .field("lhs_contracting_dimensions", () -> d[2] = Dims.parse(p))
                .field("rhs_contracting_dimensions", () -> d[3] = Dims.parse(p))
                .parse(p);
        return new DotDimensionNumbers(d[0], d[1], d[2], d[3]);
    }
}
