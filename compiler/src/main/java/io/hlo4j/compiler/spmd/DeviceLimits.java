package io.hlo4j.compiler.spmd;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.Walker;

import java.util.ArrayList;
import java.util.List;

/**
 * How many devices hlo4j partitions for and simulates, checked on every mesh of a module (declared {@code sdy.mesh}
 * ops and meshes written inline in shardings) before the partitioner or the simulator allocates per-device tables.
 * One rule for {@code hlo4j run --spmd}, {@code dump} and the compiler's fuzz tests.
 */
public final class DeviceLimits {
    private DeviceLimits() {}

    /**
     * Simulated devices are threads of one JVM (16 MiB stack reserved each); past this many a careless mesh only
     * exhausts the machine's thread and mapping limits (a TPU v5p pod slice is 8960 chips at most).
     */
    public static final int MAX_SIMULATED_DEVICES = 4096;

    /**
     * The partitioner keeps per-device tables (a mesh position and a partition id per device): past this many devices
     * they alone would outgrow the heap, and past 2^31 they cannot be indexed.
     */
    public static final int MAX_PARTITIONED_DEVICES = 1 << 20;

    /** A mesh of the module and where it is written: {@code sdy.mesh @m}, or an inline mesh in an op's attribute. */
    public record MeshSite(String what, MeshAttr mesh, Location location) {
        /** The device count, or {@link Long#MAX_VALUE} when the axis sizes multiply past 2^63. */
        public long devices() {
            try {
                return mesh.totalSize();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }

        String describeDevices() { return devices() == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(devices()); }
    }

    /** Every mesh of the module in walk order: each {@code sdy.mesh} op, and each inline mesh in any op's attributes. */
    public static List<MeshSite> meshes(Module module) {
        List<MeshSite> out = new ArrayList<>();
        Walker.walk(module.op(), op -> {
            if (op.name().equals("sdy.mesh") && op.attr("mesh") instanceof MeshAttr m) {
                out.add(new MeshSite("sdy.mesh @" + SymbolTable.symbolName(op) + " " + m, m, op.location()));
            }
            inline(op, "", op.properties(), out);
            inline(op, "", op.attributes(), out);
        });
        return out;
    }

    private static void inline(Operation op, String key, Attribute a, List<MeshSite> out) {
        switch (a) {
            case DictionaryAttr d -> d.asMap().forEach((k, v) -> inline(op, key.isEmpty() ? k : key, v, out));
            case ArrayAttr arr -> { for (Attribute e : arr.elements()) inline(op, key, e, out); }
            case TensorShardingPerValue pv -> { for (TensorSharding s : pv.shardings()) inline(op, key, s, out); }
            case TensorSharding s when s.inlineMesh() != null ->
                    out.add(new MeshSite("the inline mesh " + s.inlineMesh() + " in " + op.name() + " attribute " + key,
                            s.inlineMesh(), op.location()));
            case null, default -> { }
        }
    }

    /** Each mesh of the module has at most {@link #MAX_SIMULATED_DEVICES} devices (one thread each). */
    public static void simulatable(Module module) {
        atMost(module, MAX_SIMULATED_DEVICES, "hlo4j simulates at most " + MAX_SIMULATED_DEVICES + " (one thread each)");
    }

    /** Each mesh of the module has at most {@link #MAX_PARTITIONED_DEVICES} devices, so it can be partitioned for. */
    public static void partitionable(Module module) {
        atMost(module, MAX_PARTITIONED_DEVICES, "hlo4j partitions for at most " + MAX_PARTITIONED_DEVICES + " devices");
    }

    private static void atMost(Module module, long limit, String why) {
        for (MeshSite s : meshes(module)) {
            if (s.devices() > limit) throw new Hlo4jException(s.what() + " has " + s.describeDevices() + " devices; " + why, s.location());
        }
    }

    /**
     * Every declared {@code sdy.mesh} spans as many devices as the first (the partitioner's rule), refused naming both;
     * returns the first, or null without one. Call after {@link #partitionable}.
     */
    public static MeshSite sameDevices(Module module) {
        MeshSite first = null;
        for (MeshSite s : meshes(module)) {
            if (!s.what().startsWith("sdy.mesh ")) continue;
            if (first == null) first = s;
            else if (s.devices() != first.devices()) {
                throw new Hlo4jException(s.what() + " has " + s.describeDevices() + " device" + (s.devices() == 1 ? "" : "s") + " but "
                        + first.what() + " has " + first.describeDevices() + "; every mesh of a module spans the same devices", s.location());
            }
        }
        return first;
    }
}
