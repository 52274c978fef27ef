package io.hlo4j.dsl;

import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.ElementType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Contractions: dotGeneral, matmul, einsum (lowered to dot_general + transpose/reduce) and raggedDot. */
public final class Linalg {
    private Linalg() {}

    /**
     * {@code stablehlo.dot_general}. {@code preferred} (may be null) is the result dtype, e.g. F32 for bf16 inputs
     * (f32 accumulation). The result is batch dims, then lhs free dims, then rhs free dims.
     */
    public static Tensor dotGeneral(Tensor lhs, Tensor rhs, int[] lhsContract, int[] rhsContract, int[] lhsBatch, int[] rhsBatch,
                                    DType preferred) {
        Location loc = SourceLoc.here();
        String op = "dotGeneral";
        // One dtype for both operands is the DSL's rule (as for binary ops); the dims are checked by dot_general's type rule.
        if (lhs.dtype() != rhs.dtype()) throw new DslException(op, "dtypes differ: " + lhs.describe() + " and " + rhs.describe(), loc);
        ElementType et = preferred == null ? null : preferred.elementType();
        return Ops.emit(op, loc, List.of(lhs, rhs), () -> Ops.h(op, loc).dotGeneral(Ops.v(lhs, op, loc), Ops.v(rhs, op, loc),
                Ops.toLongs(lhsBatch), Ops.toLongs(rhsBatch), Ops.toLongs(lhsContract), Ops.toLongs(rhsContract), et, loc));
    }

    /** Matrix product: [m,k] x [k,n], vectors, or batched [..., m, k] x [..., k, n] with equal batch dims. */
    public static Tensor matmul(Tensor a, Tensor b) { return matmul(a, b, null); }

    public static Tensor matmul(Tensor a, Tensor b, DType preferred) {
        Location loc = SourceLoc.here();
        int ra = a.rank(), rb = b.rank();
        if (ra == 0 || rb == 0) throw new DslException("matmul", "needs rank >= 1 operands, got " + a.describe() + " x " + b.describe(), loc);
        if (rb == 1) return dotGeneral(a, b, new int[]{ra - 1}, new int[]{0}, new int[0], new int[0], preferred);
        if (ra == 1) return dotGeneral(a, b, new int[]{0}, new int[]{rb - 2}, new int[0], new int[0], preferred);
        if (ra != rb) throw new DslException("matmul", "batched operands need equal rank, got " + a.describe() + " x " + b.describe(), loc);
        int[] batch = new int[ra - 2];
        for (int i = 0; i < batch.length; i++) batch[i] = i;
        return dotGeneral(a, b, new int[]{ra - 1}, new int[]{ra - 2}, batch, batch, preferred);
    }

    public static Tensor einsum(String spec, Tensor... operands) { return einsum(spec, null, operands); }

