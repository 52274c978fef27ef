package io.hlo4j.compiler.spmd;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;

import java.util.ArrayList;
import java.util.List;

/**
 * Splitting a mesh axis (or sub-axis) into its major and minor parts, and joining neighbouring parts back. A reshape
 * that splits a dimension sharded on {@code "x"=4} into sizes {@code [2, 8]} gives the major dimension
 * {@code "x":(1)2} and the minor one {@code "x":(2)2}: device x's block of the input is then exactly its block of the
 * output. Joining writes {@code ["x":(1)2, "x":(2)2]} as {@code ["x"]}, so a merged dimension reads as it was declared.
 */
public final class SubAxes {
    private SubAxes() {}

    /** The major part of {@code a} of {@code n} devices ({@code n} divides a's size): a itself when n is its size. */
    public static AxisRef major(AxisRef a, long n, MeshAttr mesh) {
        long size = a.size(mesh);
        if (n <= 0 || size % n != 0) throw new IllegalArgumentException(a + " (size " + size + ") has no major part of size " + n);
        if (n == size) return a;
        return AxisRef.sub(a.name(), a.isSubAxis() ? a.preSize() : 1, n);
    }

    /** What is left of {@code a} after its major part of {@code n} devices (null when nothing is left). */
    public static AxisRef minor(AxisRef a, long n, MeshAttr mesh) {
        long size = a.size(mesh);
        if (n <= 0 || size % n != 0) throw new IllegalArgumentException(a + " (size " + size + ") has no major part of size " + n);
        if (n == size) return null;
        return AxisRef.sub(a.name(), (a.isSubAxis() ? a.preSize() : 1) * n, size / n);
    }

    /**
     * If {@code part} is {@code a} or its major part, what is left of {@code a} after it (an empty list when nothing
     * is, else one part); null when it is neither.
     */
    public static List<AxisRef> after(AxisRef a, AxisRef part, MeshAttr mesh) {
        if (a.equals(part)) return List.of();
        if (!a.name().equals(part.name()) || !part.isSubAxis()) return null;
        long pre = a.isSubAxis() ? a.preSize() : 1, size = a.size(mesh);
        if (part.preSize() != pre || part.size() >= size || size % part.size() != 0) return null;
        return List.of(minor(a, part.size(), mesh));
    }

    /** Joins neighbours {@code "x":(p)s, "x":(p*s)t} into {@code "x":(p)(s*t)}, and a part that covers its axis into the axis. */
    public static List<AxisRef> join(List<AxisRef> axes, MeshAttr mesh) {
        List<AxisRef> out = new ArrayList<>();
        for (AxisRef a : axes) {
            if (!out.isEmpty()) {
                AxisRef last = out.getLast();
                if (last.isSubAxis() && a.isSubAxis() && last.name().equals(a.name()) && last.preSize() * last.size() == a.preSize()) {
                    out.set(out.size() - 1, whole(AxisRef.sub(a.name(), last.preSize(), last.size() * a.size()), mesh));
                    continue;
                }
            }
            out.add(whole(a, mesh));
        }
        return out;
    }

    /**
     * The greatest common divisor: the largest major part of an axis of size {@code b} that divides {@code a}, and the
     * factor two reshape dimensions share (the reshape rule's factor sizes).
     */
    public static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static AxisRef whole(AxisRef a, MeshAttr mesh) {
        return a.isSubAxis() ? AxisRef.part(a.name(), a.preSize(), a.size(), mesh.axisSize(a.name())) : a;
    }
}
