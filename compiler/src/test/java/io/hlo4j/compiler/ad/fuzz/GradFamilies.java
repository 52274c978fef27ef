package io.hlo4j.compiler.ad.fuzz;

import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Val;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The generator's statement families beyond its first {@value GradProgramGen#LEGACY} kinds, each drawn with its own
 * weight ({@link Weights}: {@code -Dgradfuzz.weight.conv=0} turns convolutions off, say), so that a failure is
 * attributable to a family and a family can be run alone. With every weight 0 the generator draws exactly the programs
 * it drew before these families existed (the cases other tests name by number stay the same programs).
 */
final class GradFamilies {
    /** A family and its default weight (out of the {@value GradProgramGen#LEGACY} equally likely older kinds). */
    enum Family {
        /** convolution: 1 or 2 spatial dims, any layout, strides, padding (negative too), rhs dilation, feature groups. */
        CONV(2),
        /** convolution with lhs dilation (a transposed convolution). */
        CONV_LHS_DILATION(1),
        /** gather: offset, collapsed and operand batching dims, index vectors of any position and length, repeated indices. */
        GATHER(2),
        /** gather whose start indices are sometimes out of range, which gather clamps. */
        GATHER_CLAMP(1),
        /** stablehlo.if on a predicate computed from a float value or an i32 argument, one or two results. */
        IF(2),
        /** a while inside a while's body, the inner trip count read from the outer counter. */
        NESTED_WHILE(1),
        /** a while whose trip count depends on the inputs: an i32 argument's value, or a float carry against a bound. */
        TRIP_COUNT(2),
        /** sort of a float key carrying a float payload (and sometimes an i32 one). */
        MULTI_SORT(2),
        /** a bf16 segment entered and left through convert; smooth ops only inside (see {@link #bf16Op}). */
        BF16(2),
        /** a complex intermediate: complex(x, y), complex ops, then real, imag or abs (a real value leaves the statement). */
        COMPLEX(2);

        final int defaultWeight;

        Family(int w) { defaultWeight = w; }

        String property() { return "gradfuzz.weight." + name().toLowerCase(Locale.ROOT).replace("_", ""); }
    }

    /** Each family's weight; a statement picks family f with probability w(f) / (LEGACY + total). */
    record Weights(int[] w) {
        static final Weights NONE = new Weights(new int[Family.values().length]);

        /** The defaults, each overridden by its system property ({@code gradfuzz.weight.<family, lower case, no _>}). */
        static Weights fromProperties() {
            int[] w = new int[Family.values().length];
            for (Family f : Family.values()) w[f.ordinal()] = Integer.getInteger(f.property(), f.defaultWeight);
            return new Weights(w);
        }

        int total() { return Arrays.stream(w).sum(); }

        Family at(int k) {
            for (Family f : Family.values()) {
                if (k < w[f.ordinal()]) return f;
                k -= w[f.ordinal()];
            }
            throw new IllegalArgumentException("no family at " + k);
        }
    }

    private final GradProgramGen g;

    GradFamilies(GradProgramGen g) { this.g = g; }

    Val op(Family f, Val a) {
        return switch (f) {
            case CONV -> conv(a, false);
            case CONV_LHS_DILATION -> conv(a, true);
            case GATHER -> gather(a, false);
            case GATHER_CLAMP -> gather(a, true);
            case IF -> ifOf(a);
            case NESTED_WHILE -> nestedWhile(a);
            case TRIP_COUNT -> g.rnd.nextBoolean() ? tripsFromArgument(a) : tripsFromFloatBound(a);
            case MULTI_SORT -> multiSort(a);
            case BF16 -> {
                if (a.et().equals("bf16")) yield bf16Op(a);
                Val c = g.emit("stablehlo.convert", List.of(a), "", "", a.shape(), "bf16");
                yield g.rnd.nextBoolean() ? c : g.smooth(c);
            }
            case COMPLEX -> complex(a);
        };
    }

