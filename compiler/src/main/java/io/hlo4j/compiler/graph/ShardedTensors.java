package io.hlo4j.compiler.graph;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every tensor of a module that carries a sharding: function arguments and results ({@code sdy.sharding}
 * in arg_attrs / res_attrs) and op results ({@code sdy.sharding = #sdy.sharding_per_value<[...]>}, and the
 * out sharding of {@code sdy.sharding_constraint} / {@code sdy.reshard}), with their device layouts.
 */
public final class ShardedTensors {
    private ShardedTensors() {}

    public static List<ShardingSvg.Item> collect(Module module) {
        Map<String, MeshAttr> meshes = new LinkedHashMap<>();
        for (Operation op : module.operations()) {
            if (op.name().equals("sdy.mesh") && op.attr("sym_name") instanceof StringAttr s && op.attr("mesh") instanceof MeshAttr m) {
                meshes.put(s.value(), m);
            }
        }
        List<ShardingSvg.Item> out = new ArrayList<>();
        for (Operation f : module.functions()) {
            String fn = "@" + (f.attr("sym_name") instanceof StringAttr s ? s.value() : "?");
            if (f.regions().isEmpty() || f.region(0).isEmpty()) continue;
            Block body = f.region(0).entry();
            for (int i = 0; i < body.arguments().size(); i++) {
                add(out, fn + " %arg" + i, body.argument(i).type(), FuncOps.argAttrs(f, i), meshes);
            }
            Operation ret = body.terminator();
            for (int i = 0; ret != null && ret.name().endsWith("return") && i < ret.numOperands(); i++) {
                add(out, fn + " result #" + i, ret.operand(i).type(), FuncOps.resultAttrs(f, i), meshes);
            }
            int[] index = {0};
            io.hlo4j.mlir.ir.Walker.walk(f, op -> {
                int n = index[0]++;
                if (op == f) return;
                Attribute a = op.attr("sdy.sharding");
                if (a == null) a = op.attr("sharding");
                if (a instanceof TensorShardingPerValue pv) {
                    for (int r = 0; r < pv.size() && r < op.numResults(); r++) {
                        layout(out, fn + " " + op.name() + " (op " + n + ") result #" + r, op.result(r).type(), pv.get(r), meshes);
                    }
                } else if (a instanceof TensorSharding ts && op.numResults() == 1) {
                    layout(out, fn + " " + op.name() + " (op " + n + ")", op.result().type(), ts, meshes);
                }
            });
        }
        return out;
    }

    private static void add(List<ShardingSvg.Item> out, String title, Type type, DictionaryAttr attrs, Map<String, MeshAttr> meshes) {
        if (attrs != null && attrs.get("sdy.sharding") instanceof TensorSharding s) layout(out, title, type, s, meshes);
    }

    private static void layout(List<ShardingSvg.Item> out, String title, Type type, TensorSharding s, Map<String, MeshAttr> meshes) {
        if (!(type instanceof TensorType t)) return;
        MeshAttr mesh = s.resolveMesh(meshes);
        if (mesh == null) throw new IllegalArgumentException(title + ": sharding " + s + " names mesh @" + s.meshName() + ", which the module does not declare");
        out.add(new ShardingSvg.Item(title + ": " + t + " " + s, ShardingLayout.of(t, s, mesh)));
    }
}
