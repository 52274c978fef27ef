package io.hlo4j.mlir.dialect.sdy;

/**
 * A reference to a mesh axis, {@code "x"}, or to a sub-axis {@code "x":(pre)size}: the slice of size
 * {@code size} of axis x that follows the first {@code pre} (product of the sub-axis sizes to its left).
 * {@code preSize} and {@code size} are 0 for a full axis.
 */
public record AxisRef(String name, long preSize, long size) {
    public static AxisRef of(String name) { return new AxisRef(name, 0, 0); }
    public static AxisRef sub(String name, long preSize, long size) { return new AxisRef(name, preSize, size); }

    /** The part {@code (pre)size} of an axis of {@code axisSize} devices: the whole axis when it covers it, else a sub-axis. */
    public static AxisRef part(String name, long preSize, long size, long axisSize) {
        return preSize == 1 && size == axisSize ? of(name) : sub(name, preSize, size);
    }

    public boolean isSubAxis() { return size != 0; }

    /**
     * Whether this and {@code other} share devices' coordinates: the same axis, and a whole axis (a size-1 axis too,
     * whose range would look empty) or overlapping sub-axis ranges [pre, pre x size).
     */
    public boolean overlaps(AxisRef other) {
        if (!name.equals(other.name)) return false;
        if (!isSubAxis() || !other.isSubAxis()) return true;
        return Math.max(preSize, other.preSize) < Math.min(preSize * size, other.preSize * other.size);
    }

    /** The number of devices this reference splits over, given the mesh. */
    public long size(MeshAttr mesh) { return isSubAxis() ? size : mesh.axisSize(name); }

    @Override public String toString() {
        return SdyText.quote(name) + (isSubAxis() ? ":(" + preSize + ")" + size : "");
    }
}