    /**
     * A statement on a bf16 value: smooth ops, products, sums and shape changes only, or a convert back. Kinks (max,
     * sort, clamp, abs) are left out: bf16 rounding moves values by 2^-9 relative, enough to tie two sides or swap two
     * keys that the f64 twin the oracle differentiates keeps apart, which would be a difference of the twins, not a
     * wrong gradient.
     */
    Val bf16Op(Val a) {
        long[] s = a.shape();
        int r = s.length;
        return switch (g.rnd.nextInt(8)) {
            case 0, 1 -> g.smooth(a);
            case 2 -> {
                Val b = g.partner(a, s);
                yield switch (g.rnd.nextInt(3)) {
                    case 0 -> g.binary("add", a, b);
                    case 1 -> g.binary("subtract", a, b);
                    default -> g.binary("multiply", a, b);
                };
            }
            case 3 -> g.dot(a);
            case 4 -> g.emit("stablehlo.reshape", List.of(a), "", "", new long[] {a.elements()}, a.et());
            case 5 -> {
                if (r < 1) yield g.smooth(a);
                int d = g.rnd.nextInt(r);
                long[] o = new long[r - 1];
                for (int i = 0, j = 0; i < r; i++) if (i != d) o[j++] = s[i];
                yield g.emit("stablehlo.reduce", List.of(a, g.scalar(a.et(), 0)), "dimensions = " + GradProgramGen.i64s(d),
                        GradProgramGen.reducer("add", a.et()), o, a.et());
            }
            default -> g.emit("stablehlo.convert", List.of(a), "", "", s, g.rnd.nextBoolean() ? "f64" : "f32");
        };
    }

    // ---- convolution

    /**
     * a reshaped to a convolution's input (batch, features, 1 or 2 spatial dims, in a random layout), convolved with a
     * kernel of the program (another random layout) into a third layout: strides 1-2, padding -1 to 2 each side,
     * rhs dilation 1-2, feature_group_count dividing the features; lhs dilation 1-3 when {@code lhsDilation}.
     */
    private Val conv(Val a, boolean lhsDilation) {
        int ns = 1 + g.rnd.nextInt(2);
        long n = a.elements();
        long[] parts = new long[ns + 2]; // N, C, spatial...
        long rest = n;
        for (int i = 0; i < parts.length - 1; i++) {
            List<Long> ds = divisors(rest);
            parts[i] = ds.get(g.rnd.nextInt(ds.size()));
            rest /= parts[i];
        }
        parts[parts.length - 1] = rest;
        long batch = parts[0], c = parts[1];
        List<Long> gs = divisors(c);
        long groups = gs.get(g.rnd.nextInt(gs.size())), og = 1 + g.rnd.nextInt(2), o = groups * og;
        long[] in = Arrays.copyOfRange(parts, 2, parts.length), k = new long[ns], stride = new long[ns], rdil = new long[ns],
                ldil = new long[ns], lo = new long[ns], hi = new long[ns], out = new long[ns];
        for (int d = 0; d < ns; d++) {
            k[d] = 1 + g.rnd.nextInt(3);
            stride[d] = 1 + g.rnd.nextInt(2);
            rdil[d] = g.rnd.nextInt(3) == 0 ? 2 : 1;
            ldil[d] = lhsDilation ? 1 + g.rnd.nextInt(3) : 1;
            lo[d] = g.rnd.nextInt(4) - 1;
            hi[d] = g.rnd.nextInt(4) - 1;
        }
        if (lhsDilation && Arrays.stream(ldil).allMatch(x -> x == 1)) ldil[0] = 2;
        for (int d = 0; d < ns; d++) {
            long span = (in[d] - 1) * ldil[d] + 1 + lo[d] + hi[d], kspan = (k[d] - 1) * rdil[d] + 1;
            if (span < kspan) { // pad up to one window
                hi[d] += kspan - span;
                span = kspan;
            }
            out[d] = (span - kspan) / stride[d] + 1;
        }
        String[] lhsRoles = roles("b", "f", ns), kRoles = roles("o", "i", ns), outRoles = roles("b", "f", ns);
        long[] ls = shape(lhsRoles, batch, c, in), ks = shape(kRoles, o, c / groups, k), os = shape(outRoles, batch, o, out);
        if (GradProgramGen.elements(os) > 96 || GradProgramGen.elements(ks) > 48) return g.smooth(a);
        Val lhs = Arrays.equals(ls, a.shape()) ? a : g.emit("stablehlo.reshape", List.of(a), "", "", ls, a.et());
        Val kernel = g.partner(lhs, ks);
        StringBuilder pad = new StringBuilder("dense<[");
        for (int d = 0; d < ns; d++) pad.append(d == 0 ? "" : ", ").append('[').append(lo[d]).append(", ").append(hi[d]).append(']');
        pad.append("]> : tensor<").append(ns).append("x2xi64>");
        String dn = "#stablehlo.conv<[" + String.join(", ", lhsRoles) + "]x[" + String.join(", ", kRoles) + "]->[" + String.join(", ", outRoles) + "]>";
        return g.emit("stablehlo.convolution", List.of(lhs, kernel), "batch_group_count = 1 : i64, dimension_numbers = " + dn
                + ", feature_group_count = " + groups + " : i64, lhs_dilation = " + GradProgramGen.i64s(ldil) + ", padding = " + pad
                + ", rhs_dilation = " + GradProgramGen.i64s(rdil) + ", window_strides = " + GradProgramGen.i64s(stride), "", os, a.et());
    }

