package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * MHLO's legacy ops, differentiated through their spec equivalents ({@link Decomposition}): einsum is
 * reduce (labels only one operand has and the output lacks) + dot_general (shared labels: batch when the output
 * keeps them, contracted otherwise) + transpose to the output order; unary_einsum is reduce + transpose;
 * torch_index_select is a gather on {@code dim} with the leading {@code batch_dims} as batching dims.
 */
final class LegacyRules {
    private LegacyRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.einsum", (b, op, g) -> Decomposition.vjp(b, op, g, (sb, a) -> List.of(einsum(b, sb, op, a))));
        in.rule("stablehlo.unary_einsum", (b, op, g) -> Decomposition.vjp(b, op, g, (sb, a) -> List.of(einsum(b, sb, op, a))));
        in.rule("stablehlo.torch_index_select", (b, op, g) -> Decomposition.vjp(b, op, g,
                (sb, a) -> List.of(indexSelect(sb, op, a.get(0), a.get(1)))));
    }

    /** {@code "ab,bc->ac"} (or {@code "ab->a"}): one letter per dimension, no ellipsis, no label repeated within an operand. */
    private static Value einsum(Backward b, StablehloBuilder sb, Operation op, List<Value> args) {
        String config = Attrs.get(op, "einsum_config", StringAttr.class).value().replace(" ", "");
        int arrow = config.indexOf("->");
        if (arrow < 0 || config.contains(".")) throw b.refuse(op, "einsum_config \"" + config + "\" must be explicit (\"ab,bc->ac\") without ellipsis");
        String[] ins = config.substring(0, arrow).split(",", -1);
        String out = config.substring(arrow + 2);
        if (ins.length != args.size()) throw b.refuse(op, "einsum_config \"" + config + "\" names " + ins.length + " operands, the op has " + args.size());
        Location loc = op.location();
        List<String> labels = new ArrayList<>();
        List<Value> xs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) {
            String s = ins[i];
            TensorType t = Backward.tensor(args.get(i));
            if (s.length() != t.rank() || repeats(s)) {
                throw b.refuse(op, "einsum_config \"" + config + "\": operand #" + i + " " + t + " needs one distinct label per dimension, got \"" + s + "\"");
            }
            // Sum away labels nobody else needs.
            StringBuilder kept = new StringBuilder();
            List<Long> gone = new ArrayList<>();
            for (int d = 0; d < s.length(); d++) {
                char c = s.charAt(d);
                boolean needed = out.indexOf(c) >= 0;
                for (int j = 0; j < ins.length; j++) if (j != i && ins[j].indexOf(c) >= 0) needed = true;
                if (needed) kept.append(c); else gone.add((long) d);
            }
            Value x = args.get(i);
            if (!gone.isEmpty()) x = sb.reduce(x, sb.constant(TensorType.scalar(t.elementType()), 0, loc), toArray(gone), "add", loc);
            labels.add(kept.toString());
            xs.add(x);
        }
        String have;
        Value r;
        if (xs.size() == 1) {
            have = labels.get(0);
            r = xs.get(0);
        } else {
            String l = labels.get(0), rr = labels.get(1);
            List<Long> lb = new ArrayList<>(), rb = new ArrayList<>(), lc = new ArrayList<>(), rc = new ArrayList<>();
            StringBuilder batch = new StringBuilder(), lf = new StringBuilder(), rf = new StringBuilder();
            for (int d = 0; d < l.length(); d++) {
                char c = l.charAt(d);
                int k = rr.indexOf(c);
                if (k < 0) lf.append(c);
                else if (out.indexOf(c) >= 0) { lb.add((long) d); rb.add((long) k); batch.append(c); }
                else { lc.add((long) d); rc.add((long) k); }
            }
            for (int d = 0; d < rr.length(); d++) if (l.indexOf(rr.charAt(d)) < 0) rf.append(rr.charAt(d));
            have = batch.toString() + lf + rf;
            r = sb.dotGeneral(xs.get(0), xs.get(1), toArray(lb), toArray(rb), toArray(lc), toArray(rc),
                    Backward.tensor(op.result()).elementType(), loc);
        }
        if (have.length() != out.length() || repeats(out)) throw b.refuse(op, "einsum_config \"" + config + "\": the output labels \"" + out + "\" must be distinct input labels");
        long[] perm = new long[out.length()];
        boolean identity = true;
        for (int d = 0; d < perm.length; d++) {
            perm[d] = have.indexOf(out.charAt(d));
            if (perm[d] < 0) throw b.refuse(op, "einsum_config \"" + config + "\": output label '" + out.charAt(d) + "' is not an input label");
            identity &= perm[d] == d;
        }
        return identity ? r : sb.transpose(r, perm, loc);
    }

    private static boolean repeats(String s) {
        for (int i = 0; i < s.length(); i++) if (s.indexOf(s.charAt(i), i + 1) >= 0) return true;
        return false;
    }

    private static long[] toArray(List<Long> xs) { return xs.stream().mapToLong(Long::longValue).toArray(); }

    /** out = operand.shape[:dim] ++ index.shape[batch_dims:] ++ operand.shape[dim+1:], read at index along dim. */
    private static Value indexSelect(StablehloBuilder sb, Operation op, Value operand, Value index) {
        int dim = (int) Attrs.i64(op, "dim"), nb = (int) Attrs.i64(op, "batch_dims");
        TensorType ot = Backward.tensor(operand), it = Backward.tensor(index);
        int r = ot.rank(), ir = it.rank(), outRank = r - 1 + ir - nb;
        List<Long> offset = new ArrayList<>();
        for (int p = nb; p < dim; p++) offset.add((long) p);
        for (int p = dim + ir - nb; p < outRank; p++) offset.add((long) p);
        long[] sizes = ot.shape();
        for (int d = 0; d < nb; d++) sizes[d] = 1;
        sizes[dim] = 1;
        GatherDimensionNumbers dn = new GatherDimensionNumbers(Dims.of(toArray(offset)), Dims.of(dim), Dims.of(Attrs.iota(nb)),
                Dims.of(Attrs.iota(nb)), Dims.of(dim), ir);
        return sb.gather(operand, index, dn, sizes, false, op.location());
    }
}