    /**
     * {@code einsum("bij,bjk->bik", x, y)} with the usual subscripts (one or more operands; implicit output = the
     * letters used once, sorted). A letter repeated inside one operand takes that operand's diagonal over those dims
     * first, as numpy does: {@code "ii->"} is the trace, {@code "ii->i"} the diagonal, {@code "ij,jj->i"} uses the
     * diagonal of the second operand.
     * {@code ...} stands for the leading, trailing or middle dims not named by letters, as in numpy: the ellipsis
     * dims of all operands are broadcast together (aligned at the right, size 1 stretching), come first in an
     * implicit output ({@code "...ij,...jk"} is a batched matmul), and are summed when an explicit output omits
     * {@code ...}.
     */
    public static Tensor einsum(String spec, DType preferred, Tensor... operands) {
        Location loc = SourceLoc.here();
        String s = spec.replace(" ", "");
        String[] io = s.split("->", -1);
        String[] ins = io[0].split(",", -1);
        if (io.length > 2 || ins.length != operands.length) {
            throw new DslException("einsum", "subscripts '" + spec + "' name " + ins.length + " operands but " + operands.length + " were given "
                    + Tensor.describeAll(List.of(operands)), loc);
        }
        operands = operands.clone();
        String ell = expandEllipses(spec, ins, operands, loc);
        Map<Character, Long> sizes = new HashMap<>();
        // Each letter's number of occurrences over all operands, repeats inside one operand included (numpy's
        // implicit output keeps the letters that occur exactly once, so "ii" is a trace).
        Map<Character, Integer> uses = new HashMap<>();
        for (int k = 0; k < ins.length; k++) {
            String sub = ins[k];
            Tensor t = operands[k];
            if (sub.length() != t.rank()) {
                throw new DslException("einsum", "subscripts '" + sub + "' have " + sub.length() + " letters but operand " + k + " is "
                        + t.describe() + " (rank " + t.rank() + ")", loc);
            }
            for (int i = 0; i < sub.length(); i++) {
                char c = sub.charAt(i);
                if (!Character.isLetter(c) && ell.indexOf(c) < 0) throw new DslException("einsum", "'" + c + "' in '" + spec + "' is not a letter", loc);
                uses.merge(c, 1, Integer::sum);
            }
            if (hasRepeat(sub)) {
                operands[k] = diagonal(t, sub, k, spec, loc);
                ins[k] = sub = firstOccurrences(sub);
                t = operands[k];
            }
            for (int i = 0; i < sub.length(); i++) {
                char c = sub.charAt(i);
                Long prev = sizes.putIfAbsent(c, t.dims()[i]);
                if (prev != null && prev != t.dims()[i]) {
                    throw new DslException("einsum", "subscript '" + c + "' has size " + prev + " and " + t.dims()[i] + " in '" + spec + "' for "
                            + Tensor.describeAll(List.of(operands)), loc);
                }
            }
        }
        String out;
        if (io.length == 2) {
            out = io[1];
            int dots = out.indexOf("...");
            if (dots >= 0) out = out.substring(0, dots) + ell + out.substring(dots + 3);
            for (int i = 0; i < out.length(); i++) {
                char c = out.charAt(i);
                if (!sizes.containsKey(c)) throw new DslException("einsum", "output subscript '" + c + "' of '" + spec + "' appears in no input", loc);
                if (out.indexOf(c) != i) throw new DslException("einsum", "output subscript '" + c + "' repeated in '" + spec + "'", loc);
            }
        } else {
            StringBuilder sb = new StringBuilder(ell);
            sizes.keySet().stream().filter(c -> ell.indexOf(c) < 0 && uses.get(c) == 1).sorted().forEach(sb::append);
            out = sb.toString();
        }
        Tensor acc = operands[0];
        String accSub = ins[0];
        for (int k = 1; k < operands.length; k++) {
            StringBuilder later = new StringBuilder(out);
            for (int j = k + 1; j < ins.length; j++) later.append(ins[j]);
            String[] res = new String[1];
            acc = contract(acc, accSub, operands[k], ins[k], later.toString(), preferred, res);
            accSub = res[0];
        }
        // Sum letters not in the output, then order as the output says.
        List<Integer> drop = new ArrayList<>();
        StringBuilder kept = new StringBuilder();
        for (int i = 0; i < accSub.length(); i++) {
            if (out.indexOf(accSub.charAt(i)) < 0) drop.add(i);
            else kept.append(accSub.charAt(i));
        }
        if (!drop.isEmpty()) acc = Reductions.sum(acc, drop.stream().mapToInt(Integer::intValue).toArray());
        int[] perm = new int[out.length()];
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) {
            perm[i] = kept.indexOf(String.valueOf(out.charAt(i)));
            identity &= perm[i] == i;
        }
        if (operands.length == 1 && preferred != null) acc = Ops.astype(acc, preferred);
        return identity ? acc : Ops.transpose(acc, perm);
    }

    private static boolean hasRepeat(String sub) {
        for (int i = 0; i < sub.length(); i++) if (sub.indexOf(sub.charAt(i)) != i) return true;
        return false;
    }

    private static String firstOccurrences(String sub) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sub.length(); i++) if (sub.indexOf(sub.charAt(i)) == i) sb.append(sub.charAt(i));
        return sb.toString();
    }

    /**
     * The generalised diagonal of operand {@code k} over its repeated letters ("ii" -> the diagonal, "iji" -> [i, j]):
     * entries whose repeated dims disagree are selected to zero (a select, not a multiply, so an inf or NaN off the
     * diagonal cannot leak in), then the later occurrences are summed away, leaving one dim per letter in order of
     * first occurrence. Select and sum carry their own VJP rules; the iota masks are constants.
     */
    private static Tensor diagonal(Tensor t, String sub, int k, String spec, Location loc) {
        Shape shape = Shape.of(t.dims());
        List<Integer> later = new ArrayList<>();
        Tensor masked = t;
        for (int i = 0; i < sub.length(); i++) {
            int first = sub.indexOf(sub.charAt(i));
            if (first == i) continue;
            if (t.dims()[first] != t.dims()[i]) {
                throw new DslException("einsum", "operand " + k + " " + t.describe() + " repeats subscript '" + sub.charAt(i) + "' in '" + sub
                        + "' over dims " + first + " and " + i + " whose sizes " + t.dims()[first] + " and " + t.dims()[i] + " differ (in '"
                        + spec + "')", loc);
            }
            Tensor same = Ops.eq(Ops.iota(DType.I32, shape, first), Ops.iota(DType.I32, shape, i));
            masked = Ops.where(same, masked, 0);
            later.add(i);
        }
        return Reductions.sum(masked, ints(later));
    }

    /** Stand-ins for the ellipsis dims: private-use characters, which are not letters, so never a user's subscript. */
    private static char ellipsisChar(int p) { return (char) (0xE000 + p); }

    /**
     * Replaces each operand's {@code ...} by one stand-in per ellipsis dim, numbered from the right so that the
     * operands' ellipsis dims broadcast as numpy aligns them; a size-1 ellipsis dim facing a larger one elsewhere
     * is reshaped away (it broadcasts). Rewrites {@code ins} and {@code ops}; returns the stand-ins of the whole
     * broadcast ellipsis, outermost first ("" when no operand has one).
     */
    private static String expandEllipses(String spec, String[] ins, Tensor[] ops, Location loc) {
        int n = ins.length, rank = 0;
        int[] count = new int[n], at = new int[n];
        for (int k = 0; k < n; k++) {
            String sub = ins[k];
            at[k] = sub.indexOf("...");
            count[k] = -1;
            String rest = at[k] < 0 ? sub : sub.substring(0, at[k]) + sub.substring(at[k] + 3);
            if (rest.indexOf('.') >= 0) {
                throw new DslException("einsum", "operand " + k + "'s subscripts '" + sub + "' in '" + spec + "' have a '.' outside a single '...'", loc);
            }
            if (at[k] < 0) continue;
            count[k] = ops[k].rank() - rest.length();
            if (count[k] < 0) {
                throw new DslException("einsum", "subscripts '" + sub + "' name " + rest.length() + " dims besides '...' but operand " + k + " is "
                        + ops[k].describe() + " (rank " + ops[k].rank() + ")", loc);
            }
            rank = Math.max(rank, count[k]);
        }
        long[] size = new long[rank];
        int[] from = new int[rank];
        Arrays.fill(size, 1);
        Arrays.fill(from, -1);
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < count[k]; i++) {
                int p = rank - count[k] + i;
                long d = ops[k].dims()[at[k] + i];
                if (d == 1) continue;
                if (size[p] != 1 && size[p] != d) {
                    int j = from[p];
                    throw new DslException("einsum", "the '...' dims of operand " + j + " " + ops[j].describe() + " (" + ellipsisShape(ops[j], at[j], count[j])
                            + ") and operand " + k + " " + ops[k].describe() + " (" + ellipsisShape(ops[k], at[k], count[k])
                            + ") cannot be broadcast together in '" + spec + "'", loc);
                }
                size[p] = d;
                from[p] = k;
            }
        }
        for (int k = 0; k < n; k++) {
            if (count[k] < 0) continue;
            StringBuilder letters = new StringBuilder(ins[k].substring(0, at[k]));
            List<Long> kept = new ArrayList<>();
            for (int i = 0; i < at[k]; i++) kept.add(ops[k].dims()[i]);
            for (int i = 0; i < count[k]; i++) {
                int p = rank - count[k] + i;
                long d = ops[k].dims()[at[k] + i];
                if (d == 1 && size[p] != 1) continue;
                letters.append(ellipsisChar(p));
                kept.add(d);
            }
            for (int i = at[k] + count[k]; i < ops[k].rank(); i++) kept.add(ops[k].dims()[i]);
            letters.append(ins[k].substring(at[k] + 3));
            if (kept.size() != ops[k].rank()) ops[k] = Ops.reshape(ops[k], kept.stream().mapToLong(Long::longValue).toArray());
            ins[k] = letters.toString();
        }
        StringBuilder all = new StringBuilder();
        for (int p = 0; p < rank; p++) all.append(ellipsisChar(p));
        return all.toString();
    }

    private static String ellipsisShape(Tensor t, int at, int count) {
        return Arrays.toString(Arrays.copyOfRange(t.dims(), at, at + count));
    }

    /** One pairwise step: letters in both and still needed are batch dims, letters in both and not needed are contracted. */
    private static Tensor contract(Tensor a, String la, Tensor b, String lb, String needed, DType preferred, String[] resultSub) {
        // Letters used by only one side and needed nowhere else are summed out first.
        a = sumUnneeded(a, la, lb + needed);
        la = keep(la, lb + needed);
        b = sumUnneeded(b, lb, la + needed);
        lb = keep(lb, la + needed);
        List<Integer> ab = new ArrayList<>(), bb = new ArrayList<>(), ac = new ArrayList<>(), bc = new ArrayList<>();
        StringBuilder batch = new StringBuilder(), afree = new StringBuilder(), bfree = new StringBuilder();
        for (int i = 0; i < la.length(); i++) {
            char c = la.charAt(i);
            int j = lb.indexOf(c);
            if (j < 0) afree.append(c);
            else if (needed.indexOf(c) >= 0) { ab.add(i); bb.add(j); batch.append(c); }
            else { ac.add(i); bc.add(j); }
        }
        for (int j = 0; j < lb.length(); j++) if (la.indexOf(lb.charAt(j)) < 0) bfree.append(lb.charAt(j));
        resultSub[0] = batch.toString() + afree + bfree;
        return dotGeneral(a, b, ints(ac), ints(bc), ints(ab), ints(bb), preferred);
    }

    private static Tensor sumUnneeded(Tensor t, String sub, String elsewhere) {
        List<Integer> drop = new ArrayList<>();
        for (int i = 0; i < sub.length(); i++) if (elsewhere.indexOf(sub.charAt(i)) < 0) drop.add(i);
        return drop.isEmpty() ? t : Reductions.sum(t, ints(drop));
    }

    private static String keep(String sub, String elsewhere) {
        StringBuilder sb = new StringBuilder();
        for (char c : sub.toCharArray()) if (elsewhere.indexOf(c) >= 0) sb.append(c);
        return sb.toString();
    }

    private static int[] ints(List<Integer> l) { return l.stream().mapToInt(Integer::intValue).toArray(); }

    /**
     * Grouped matmul, emitted as {@code chlo.ragged_dot}: lhs [m, k] whose rows are split into consecutive groups
     * of {@code groupSizes} (i32 [g]) rows, rhs [g, k, n]; row block i is multiplied by rhs[i]. Result [m, n]. This is
     * chlo.ragged_dot's non-contracting mode (lhs dim 0 ragged, lhs dim 1 and rhs dim 1 contracted, rhs dim 0 the group):
     * the op's type rule checks the shapes (k and g must match, group sizes integers) and gives the result type. lhs and
     * rhs must share a dtype, as for every DSL contraction.
     */
    public static Tensor raggedDot(Tensor lhs, Tensor rhs, Tensor groupSizes, DType preferred) {
        Location loc = SourceLoc.here();
        String op = "raggedDot";
        if (lhs.dtype() != rhs.dtype()) {
            throw new DslException(op, "dtypes differ: " + lhs.describe() + " and " + rhs.describe(), loc);
        }
        var dn = new RaggedDotDimensionNumbers(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(0L));
        ElementType et = preferred == null ? null : preferred.elementType();
        return Ops.emit(op, loc, List.of(lhs, rhs, groupSizes), () -> Ops.h(op, loc).raggedDot(Ops.v(lhs, op, loc), Ops.v(rhs, op, loc),
                Ops.v(groupSizes, op, loc), dn, et, loc));
    }
}