    /** The roles of a convolution operand's dims in a random order: the two named ones and the spatial dims 0, 1. */
    private String[] roles(String first, String second, int ns) {
        List<String> r = new ArrayList<>(List.of(first, second));
        for (int d = 0; d < ns; d++) r.add(Integer.toString(d));
        Collections.shuffle(r, g.rnd);
        return r.toArray(String[]::new);
    }

    private static long[] shape(String[] roles, long first, long second, long[] spatial) {
        long[] s = new long[roles.length];
        for (int i = 0; i < roles.length; i++) {
            s[i] = switch (roles[i]) {
                case "b", "o" -> first;
                case "f", "i" -> second;
                default -> spatial[Integer.parseInt(roles[i])];
            };
        }
        return s;
    }

    private static List<Long> divisors(long n) {
        List<Long> ds = new ArrayList<>();
        for (long d = 1; d <= n; d++) if (n % d == 0) ds.add(d);
        return ds;
    }

    // ---- gather

    /**
     * A general gather of a: 1 or 2 start index dims in any order (some collapsed, the others sliced 1 to their size),
     * sometimes an operand batching dim matched by an indices batching dim, 0 to 2 further index batch dims, the index
     * vector at any position of the indices or implicit (one start index dim), offset dims at random result positions,
     * i32 or i64 indices. Indices repeat freely (the VJP, a scatter-add, must sum the repeats); with {@code clamp} some
     * start indices are out of range (gather clamps them so that the slice fits).
     */
    private Val gather(Val a, boolean clamp) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) return g.smooth(a);
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < r; i++) dims.add(i);
        Collections.shuffle(dims, g.rnd);
        int ob = r >= 2 && g.rnd.nextInt(3) == 0 ? dims.removeFirst() : -1; // an operand batching dim
        int m = Math.min(dims.size(), 1 + g.rnd.nextInt(2));
        List<Integer> startMap = new ArrayList<>(dims.subList(0, m));
        long[] slice = new long[r];
        List<Long> collapsed = new ArrayList<>();
        for (int d = 0; d < r; d++) {
            if (d == ob) slice[d] = 1;
            else if (startMap.contains(d) && g.rnd.nextBoolean()) { slice[d] = 1; collapsed.add((long) d); }
            else slice[d] = 1 + g.rnd.nextInt((int) s[d]);
        }
        Collections.sort(collapsed);
        // the indices' batch dims (before the index vector dim is inserted)
        List<Long> ib = new ArrayList<>();
        for (int i = 0, nb = g.rnd.nextInt(3); i < nb; i++) ib.add(1L + g.rnd.nextInt(3));
        int ibPos = -1;
        if (ob >= 0) { ibPos = g.rnd.nextInt(ib.size() + 1); ib.add(ibPos, s[ob]); }
        boolean implicit = m == 1 && g.rnd.nextBoolean();
        int ivd = implicit ? ib.size() : g.rnd.nextInt(ib.size() + 1);
        List<Long> ishape = new ArrayList<>(ib);
        if (!implicit) ishape.add(ivd, (long) m);
        int sbd = ibPos < 0 ? -1 : ibPos >= ivd && !implicit ? ibPos + 1 : ibPos; // the batching dim's position in the indices
        long[] is = ishape.stream().mapToLong(Long::longValue).toArray();
        long count = GradProgramGen.elements(is);
        if (count > 24) return g.smooth(a);
        long[] vals = new long[(int) count];
        for (int e = 0; e < count; e++) {
            int comp = implicit ? 0 : (int) ((e / stride(is, ivd)) % is[ivd]);
            int d = startMap.get(comp);
            long hiIdx = s[d] - slice[d];
            vals[e] = clamp && g.rnd.nextInt(3) == 0 ? (g.rnd.nextBoolean() ? -1 - g.rnd.nextInt(2) : hiIdx + 1 + g.rnd.nextInt(2))
                    : g.rnd.nextInt((int) hiIdx + 1);
        }
        String it = g.rnd.nextBoolean() ? "i32" : "i64";
        Val ind = g.emit("stablehlo.constant", List.of(), "value = dense<" + nested(vals, is) + "> : " + Val.type(is, it), "", is, it);
        // result: the indices' batch dims (all but the index vector) with the offset dims at random sorted positions
        List<Long> offsets = new ArrayList<>();
        for (int d = 0; d < r; d++) if (d != ob && !collapsed.contains((long) d)) offsets.add(slice[d]);
        int rr = ib.size() + offsets.size();
        List<Integer> pos = new ArrayList<>();
        for (int i = 0; i < rr; i++) pos.add(i);
        Collections.shuffle(pos, g.rnd);
        List<Integer> offPos = pos.subList(0, offsets.size()).stream().sorted().toList();
        long[] os = new long[rr];
        for (int i = 0, bi = 0, oi = 0; i < rr; i++) os[i] = offPos.contains(i) ? offsets.get(oi++) : ib.get(bi++);
        if (GradProgramGen.elements(os) > 96) return g.smooth(a);
        String dn = "dimension_numbers = #stablehlo.gather<offset_dims = " + GradProgramGen.list(offPos.stream().mapToLong(Integer::longValue).toArray())
                + ", collapsed_slice_dims = " + GradProgramGen.list(collapsed.stream().mapToLong(Long::longValue).toArray())
                + (ob >= 0 ? ", operand_batching_dims = [" + ob + "], start_indices_batching_dims = [" + sbd + "]" : "")
                + ", start_index_map = " + GradProgramGen.list(startMap.stream().mapToLong(Integer::longValue).toArray())
                + ", index_vector_dim = " + ivd + ">";
        return g.emit("stablehlo.gather", List.of(a, ind), dn + ", slice_sizes = " + GradProgramGen.i64s(slice) + ", indices_are_sorted = false", "", os, a.et());
    }

    /** How many elements one step along dim d of a row-major shape skips. */
    private static long stride(long[] shape, int d) {
        long st = 1;
        for (int i = d + 1; i < shape.length; i++) st *= shape[i];
        return st;
    }

    /** A dense literal's nested brackets for row-major values of this shape. */
    static String nested(long[] vals, long[] shape) {
        if (shape.length == 0) return Long.toString(vals[0]);
        StringBuilder sb = new StringBuilder();
        nested(sb, vals, shape, 0, 0);
        return sb.toString();
    }

    private static int nested(StringBuilder sb, long[] vals, long[] shape, int d, int at) {
        sb.append('[');
        for (int i = 0; i < shape[d]; i++) {
            if (i > 0) sb.append(", ");
            if (d == shape.length - 1) sb.append(vals[at++]);
            else at = nested(sb, vals, shape, d + 1, at);
        }
        sb.append(']');
        return at;
    }

    // ---- control flow

    /**
     * A while loop: {@code name:n = stablehlo.while(...)} carrying {@code inits}; {@code cond} and {@code body} build
     * the regions' ops from the carried values (nested loops write into the body). Returns the op's result name.
     */
    private String whileOp(List<Val> inits, Function<List<Val>, Val> cond, Function<List<Val>, List<Val>> body) {
        String name = g.fresh();
        List<Val> carried = new ArrayList<>();
        for (Val v : inits) carried.add(new Val(g.fresh(), v.shape(), v.et()));
        List<String> outer = g.out;
        List<String> heads = new ArrayList<>(), types = new ArrayList<>();
        for (int i = 0; i < inits.size(); i++) { heads.add(carried.get(i).name() + " = " + inits.get(i).name()); types.add(inits.get(i).type()); }
        outer.add(name + ":" + inits.size() + " = stablehlo.while(" + String.join(", ", heads) + ") : " + String.join(", ", types));
        outer.add(" cond {");
        g.out = new ArrayList<>();
        Val c = cond.apply(carried);
        g.out.add("\"stablehlo.return\"(" + c.name() + ") : (tensor<i1>) -> ()");
        for (String l : g.out) outer.add("  " + l);
        outer.add("} do {");
        g.out = new ArrayList<>();
        List<Val> next = body.apply(carried);
        g.out.add("\"stablehlo.return\"(" + String.join(", ", next.stream().map(Val::name).toList()) + ") : (" + String.join(", ", types) + ") -> ()");
        for (String l : g.out) outer.add("  " + l);
        outer.add("}");
        g.out = outer;
        return name;
    }

    private Val lessThan(Val x, Val bound) {
        return g.emit("stablehlo.compare", List.of(x, bound), "comparison_direction = #stablehlo<comparison_direction LT>", "", new long[0], "i1");
    }

    private Val plusOne(Val i) { return g.binary("add", i, g.index(1)); }

    /** The sum of all of a's elements (a scalar of a's type). */
    private Val sumAll(Val a) {
        if (a.shape().length == 0) return a;
        return g.emit("stablehlo.reduce", List.of(a, g.scalar(a.et(), 0)), "dimensions = " + GradProgramGen.i64s(GradProgramGen.range(0, a.shape().length)),
                GradProgramGen.reducer("add", a.et()), new long[0], a.et());
    }

    /**
     * Outer loop i < 1..3 over state s; its body runs an inner loop j < i + 1 (the inner trip count read from the outer
     * counter) over t = s with t' = tanh(t) * w + 0.5 * t * s (s and w captured), then s' = inner + sine(s).
     */
    private Val nestedWhile(Val a) {
        Val w = g.partner(a, a.shape());
        Val n1 = g.index(1 + g.rnd.nextInt(3));
        String name = whileOp(List.of(g.index(0), a), c -> lessThan(c.get(0), n1), c -> {
            Val i = c.get(0), s = c.get(1);
            String inner = whileOp(List.of(g.index(0), s), ic -> lessThan(ic.get(0), plusOne(i)), ic -> {
                Val t = ic.get(1);
                Val nt = g.binary("add", g.binary("multiply", g.unary("tanh", t), w), g.binary("multiply", g.binary("multiply", t, g.constLike(t, 0.5)), s));
                return List.of(plusOne(ic.get(0)), nt);
            });
            Val ns = g.binary("add", new Val(inner + "#1", a.shape(), a.et()), g.unary("sine", s));
            return List.of(plusOne(i), ns);
        });
        return new Val(name + "#1", a.shape(), a.et());
    }

    /** A loop i < clamp(0, k + c, 4) for an i32 argument k in [-3, 3]: 0 to 4 trips, the count differing between inputs. */
    private Val tripsFromArgument(Val a) {
        Val w = g.partner(a, a.shape());
        Val k = g.newArg(new long[0], "i32");
        Val bound = g.emit("stablehlo.clamp", List.of(g.index(0), g.binary("add", k, g.index(g.rnd.nextInt(3))), g.index(4)), "", "", new long[0], "i32");
        String name = whileOp(List.of(g.index(0), a), c -> lessThan(c.get(0), bound), c -> {
            Val s = c.get(1);
            Val ns = g.binary("add", g.binary("multiply", g.unary("tanh", s), w), g.binary("multiply", s, g.constLike(s, 0.5)));
            return List.of(plusOne(c.get(0)), ns);
        });
        return new Val(name + "#1", a.shape(), a.et());
    }

    /**
     * A loop on a float carry t while t < m + 0.5, t += 1, with t0 = 0.25 tanh(sum a) + q (q an i32 argument in [-3, 3],
     * converted): m + 1 - q trips (0 when negative), and the float part keeps t 0.25 away from every bound, far beyond a
     * finite difference's step, so the perturbed programs run as many trips. t is differentiable and feeds the state:
     * s' = s tanh(t) + 0.5 w.
     */
    private Val tripsFromFloatBound(Val a) {
        Val w = g.partner(a, a.shape());
        String et = a.et();
        Val q = g.emit("stablehlo.convert", List.of(g.newArg(new long[0], "i32")), "", "", new long[0], et);
        Val t0 = g.binary("add", g.binary("multiply", g.unary("tanh", sumAll(a)), g.scalar(et, 0.25)), q);
        Val bound = g.scalar(et, 1 + g.rnd.nextInt(3) + 0.5);
        String name = whileOp(List.of(t0, a), c -> lessThan(c.get(0), bound), c -> {
            Val t = c.get(0), s = c.get(1);
            Val tb = s.shape().length == 0 ? g.unary("tanh", t)
                    : g.emit("stablehlo.broadcast_in_dim", List.of(g.unary("tanh", t)), "broadcast_dimensions = array<i64>", "", s.shape(), et);
            Val ns = g.binary("add", g.binary("multiply", s, tb), g.binary("multiply", w, g.constLike(w, 0.5)));
            return List.of(g.binary("add", t, g.scalar(et, 1)), ns);
        });
        return new Val(name + "#1", a.shape(), et);
    }

    /**
     * stablehlo.if on a predicate: the sum of a's elements against -0.5, 0 or 0.5 (a finite difference crosses it only
     * on a measure-zero set of inputs, which the oracle sees as a kink and redraws), or an i32 argument >= 0. Branches
     * read a and an outer b, sometimes return them directly; one or two results.
     */
    private Val ifOf(Val a) {
        Val b = g.partner(a, a.shape());
        Val pred;
        if (g.rnd.nextBoolean()) {
            pred = g.emit("stablehlo.compare", List.of(sumAll(a), g.scalar(a.et(), (g.rnd.nextInt(3) - 1) * 0.5)),
                    "comparison_direction = #stablehlo<comparison_direction GT>", "", new long[0], "i1");
        } else {
            pred = g.emit("stablehlo.compare", List.of(g.newArg(new long[0], "i32"), g.index(0)),
                    "comparison_direction = #stablehlo<comparison_direction GE>", "", new long[0], "i1");
        }
        int results = 1 + g.rnd.nextInt(2);
        List<String> outer = g.out;
        String name = g.fresh();
        StringBuilder regions = new StringBuilder();
        for (int j = 0; j < 2; j++) {
            g.out = new ArrayList<>();
            List<Val> rs = new ArrayList<>();
            for (int k = 0; k < results; k++) {
                rs.add(switch (g.rnd.nextInt(4)) {
                    case 0 -> g.rnd.nextBoolean() ? a : b;
                    case 1 -> g.binary("multiply", a, b);
                    case 2 -> g.smooth(b);
                    default -> g.binary("add", g.smooth(a), a);
                });
            }
            String ts = String.join(", ", rs.stream().map(Val::type).toList());
            g.out.add("\"stablehlo.return\"(" + String.join(", ", rs.stream().map(Val::name).toList()) + ") : (" + ts + ") -> ()");
            regions.append(j == 0 ? "{\n" : ", {\n");
            for (String l : g.out) regions.append("      ").append(l).append('\n');
            regions.append("    }");
        }
        g.out = outer;
        String rt = results == 1 ? a.type() : "(" + a.type() + ", " + a.type() + ")";
        g.out.add(name + (results == 1 ? "" : ":2") + " = \"stablehlo.if\"(" + pred.name() + ") (" + regions + ") : (tensor<i1>) -> " + rt);
        return new Val(results == 1 ? name : name + "#" + g.rnd.nextInt(2), a.shape(), a.et());
    }

    /**
     * sort along a dim of (a, payload[, an i32 iota]) by a alone, ascending or descending, stable or not; the statement's
     * value is the sorted payload or the sorted key. Random inputs give distinct keys; copies of one element (a
     * broadcast) stay tied under a perturbation and keep their order.
     */
    private Val multiSort(Val a) {
        long[] s = a.shape();
        int r = s.length;
        if (r < 1) return g.smooth(a);
        Val payload = g.partner(a, s);
        List<Val> ops = new ArrayList<>(List.of(a, payload));
        int d = g.rnd.nextInt(r);
        if (g.rnd.nextBoolean()) ops.add(g.emit("stablehlo.iota", List.of(), "iota_dimension = " + d + " : i64", "", s, "i32"));
        StringBuilder args = new StringBuilder();
        for (int i = 0; i < ops.size(); i++) {
            String t = Val.type(new long[0], ops.get(i).et());
            args.append(i == 0 ? "" : ", ").append("%p").append(i).append(": ").append(t).append(", %q").append(i).append(": ").append(t);
        }
        String t = Val.type(new long[0], a.et());
        String cmp = "{\n      ^bb0(" + args + "):\n        %r = \"stablehlo.compare\"(%p0, %q0) <{comparison_direction = #stablehlo<comparison_direction "
                + (g.rnd.nextBoolean() ? "GT" : "LT") + ">}> : (" + t + ", " + t + ") -> tensor<i1>\n        \"stablehlo.return\"(%r) : (tensor<i1>) -> ()\n    }";
        String name = g.fresh();
        String ts = String.join(", ", ops.stream().map(Val::type).toList());
        g.out.add(name + ":" + ops.size() + " = \"stablehlo.sort\"(" + String.join(", ", ops.stream().map(Val::name).toList()) + ") <{dimension = " + d
                + " : i64, is_stable = " + g.rnd.nextBoolean() + "}> (" + cmp + ") : (" + ts + ") -> (" + ts + ")");
        return new Val(name + "#" + (g.rnd.nextInt(3) == 0 ? 0 : 1), s, a.et());
    }

    // ---- complex

    /**
     * z = complex(x, y) of a (or tanh a) and a partner, 1 to 3 complex ops (products, sums, quotients by a value of
     * modulus >= 1, exp, sine, cosine of a bounded argument, transpose, reverse, reshape, a dot_general, a reduce sum),
     * then real, imag or abs: the statement's value is real, so the oracle's real pairing applies and the complex
     * cotangents are checked through the real loss (JAX's convention: ComplexRules).
     */
    private Val complex(Val a) {
        if (!a.et().equals("f64")) return g.smooth(a);
        String ct = "complex<f64>";
        Val x = g.rnd.nextBoolean() ? a : g.unary("tanh", a), y = g.unary("tanh", g.partner(a, a.shape()));
        Val z = g.emit("stablehlo.complex", List.of(x, y), "", "", a.shape(), ct);
        for (int i = 0, n = 1 + g.rnd.nextInt(3); i < n; i++) z = complexOp(z, a);
        String part = new String[] {"real", "imag", "abs"}[g.rnd.nextInt(3)];
        return g.emit("stablehlo." + part, List.of(z), "", "", z.shape(), "f64");
    }

    /** A complex value of this shape from two real values of the program (the second through tanh). */
    private Val complexOf(Val like, long[] shape) {
        return g.emit("stablehlo.complex", List.of(g.partner(like, shape), g.unary("tanh", g.partner(like, shape))), "", "", shape, "complex<f64>");
    }

    private Val complexOp(Val z, Val like) {
        long[] s = z.shape();
        int r = s.length;
        String ct = z.et();
        switch (g.rnd.nextInt(11)) {
            case 0 -> { return g.binary("multiply", z, z); }
            case 1 -> { return g.binary("multiply", z, complexOf(like, s)); }
            case 2 -> { return g.binary(g.rnd.nextBoolean() ? "add" : "subtract", z, complexOf(like, s)); }
            case 3 -> { // z / (w + 2): |w + 2| >= 1 for |re w| <= 1... made sure by a tanh real part
                Val re = g.binary("add", g.unary("tanh", g.partner(like, s)), g.constLike(g.partner(like, s), 2));
                Val den = g.emit("stablehlo.complex", List.of(re, g.unary("tanh", g.partner(like, s))), "", "", s, ct);
                return g.binary("divide", z, den);
            }
            case 4 -> { return g.unary(new String[] {"exponential", "sine", "cosine"}[g.rnd.nextInt(3)], bounded(z)); }
            case 5 -> {
                if (r < 2) return g.unary("negate", z);
                long[] p = new long[r], o = new long[r]; // a rotation (convolutions give rank 4 too)
                for (int i = 0; i < r; i++) p[i] = (i + 1) % r;
                for (int i = 0; i < r; i++) o[i] = s[(int) p[i]];
                return g.emit("stablehlo.transpose", List.of(z), "permutation = " + GradProgramGen.i64s(p), "", o, ct);
            }
            case 6 -> {
                if (r < 1) return g.unary("negate", z);
                return g.emit("stablehlo.reverse", List.of(z), "dimensions = " + GradProgramGen.i64s(g.rnd.nextInt(r)), "", s, ct);
            }
            case 7 -> { return g.emit("stablehlo.reshape", List.of(z), "", "", new long[] {GradProgramGen.elements(s)}, ct); }
            case 8 -> { // dot_general contracting dim 0 with a complex [s0, 1..3] operand
                if (r < 1) return g.binary("multiply", z, z);
                long f = 1 + g.rnd.nextInt(3);
                Val w = complexOf(like, new long[] {s[0], f});
                long[] o = new long[r];
                System.arraycopy(s, 1, o, 0, r - 1);
                o[r - 1] = f;
                return g.emit("stablehlo.dot_general", List.of(z, w), "dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [], "
                        + "rhs_batching_dimensions = [], lhs_contracting_dimensions = [0], rhs_contracting_dimensions = [0]>", "", o, ct);
            }
            case 9 -> { // reduce sum over a dim, the init a complex zero built from reals
                if (r < 1) return g.binary("multiply", z, z);
                int d = g.rnd.nextInt(r);
                long[] o = new long[r - 1];
                for (int i = 0, j = 0; i < r; i++) if (i != d) o[j++] = s[i];
                Val zero = g.emit("stablehlo.complex", List.of(g.scalar("f64", 0), g.scalar("f64", 0)), "", "", new long[0], ct);
                return g.emit("stablehlo.reduce", List.of(z, zero), "dimensions = " + GradProgramGen.i64s(d), GradProgramGen.reducer("add", ct), o, ct);
            }
            default -> { return g.unary("negate", z); }
        }
    }

    /** z with both parts through tanh: a bounded argument for exp, sine and cosine (no compounding growth). */
    private Val bounded(Val z) {
        Val re = g.unary("tanh", g.emit("stablehlo.real", List.of(z), "", "", z.shape(), "f64"));
        Val im = g.unary("tanh", g.emit("stablehlo.imag", List.of(z), "", "", z.shape(), "f64"));
        return g.emit("stablehlo.complex", List.of(re, im), "", "", z.shape(), z.et());
    }
}
