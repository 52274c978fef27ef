package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/** {@code #sdy<axis_ref_list{"x", "y":(1)2}>}: the reduction axes of {@code sdy.all_reduce}, printed {@code {"x"}} in pretty form. */
public record AxisRefList(List<AxisRef> axes) implements DialectAttribute {
    public AxisRefList { axes = List.copyOf(axes); }

    @Override public String name() { return "sdy"; }

    public String body() { return "{" + SdyText.axes(axes) + "}"; }

    @Override public String toString() { return "#sdy<axis_ref_list" + body() + ">"; }
}
