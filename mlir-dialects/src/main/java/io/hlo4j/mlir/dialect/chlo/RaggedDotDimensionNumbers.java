package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/**
 * {@code #chlo.ragged_dot<lhs_batching_dimensions = [..], rhs_batching_dimensions = [..],
 * lhs_contracting_dimensions = [..], rhs_contracting_dimensions = [..], lhs_ragged_dimensions = [..],
 * rhs_group_dimensions = [..]>}. Upstream prints the fields in this order and omits empty ones.
 */
public record RaggedDotDimensionNumbers(List<Long> lhsBatchingDimensions, List<Long> rhsBatchingDimensions,
                                        List<Long> lhsContractingDimensions, List<Long> rhsContractingDimensions,
                                        List<Long> lhsRaggedDimensions, List<Long> rhsGroupDimensions)
        implements DialectAttribute {
    /** The field keywords in upstream's order. */
    public static final List<String> FIELDS = List.of("lhs_batching_dimensions", "rhs_batching_dimensions",
            "lhs_contracting_dimensions", "rhs_contracting_dimensions", "lhs_ragged_dimensions", "rhs_group_dimensions");

    public RaggedDotDimensionNumbers {
        lhsBatchingDimensions = List.copyOf(lhsBatchingDimensions);
        rhsBatchingDimensions = List.copyOf(rhsBatchingDimensions);
        lhsContractingDimensions = List.copyOf(lhsContractingDimensions);
        rhsContractingDimensions = List.copyOf(rhsContractingDimensions);
        lhsRaggedDimensions = List.copyOf(lhsRaggedDimensions);
        rhsGroupDimensions = List.copyOf(rhsGroupDimensions);
    }

    /** Field {@code i} in {@link #FIELDS} order. */
    public List<Long> field(int i) {
        return switch (i) {
            case 0 -> lhsBatchingDimensions;
            case 1 -> rhsBatchingDimensions;
            case 2 -> lhsContractingDimensions;
            case 3 -> rhsContractingDimensions;
            case 4 -> lhsRaggedDimensions;
            case 5 -> rhsGroupDimensions;
            default -> throw new IndexOutOfBoundsException(i);
        };
    }

    @Override public String name() { return "chlo.ragged_dot"; }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("#chlo.ragged_dot<");
        String sep = "";
        for (int i = 0; i < FIELDS.size(); i++) {
            List<Long> f = field(i);
            if (f.isEmpty()) continue;
            sb.append(sep).append(FIELDS.get(i)).append(" = [");
            for (int j = 0; j < f.size(); j++) sb.append(j == 0 ? "" : ", ").append(f.get(j));
            sb.append(']');
            sep = ", ";
        }
        return sb.append('>').toString();
    }
}
