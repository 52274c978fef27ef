package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/** {@code #sdy<manual_axes{"x", "y"}>}: the mesh axes a manual computation is manual on (whole axes only). */
public record ManualAxes(List<String> axes) implements DialectAttribute {
    public ManualAxes { axes = List.copyOf(axes); }

    public static ManualAxes of(String... axes) { return new ManualAxes(List.of(axes)); }

    public boolean contains(String axis) { return axes.contains(axis); }

    @Override public String name() { return "sdy"; }

    /** {@code {"x", "y"}}. */
    public String body() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : ", ").append(SdyText.quote(axes.get(i)));
        return sb.append('}').toString();
    }

    @Override public String toString() { return "#sdy<manual_axes" + body() + ">"; }
}
