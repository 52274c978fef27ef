package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/**
 * {@code #sdy<list_of_axis_ref_lists[{"x"}, {}]>}: per tensor dimension, the axes an {@code sdy.all_gather},
 * {@code all_slice} or {@code reduce_scatter} works on; printed {@code [{"x"}, {}]} in pretty form.
 */
public record AxisRefListPerDim(List<AxisRefList> dims) implements DialectAttribute {
    public AxisRefListPerDim { dims = List.copyOf(dims); }

    public List<AxisRef> axesOfDim(int d) { return dims.get(d).axes(); }

    @Override public String name() { return "sdy"; }

    public String body() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.size(); i++) sb.append(i == 0 ? "" : ", ").append(dims.get(i).body());
        return sb.append(']').toString();
    }

    @Override public String toString() { return "#sdy<list_of_axis_ref_lists" + body() + ">"; }
}
