package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DialectAttribute;
import io.hlo4j.mlir.attr.SymbolRefAttr;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The mesh-axes form of replica groups (new in 2026):
 * {@code #stablehlo.replica_group_mesh_axes<mesh = @m, axes = [#stablehlo.axis_ref<name = "x">]>} with the
 * mesh given by symbol or inline as {@code #stablehlo.mesh<axes = [#stablehlo.mesh_axis<name = "x", size = 2>]>}.
 */
public final class MeshAttrs {
    private MeshAttrs() {}

    /** {@code #stablehlo.mesh_axis<name = "x", size = 2>}. */
    public record MeshAxis(String name, long size) implements DialectAttribute {
        @Override public String name() { return "stablehlo.mesh_axis"; }
        @Override public String toString() { return "#stablehlo.mesh_axis<name = " + quote(name) + ", size = " + size + ">"; }
    }

    /** {@code #stablehlo.mesh<axes = [...]>} with optional {@code device_ids = dense<...>} (null when absent). */
    public record Mesh(List<MeshAxis> axes, Attribute deviceIds) implements DialectAttribute {
        public Mesh { axes = List.copyOf(axes); }
        @Override public String name() { return "stablehlo.mesh"; }
        @Override public String toString() {
            String s = "#stablehlo.mesh<axes=[" + axes.stream().map(Object::toString).collect(Collectors.joining(", ")) + "]";
            if (deviceIds != null) s += ", device_ids=" + deviceIds;
            return s + ">";
        }
    }

    /** {@code #stablehlo.axis_ref<name = "x", sub_axis_info = (1)2>} (the sub-axis info printed stripped); subSize 0 = full axis. */
    public record AxisRef(String axis, long preSize, long subSize) implements DialectAttribute {
        @Override public String name() { return "stablehlo.axis_ref"; }
        public boolean isSubAxis() { return subSize != 0; }
        @Override public String toString() {
            String s = "#stablehlo.axis_ref<name = " + quote(axis);
            if (isSubAxis()) s += ", sub_axis_info = (" + preSize + ")" + subSize;
            return s + ">";
        }
    }

    /** The replica groups of a collective given as mesh axes. {@code mesh} is a symbol ref or a {@link Mesh}. */
    public record ReplicaGroupMeshAxes(Attribute mesh, ArrayAttr axes) implements DialectAttribute {
        @Override public String name() { return "stablehlo.replica_group_mesh_axes"; }
        @Override public String toString() {
            return "#stablehlo.replica_group_mesh_axes<mesh = " + mesh + ", axes = " + axes + ">";
        }
    }

    public static MeshAxis parseMeshAxis(AsmParser p) {
        String[] name = {null};
        long[] size = {0};
        new StructFields("stablehlo.mesh_axis")
                .field("name", () -> name[0] = p.parseString())
                .field("size", () -> size[0] = p.parseInteger())
                .parse(p);
        if (name[0] == null) throw p.error("#stablehlo.mesh_axis needs 'name'");
        return new MeshAxis(name[0], size[0]);
    }

    public static Mesh parseMesh(AsmParser p) {
        List<MeshAxis> axes = new ArrayList<>();
        Attribute[] ids = {null};
        new StructFields("stablehlo.mesh")
                .field("axes", () -> {
                    p.expect("[");
                    if (!p.consumeIf("]")) {
                        do {
                            Attribute a = p.parseAttribute();
                            if (!(a instanceof MeshAxis m)) throw p.error("#stablehlo.mesh axes must be #stablehlo.mesh_axis, got " + a);
                            axes.add(m);
                        } while (p.consumeIf(","));
                        p.expect("]");
                    }
                })
                .field("device_ids", () -> ids[0] = p.parseAttribute())
                .parse(p);
        return new Mesh(axes, ids[0]);
    }

    public static AxisRef parseAxisRef(AsmParser p) {
        String[] name = {null};
        long[] sub = {0, 0};
        new StructFields("stablehlo.axis_ref")
                .field("name", () -> name[0] = p.parseString())
                .field("sub_axis_info", () -> {
                    // Written either bare "(1)2" or as the full attribute #stablehlo.sub_axis_info<(1)2>.
                    boolean wrapped = !p.peekIs("(");
                    if (wrapped) {
                        String kw = p.parseKeyword();
                        if (!kw.endsWith("sub_axis_info")) throw p.error("expected sub_axis_info, got " + kw);
                        p.expect("<");
                    }
                    p.expect("(");
                    sub[0] = p.parseInteger();
                    p.expect(")");
                    sub[1] = p.parseInteger();
                    if (wrapped) p.expect(">");
                })
                .parse(p);
        if (name[0] == null) throw p.error("#stablehlo.axis_ref needs 'name'");
        return new AxisRef(name[0], sub[0], sub[1]);
    }

    public static ReplicaGroupMeshAxes parseReplicaGroupMeshAxes(AsmParser p) {
        Attribute[] mesh = {null};
        ArrayAttr[] axes = {null};
        new StructFields("stablehlo.replica_group_mesh_axes")
                .field("mesh", () -> mesh[0] = p.peekSymbolName() ? SymbolRefAttr.of(p.parseSymbolName()) : p.parseAttribute())
                .field("axes", () -> {
                    Attribute a = p.parseAttribute();
                    if (!(a instanceof ArrayAttr arr)) throw p.error("#stablehlo.replica_group_mesh_axes axes must be an array, got " + a);
                    axes[0] = arr;
                })
                .parse(p);
        if (mesh[0] == null || axes[0] == null) throw p.error("#stablehlo.replica_group_mesh_axes needs 'mesh' and 'axes'");
        return new ReplicaGroupMeshAxes(mesh[0], axes[0]);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
