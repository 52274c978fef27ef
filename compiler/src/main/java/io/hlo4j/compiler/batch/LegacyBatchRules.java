package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.hlo4j.compiler.batch.DimMath.array;

/**
 * The MHLO-era ops StableHLO still parses. {@code broadcast} prepends dimensions, so a batch dimension stays where
 * it was, behind them. {@code dot} is batched as the {@code dot_general} it abbreviates (lhs's last dimension
 * contracted with rhs's first). {@code einsum}/{@code unary_einsum} get one fresh label for the batch: in each batched
 * operand's term at its batch dimension and first in the output. {@code torch_index_select} already has leading
 * batch dimensions shared by operand and index: the batch becomes one more of them.
 */
final class LegacyBatchRules {
    private LegacyBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.broadcast", (b, op, a) -> {
            int d = array(op, "broadcast_sizes").length + a.get(0).bdim();
            return Batcher.all(b.emitLike(op, List.of(a.get(0).value()), Map.of(), List.of(), b.batchedResults(op, d)), d);
        });
        in.rule("stablehlo.dot", LegacyBatchRules::dot);
        in.rule("stablehlo.einsum", LegacyBatchRules::einsum);
        in.rule("stablehlo.unary_einsum", LegacyBatchRules::einsum);
        in.rule("stablehlo.torch_index_select", (b, op, a) -> {
            long dim = ((IntegerAttr) op.attr("dim")).value(), bd = ((IntegerAttr) op.attr("batch_dims")).value();
            List<Value> xs = List.of(b.materialize(a.get(0), 0), b.materialize(a.get(1), 0));
            return Batcher.all(b.emitLike(op, xs, Map.of("dim", IntegerAttr.i64(dim + 1), "batch_dims", IntegerAttr.i64(bd + 1)), List.of(),
                    b.batchedResults(op, 0)), 0);
        });
    }

    /** The dot as a dot_general (same operands, result type and precision), batched by dot_general's rule. */
    private static List<Batched> dot(Batcher b, Operation op, List<Batched> a) {
        int lr = ((TensorType) op.operand(0).type()).rank();
        DotDimensionNumbers dn = new DotDimensionNumbers(Dims.of(new long[0]), Dims.of(new long[0]), Dims.of(new long[]{lr - 1}),
                Dims.of(new long[]{0}));
        Operation.Builder g = Operation.builder("stablehlo.dot_general").location(op.location()).operands(op.operands())
                .resultTypes(op.resultTypes()).property("dot_dimension_numbers", dn);
        Attribute pc = op.attr("precision_config");
        if (pc != null) g.property("precision_config", pc);
        return ReduceDotBatchRules.dotGeneral(b, g.build(), a);
    }

    private static List<Batched> einsum(Batcher b, Operation op, List<Batched> a) {
        String cfg = ((StringAttr) op.attr("einsum_config")).value().replace(" ", "");
        int arrow = cfg.indexOf("->");
        if (arrow < 0 || cfg.contains(".")) throw b.refuse(op, a, "einsum_config '" + cfg + "' must spell every label (in,in->out, no '...')");
        char label = 0;
        for (char c : "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA".toCharArray()) {
            if (cfg.indexOf(c) < 0) { label = c; break; }
        }
        if (label == 0) throw b.refuse(op, a, "einsum_config '" + cfg + "' uses every letter; none is left for the batch");
        String[] terms = cfg.substring(0, arrow).split(",", -1);
        List<String> nt = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            Batched x = a.get(i);
            nt.add(x.batched() ? terms[i].substring(0, x.bdim()) + label + terms[i].substring(x.bdim()) : terms[i]);
        }
        String config = String.join(",", nt) + "->" + label + cfg.substring(arrow + 2);
        List<Value> xs = new ArrayList<>();
        for (Batched x : a) xs.add(x.value());
        return Batcher.all(b.emitLike(op, xs, Map.of("einsum_config", new StringAttr(config)), List.of(), b.batchedResults(op, 0)), 0);
    }
}
