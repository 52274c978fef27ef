package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

/** {@code #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], ..., index_vector_dim = 1>}. */
public record ScatterDimensionNumbers(Dims updateWindowDims, Dims insertedWindowDims, Dims inputBatchingDims,
                                      Dims scatterIndicesBatchingDims, Dims scatterDimsToOperandDims,
                                      long indexVectorDim) implements DialectAttribute {
    @Override public String name() { return "stablehlo.scatter"; }

    @Override public String toString() {
        return StructText.of("#stablehlo.scatter")
                .dims("update_window_dims", updateWindowDims)
                .dims("inserted_window_dims", insertedWindowDims)
                .dims("input_batching_dims", inputBatchingDims)
                .dims("scatter_indices_batching_dims", scatterIndicesBatchingDims)
                .dims("scatter_dims_to_operand_dims", scatterDimsToOperandDims)
                .integer("index_vector_dim", indexVectorDim)
                .close();
    }

    public static ScatterDimensionNumbers parse(AsmParser p) {
        Dims[] d = {Dims.EMPTY, Dims.EMPTY, Dims.EMPTY, Dims.EMPTY, Dims.EMPTY};
        long[] ivd = {0};
        new StructFields("stablehlo.scatter")
                .field("update_window_dims", () -> d[0] = Dims.parse(p))
                .field("inserted_window_dims", () -> d[1] = Dims.parse(p))
                .field("input_batching_dims", () -> d[2] = Dims.parse(p))
                .field("scatter_indices_batching_dims", () -> d[3] = Dims.parse(p))
                .field("scatter_dims_to_operand_dims", () -> d[4] = Dims.parse(p))
                .field("index_vector_dim", () -> ivd[0] = p.parseInteger())
                .parse(p);
        return new ScatterDimensionNumbers(d[0], d[1], d[2], d[3], d[4], ivd[0]);
    }
}
