package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/**
 * {@code #sdy<all_to_all_param_list[{"x"}: 0->2, {"y"}: 1->3]>}: for each all-to-all, the axes it runs on,
 * the dimension that is split ({@code sourceDim}) and the one that is gathered ({@code targetDim}).
 */
public record AllToAllParams(List<Param> params) implements DialectAttribute {
    public record Param(List<AxisRef> axes, long sourceDim, long targetDim) {
        public Param { axes = List.copyOf(axes); }
        @Override public String toString() { return "{" + SdyText.axes(axes) + "}: " + sourceDim + "->" + targetDim; }
    }

    public AllToAllParams { params = List.copyOf(params); }

    @Override public String name() { return "sdy"; }

    public String body() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < params.size(); i++) sb.append(i == 0 ? "" : ", ").append(params.get(i));
        return sb.append(']').toString();
    }

    @Override public String toString() { return "#sdy<all_to_all_param_list" + body() + ">"; }
}
