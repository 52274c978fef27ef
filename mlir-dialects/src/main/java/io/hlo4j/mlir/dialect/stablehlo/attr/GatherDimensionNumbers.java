package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

/** {@code #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], ..., index_vector_dim = 1>}. */
public record GatherDimensionNumbers(Dims offsetDims, Dims collapsedSliceDims, Dims operandBatchingDims,
                                     Dims startIndicesBatchingDims, Dims startIndexMap, long indexVectorDim)
        implements DialectAttribute {
    @Override public String name() { return "stablehlo.gather"; }

    @Override public String toString() {
        return StructText.of("#stablehlo.gather")
                .dims("offset_dims", offsetDims)
                .dims("collapsed_slice_dims", collapsedSliceDims)
                .dims("operand_batching_dims", operandBatchingDims)
                .dims("start_indices_batching_dims", startIndicesBatchingDims)
                .dims("start_index_map", startIndexMap)
                .integer("index_vector_dim", indexVectorDim)
                .close();
    }

    public static GatherDimensionNumbers parse(AsmParser p) {
        Dims[] d = {Dims.EMPTY, Dims.EMPTY, Dims.EMPTY, Dims.EMPTY, Dims.EMPTY};
        long[] ivd = {0};
        new StructFields("stablehlo.gather")
                .field("offset_dims", () -> d[0] = Dims.parse(p))
                .field("collapsed_slice_dims", () -> d[1] = Dims.parse(p))
                .field("operand_batching_dims", () -> d[2] = Dims.parse(p))
                .field("start_indices_batching_dims", () -> d[3] = Dims.parse(p))
                .field("start_index_map", () -> d[4] = Dims.parse(p))
                .field("index_vector_dim", () -> ivd[0] = p.parseInteger())
                .parse(p);
        return new GatherDimensionNumbers(d[0], d[1], d[2], d[3], d[4], ivd[0]);
    }
}
