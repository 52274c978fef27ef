package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;

/**
 * {@code sdy.manual_computation}: operands and results have global shapes, the body's arguments and
 * {@code sdy.return} local ones. Along each dimension the local size is the global size divided by the
 * product of the manual axes the dimension is sharded over; manual axes must come before free axes.
 */
public final class SdyManualComputation {
    private SdyManualComputation() {}

    public static TensorShardingPerValue inShardings(Operation op) {
        return required(op, "in_shardings", TensorShardingPerValue.class, "a sharding list");
    }

    public static TensorShardingPerValue outShardings(Operation op) {
        return required(op, "out_shardings", TensorShardingPerValue.class, "a sharding list");
    }

    public static ManualAxes manualAxes(Operation op) {
        return required(op, "manual_axes", ManualAxes.class, "a manual axes list {\"x\", ...}");
    }

    /**
     * The per-device type of a value of type {@code global} sharded by {@code s}, on the manual axes only.
     * Errors name the dimension when a manual axis follows a free one or does not divide the size.
     */
    public static Type localType(Operation op, Type global, TensorSharding s, ManualAxes manual, MeshAttr mesh, String role) {
        if (!(global instanceof TensorType t)) return global;
        long[] shape = t.shape();
        for (int d = 0; d < s.rank() && d < shape.length; d++) {
            long divisor = 1;
            boolean seenFree = false;
            for (AxisRef a : s.axesOfDim(d)) {
                if (manual.contains(a.name())) {
                    if (seenFree) {
                        throw fail(op, role + ": manual axis \"" + a.name() + "\" comes after a free axis in dimension " + d
                                + "; manual axes must come first");
                    }
                    divisor = Math.multiplyExact(divisor, a.size(mesh));
                } else {
                    seenFree = true;
                }
            }
            if (shape[d] == TensorType.DYNAMIC || divisor == 1) continue;
            if (shape[d] % divisor != 0) {
                throw fail(op, role + ": dimension " + d + " of size " + shape[d] + " is not divisible by the manual axes' size " + divisor);
            }
            shape[d] /= divisor;
        }
        return TensorType.of(t.elementType(), shape, t.encoding());
    }

    static void verify(Operation op) {
        TensorShardingPerValue in = inShardings(op), out = outShardings(op);
        ManualAxes manual = manualAxes(op);
        Set<String> seen = new HashSet<>();
        for (String a : manual.axes()) if (!seen.add(a)) throw fail(op, "manual_axes lists \"" + a + "\" twice");
        if (op.regions().size() != 1 || op.region(0).blocks().size() != 1) throw fail(op, "expects one region with one block (the body)");
        Block body = op.region(0).entry();
        Operation term = body.terminator();
        if (term == null || !term.name().equals(SdyOps.RETURN)) throw fail(op, "body must end with sdy.return");
        if (body.arguments().size() != op.numOperands()) {
            throw fail(op, "body has " + body.arguments().size() + " arguments but the op has " + op.numOperands() + " operands");
        }
        if (term.numOperands() != op.numResults()) {
            throw fail(op, "body returns " + term.numOperands() + " values but the op has " + op.numResults() + " results");
        }
        Map<String, MeshAttr> meshes = SdyVerifier.meshesAround(op);
        SdyVerifier.verifyPerValue(op, in, op.operandTypes(), meshes, "in_shardings");
        SdyVerifier.verifyPerValue(op, out, op.resultTypes(), meshes, "out_shardings");
        checkLocal(op, op.operandTypes(), body.arguments().stream().map(a -> a.type()).toList(), in, manual, meshes, "operand");
        checkLocal(op, op.resultTypes(), term.operandTypes(), out, manual, meshes, "result");
    }

    private static void checkLocal(Operation op, List<Type> globals, List<Type> locals, TensorShardingPerValue shardings,
                                   ManualAxes manual, Map<String, MeshAttr> meshes, String role) {
        for (int i = 0; i < globals.size(); i++) {
            TensorSharding s = shardings.get(i);
            MeshAttr mesh = s.resolveMesh(meshes);
            if (mesh == null) continue;
            for (String a : manual.axes()) {
                if (!mesh.hasAxis(a)) throw fail(op, "manual axis \"" + a + "\" is not an axis of the mesh (axes " + mesh.axisNames() + ")");
            }
            Type want = localType(op, globals.get(i), s, manual, mesh, role + " #" + i);
            if (!want.equals(locals.get(i))) {
                throw fail(op, role + " #" + i + ": expected local type " + want + " (global " + globals.get(i) + " divided by manual axes "
                        + manual.axes() + "), but the body has " + locals.get(i));
            }
        }
    }
}
