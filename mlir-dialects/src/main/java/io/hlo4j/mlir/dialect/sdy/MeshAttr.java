package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.ArrayList;
import java.util.List;

/**
 * A Shardy mesh {@code #sdy.mesh<["x"=2, "y"=4], device_ids=[...]>}: named axes, major to minor, and an
 * optional device order. Device ids equal to iota are dropped, as upstream's builder does, so two meshes
 * that differ only in writing the iota order compare equal. {@code <[], device_ids=[3]>} is a maximal
 * mesh (everything on device 3).
 */
public record MeshAttr(List<Axis> axes, List<Long> deviceIds) implements DialectAttribute {
    /** One mesh axis, {@code "name"=size}. */
    public record Axis(String name, long size) {
        @Override public String toString() { return SdyText.quote(name) + "=" + size; }
    }

    public MeshAttr {
        axes = List.copyOf(axes);
        deviceIds = List.copyOf(deviceIds);
        if (!axes.isEmpty() && isIota(deviceIds) && deviceIds.size() == product(axes)) deviceIds = List.of();
    }

    public static MeshAttr of(Axis... axes) { return new MeshAttr(List.of(axes), List.of()); }

    private static long product(List<Axis> axes) {
        long n = 1;
        for (Axis a : axes) n = a.size > 0 && n <= Long.MAX_VALUE / a.size ? n * a.size : -1;
        return n;
    }

    private static boolean isIota(List<Long> ids) {
        for (int i = 0; i < ids.size(); i++) if (ids.get(i) != i) return false;
        return true;
    }

    public List<String> axisNames() { return axes.stream().map(Axis::name).toList(); }

    /** The size of the named axis, or -1 when the mesh has no such axis. */
    public long axisSize(String name) {
        for (Axis a : axes) if (a.name.equals(name)) return a.size;
        return -1;
    }

    public boolean hasAxis(String name) { return axisSize(name) >= 0; }

    /** Product of the axis sizes (1 for an empty or maximal mesh). */
    public long totalSize() {
        long n = 1;
        for (Axis a : axes) n = Math.multiplyExact(n, a.size);
        return n;
    }

    /** {@code <[], device_ids=[d]>}. */
    public boolean isMaximal() { return axes.isEmpty() && deviceIds.size() == 1; }

    /** The logical device of each mesh position in row-major order: the explicit ids, or iota. */
    public List<Long> deviceOrder() {
        if (!deviceIds.isEmpty()) return deviceIds;
        long n = totalSize();
        List<Long> ids = new ArrayList<>();
        for (long i = 0; i < n; i++) ids.add(i);
        return ids;
    }

    @Override public String name() { return "sdy.mesh"; }

    /** The text after the mnemonic: {@code <["x"=2], device_ids=[1, 0]>} (what {@code sdy.mesh @m = ...} and inline meshes print). */
    public String body() {
        StringBuilder sb = new StringBuilder("<[");
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : ", ").append(axes.get(i));
        sb.append(']');
        if (!deviceIds.isEmpty()) {
            sb.append(", device_ids=[");
            for (int i = 0; i < deviceIds.size(); i++) sb.append(i == 0 ? "" : ", ").append(deviceIds.get(i));
            sb.append(']');
        }
        return sb.append('>').toString();
    }

    @Override public String toString() { return "#sdy.mesh" + body(); }
}
