package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.build.FunctionBuilder;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only rewrite of chlo.square and chlo.broadcast_{add,sub,mul,div,max,min,pow,atan2,rem,select,complex,polygamma,zeta} into explicit
 * broadcast_in_dim + stablehlo ops, written from chlo's definition (numpy right-alignment, or broadcast_dimensions
 * for the lower-rank operand), so the interpreter (which has no chlo broadcast kernels) can run both the primal
 * and the VJP function of a chlo test. Single-block functions without regions only.
 */
final class ChloLowering {
    private ChloLowering() {}

    private static final Map<String, String> OPS = Map.of("chlo.broadcast_add", "add", "chlo.broadcast_sub", "subtract",
            "chlo.broadcast_mul", "multiply", "chlo.broadcast_div", "divide", "chlo.broadcast_max", "maximum",
            "chlo.broadcast_min", "minimum", "chlo.broadcast_pow", "power", "chlo.broadcast_atan2", "atan2",
            "chlo.broadcast_rem", "remainder",
            "chlo.broadcast_select", "select");

    /** Broadcasting forms of chlo's own binary functions: lowered to the chlo op on explicit broadcasts. */
    private static final Map<String, String> CHLO = Map.of("chlo.broadcast_polygamma", "chlo.polygamma",
            "chlo.broadcast_zeta", "chlo.zeta");

    static Module lower(Module m) {
        List<Operation> fs = new ArrayList<>();
        for (Operation f : m.functions()) fs.add(lowerFunc(f));
        return FunctionBuilder.module(m.name(), fs);
    }

    private static Operation lowerFunc(Operation f) {
        FunctionType ft = (FunctionType) ((TypeAttr) f.attr("function_type")).value();
        FunctionBuilder fb = IrBuilder.function(((StringAttr) f.attr("sym_name")).value(), ft.inputs(), f.location());
        StablehloBuilder sb = new StablehloBuilder(fb);
        var body = f.region(0).entry();
        Map<Value, Value> map = new IdentityHashMap<>();
        for (int i = 0; i < body.arguments().size(); i++) map.put(body.argument(i), fb.argument(i));
        for (Operation op : body.operations()) {
            if (op == body.terminator()) break;
            List<Value> in = new ArrayList<>();
            for (Value v : op.operands()) in.add(map.get(v));
            Value out;
            if (op.name().equals("chlo.square")) {
                out = sb.multiply(in.get(0), in.get(0), op.location());
            } else if (OPS.containsKey(op.name()) || CHLO.containsKey(op.name()) || op.name().equals("chlo.broadcast_complex")) {
                TensorType rt = (TensorType) op.result().type();
                long[] attr = op.attr("broadcast_dimensions") instanceof DenseArrayAttr d ? d.longs() : null;
                List<Value> wide = new ArrayList<>();
                for (Value x : in) {
                    TensorType xt = (TensorType) x.type();
                    long[] dims = new long[xt.rank()];
                    for (int i = 0; i < dims.length; i++) {
                        dims[i] = xt.rank() == rt.rank() ? i : attr != null ? attr[i] : rt.rank() - xt.rank() + i;
                    }
                    wide.add(sb.broadcastInDim(x, rt.shape(), dims, op.location()));
                }
                String target = CHLO.containsKey(op.name()) ? CHLO.get(op.name()) : "stablehlo." + OPS.getOrDefault(op.name(), "complex");
                out = fb.emit1(target, wide, Map.of(), op.location());
            } else {
                Operation c = fb.append(Cloner.copy(op, map), op.location());
                for (int i = 0; i < c.numResults(); i++) map.put(op.result(i), c.result(i));
                continue;
            }
            map.put(op.result(), out);
        }
        List<Value> res = new ArrayList<>();
        for (Value v : body.terminator().operands()) res.add(map.get(v));
        return fb.finish(res, body.terminator().location());
    }
}
