package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Ops that move elements by a data-dependent permutation. sort: the forward sort is repeated with an iota
 * riding along, which yields the permutation p (sorted[k] = x[p[k]]); sorting (p, cotangent) by p sends each
 * cotangent back to where its element came from. top_k: the cotangent of the values is scattered (added) to the
 * returned indices, row by row.
 */
final class PermutationRules {
    private PermutationRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.sort", PermutationRules::sort);
        in.rule("chlo.top_k", PermutationRules::topK);
    }

    private static List<Value> sort(Backward b, Operation op, List<Value> g) {
        int dim = (int) Attrs.i64(op, "dimension");
        TensorType t = Backward.tensor(op.operand(0));
        TensorType it = t.withElementType(IntegerType.I64);
        Value iota = b.hlo().iota(it, dim, b.loc());
        // 1. The permutation: the same sort, with the iota carried as one more operand.
        List<Value> xs = new ArrayList<>(op.operands());
        xs.add(iota);
        Region cmp = extendedComparator(b, op.region(0).entry(), op.numOperands());
        List<Value> withPerm = new ArrayList<>(b.ir().emit("stablehlo.sort", xs, props(op), List.of(cmp),
                xs.stream().map(Value::type).toList(), b.loc()));
        Value perm = withPerm.get(withPerm.size() - 1);
        // 2. Unsort the cotangents: sort (perm, g...) by perm ascending.
        List<Value> back = new ArrayList<>(List.of(perm));
        List<Integer> which = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) if (Backward.differentiable(op.operand(i).type())) { back.add(g.get(i)); which.add(i); }
        List<Value> out = Arrays.asList(new Value[op.numOperands()]);
        if (which.isEmpty()) return out;
        List<Type> types = back.stream().map(Value::type).toList();
        Region byPerm = byFirstAscending(b, types);
        List<OpResult> res = b.ir().emit("stablehlo.sort", back, Map.of("dimension", IntegerAttr.i64(dim),
                "is_stable", io.hlo4j.mlir.attr.BoolAttr.of(false)), List.of(byPerm), types, b.loc());
        for (int j = 0; j < which.size(); j++) out.set(which.get(j), res.get(1 + j));
        return out;
    }

    private static Map<String, io.hlo4j.mlir.attr.Attribute> props(Operation op) {
        Map<String, io.hlo4j.mlir.attr.Attribute> p = new java.util.TreeMap<>();
        p.put("dimension", op.attr("dimension"));
        if (op.attr("is_stable") != null) p.put("is_stable", op.attr("is_stable"));
        return p;
    }

    /** The original comparator with two more (ignored) arguments for the iota. */
    private static Region extendedComparator(Backward b, Block cmp, int n) {
        IrBuilder nb = b.ir().nested();
        List<Value> args = new ArrayList<>();
        for (int i = 0; i < 2 * n; i++) args.add(nb.addArgument(cmp.argument(i).type(), b.loc()));
        TensorType s = TensorType.scalar(IntegerType.I64);
        nb.addArgument(s, b.loc());
        nb.addArgument(s, b.loc());
        return nb.sealRegion(Regions.inline(nb, cmp, args), "stablehlo.return", b.loc());
    }

    private static Region byFirstAscending(Backward b, List<Type> types) {
        IrBuilder nb = b.ir().nested();
        List<Value> args = new ArrayList<>();
        for (Type t : types) {
            TensorType s = TensorType.scalar(((TensorType) t).elementType());
            args.add(nb.addArgument(s, b.loc()));
            args.add(nb.addArgument(s, b.loc()));
        }
        Value lt = new Backward(nb, b.sweep()).compare("LT", args.get(0), args.get(1));
        return nb.sealRegion(List.of(lt), "stablehlo.return", b.loc());
    }

    private static List<Value> topK(Backward b, Operation op, List<Value> g) {
        Value x = op.operand(0), idx = op.result(1), gv = g.get(0);
        TensorType xt = Backward.tensor(x), vt = Backward.tensor(op.result(0));
        int r = xt.rank();
        long n = xt.dim(r - 1), k = vt.dim(r - 1), rows = xt.numElements() / Math.max(n, 1);
        // Flatten to one dimension: flat index = row * n + idx.
        TensorType i64 = TensorType.of(IntegerType.I64, rows, k);
        Value id = b.reshape(b.hlo().convert(idx, IntegerType.I64, b.loc()), new long[] {rows, k});
        Value rowStart = b.mul(b.hlo().iota(i64, 0, b.loc()), b.full(i64, n));
        Value flat = b.reshape(b.add(id, rowStart), new long[] {rows * k, 1});
        Value upd = b.reshape(gv, new long[] {rows * k});
        ScatterDimensionNumbers dn = new ScatterDimensionNumbers(Dims.EMPTY, Dims.of(0), Dims.EMPTY, Dims.EMPTY, Dims.of(0), 1);
        Value zeros = b.full(xt.withShape(rows * n), 0);
        Value s = b.hlo().scatter(zeros, flat, upd, dn, "add", false, false, b.loc());
        return List.of(b.reshape(s, xt.shape()));
    }
}
