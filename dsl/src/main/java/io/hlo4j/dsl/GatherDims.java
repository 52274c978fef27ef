package io.hlo4j.dsl;

import java.util.Arrays;

/**
 * The dimension numbers of {@link Indexing#gather}, named as in JAX's {@code lax.GatherDimensionNumbers}:
 * <ul>
 *   <li>{@code offsetDims}: the result dims (sorted) that hold the slice's kept (non-collapsed, non-batching) dims;</li>
 *   <li>{@code collapsedSliceDims}: operand dims (sorted) whose slice size is 1 and that are dropped from the result;</li>
 *   <li>{@code startIndexMap}: for each entry of an index vector, the operand dim it starts;</li>
 *   <li>{@code operandBatchingDims} / {@code startIndicesBatchingDims}: paired dims of the operand and the indices
 *       that are matched element-wise (a batched gather; slice size 1, dropped from the result);</li>
 *   <li>{@code indexVectorDim}: the dim of the indices holding the index vectors; {@code -1} means the last one
 *       (JAX's convention); the indices' rank means an implicit trailing vector of length 1.</li>
 * </ul>
 */
public record GatherDims(int[] offsetDims, int[] collapsedSliceDims, int[] startIndexMap, int[] operandBatchingDims,
                         int[] startIndicesBatchingDims, int indexVectorDim) {
    /** Index vectors along the last dim of the indices. */
    public static final int LAST = -1;

    public GatherDims {
        offsetDims = offsetDims.clone();
        collapsedSliceDims = collapsedSliceDims.clone();
        startIndexMap = startIndexMap.clone();
        operandBatchingDims = operandBatchingDims.clone();
        startIndicesBatchingDims = startIndicesBatchingDims.clone();
    }

    /** No batching dims; index vectors along the last dim of the indices (as {@code jax.lax.gather}). */
    public static GatherDims of(int[] offsetDims, int[] collapsedSliceDims, int[] startIndexMap) {
        return new GatherDims(offsetDims, collapsedSliceDims, startIndexMap, new int[0], new int[0], LAST);
    }

    /** The same dims with the index vectors along {@code dim} of the indices. */
    public GatherDims withIndexVectorDim(int dim) {
        return new GatherDims(offsetDims, collapsedSliceDims, startIndexMap, operandBatchingDims, startIndicesBatchingDims, dim);
    }

    /** The same dims with {@code operandDims[i]} of the operand batched with {@code indicesDims[i]} of the indices. */
    public GatherDims withBatching(int[] operandDims, int[] indicesDims) {
        return new GatherDims(offsetDims, collapsedSliceDims, startIndexMap, operandDims, indicesDims, indexVectorDim);
    }

    @Override public int[] offsetDims() { return offsetDims.clone(); }
    @Override public int[] collapsedSliceDims() { return collapsedSliceDims.clone(); }
    @Override public int[] startIndexMap() { return startIndexMap.clone(); }
    @Override public int[] operandBatchingDims() { return operandBatchingDims.clone(); }
    @Override public int[] startIndicesBatchingDims() { return startIndicesBatchingDims.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof GatherDims g && Arrays.equals(offsetDims, g.offsetDims) && Arrays.equals(collapsedSliceDims, g.collapsedSliceDims)
                && Arrays.equals(startIndexMap, g.startIndexMap) && Arrays.equals(operandBatchingDims, g.operandBatchingDims)
                && Arrays.equals(startIndicesBatchingDims, g.startIndicesBatchingDims) && indexVectorDim == g.indexVectorDim;
    }

    @Override public int hashCode() {
        return Arrays.deepHashCode(new Object[]{offsetDims, collapsedSliceDims, startIndexMap, operandBatchingDims, startIndicesBatchingDims,
                indexVectorDim});
    }

    /** As messages show it: {@code offsetDims=[1] collapsedSliceDims=[0] startIndexMap=[0] indexVectorDim=1}. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder("offsetDims=").append(Arrays.toString(offsetDims))
                .append(" collapsedSliceDims=").append(Arrays.toString(collapsedSliceDims))
                .append(" startIndexMap=").append(Arrays.toString(startIndexMap));
        if (operandBatchingDims.length > 0 || startIndicesBatchingDims.length > 0) {
            sb.append(" operandBatchingDims=").append(Arrays.toString(operandBatchingDims))
                    .append(" startIndicesBatchingDims=").append(Arrays.toString(startIndicesBatchingDims));
        }
        return sb.append(" indexVectorDim=").append(indexVectorDim == LAST ? "last" : String.valueOf(indexVectorDim)).toString();
    }
}
