package io.hlo4j.dsl;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * jax.numpy's array manipulation routines: {@code flip}, {@code roll}, {@code tile}, {@code repeat}, {@code split},
 * {@code array_split}, {@code tril}, {@code triu}, {@code swapaxes}, {@code moveaxis}. All are static rearrangements
 * (reverse, slice, concatenate, broadcast, reshape, gather with constant indices, select), so their gradients come
 * from those ops' rules. Axes may be negative; sizes, shifts and split points are Java numbers known when tracing.
 */
public final class Rearrange {
    private Rearrange() {}

    /** {@code jnp.flip(x, axis)}: reverses the given axes (all when none), one {@code stablehlo.reverse}. */
    public static Tensor flip(Tensor x, int... axes) {
        Location loc = SourceLoc.here();
        int[] ax = Ops.axes(x, axes, "flip", loc);
        if (ax.length == 0) return x;
        return Ops.emit("flip", loc, List.of(x), () -> Ops.h("flip", loc).ir().emit1("stablehlo.reverse", List.of(Ops.v(x, "flip", loc)),
                Map.of("dimensions", DenseArrayAttr.ofI64(Ops.toLongs(ax))), loc));
    }

    /**
     * {@code jnp.roll(x, shift, axis)}: element i moves to {@code (i + shift) mod n} along the axis; negative shifts
     * roll the other way, shifts past n wrap.
     */
    public static Tensor roll(Tensor x, long shift, int axis) { return roll(x, new long[]{shift}, new int[]{axis}); }

    /** {@code jnp.roll(x, shifts, axes)}: one shift per axis (a repeated axis rolls by the sum, as in numpy). */
    public static Tensor roll(Tensor x, long[] shifts, int[] axes) {
        Location loc = SourceLoc.here();
        if (shifts.length != axes.length) {
            throw new DslException("roll", shifts.length + " shifts " + Arrays.toString(shifts) + " for " + axes.length + " axes "
                    + Arrays.toString(axes) + " of " + x.describe(), loc);
        }
        Tensor r = x;
        for (int k = 0; k < axes.length; k++) {
            int a = Ops.axis(x, axes[k], "roll", loc);
            long n = x.dims()[a];
            if (n == 0) continue;
            long i = Math.floorMod(-shifts[k], n);
            if (i == 0) continue;
            long[] start = new long[x.rank()], mid = x.dims(), end = x.dims();
            mid[a] = i;
            long[] from = new long[x.rank()];
            from[a] = i;
            r = Ops.concat(a, Ops.slice(r, from, end), Ops.slice(r, start, mid));
        }
        return r;
    }

    /** {@code jnp.roll(x, shift)} with no axis: rolls the flattened array, then restores the shape. */
    public static Tensor roll(Tensor x, long shift) {
        return Ops.reshape(roll(Ops.reshape(x, x.size()), shift, 0), x.dims());
    }

    /**
     * {@code jnp.tile(x, reps)}: x repeated {@code reps[i]} times along each axis. Fewer reps than axes apply to the
     * trailing axes; more reps give x leading axes of size 1 first (numpy's rule).
     */
    public static Tensor tile(Tensor x, long... reps) {
        Location loc = SourceLoc.here();
        for (long rep : reps) if (rep < 0) throw new DslException("tile", "negative repetition in " + Arrays.toString(reps) + " for " + x.describe(), loc);
        int r = Math.max(reps.length, x.rank());
        long[] rp = new long[r], d = new long[r];
        Arrays.fill(rp, 1);
        Arrays.fill(d, 1);
        System.arraycopy(reps, 0, rp, r - reps.length, reps.length);
        System.arraycopy(x.dims(), 0, d, r - x.rank(), x.rank());
        // [d0, d1, ...] -> [1, d0, 1, d1, ...] broadcast to [rp0, d0, rp1, d1, ...] -> [rp0*d0, rp1*d1, ...]
        long[] inter = new long[2 * r], spread = new long[2 * r], out = new long[r];
        for (int i = 0; i < r; i++) {
            inter[2 * i] = 1;
            inter[2 * i + 1] = d[i];
            spread[2 * i] = rp[i];
            spread[2 * i + 1] = d[i];
            out[i] = rp[i] * d[i];
        }
        return Ops.reshape(Ops.broadcastTo(Ops.reshape(x, inter), spread), out);
    }

    /** {@code jnp.repeat(x, repeats, axis)}: each element repeated {@code repeats} times along the axis. */
    public static Tensor repeat(Tensor x, long repeats, int axis) {
        Location loc = SourceLoc.here();
        if (repeats < 0) throw new DslException("repeat", "repeats " + repeats + " is negative for " + x.describe(), loc);
        int a = Ops.axis(x, axis, "repeat", loc);
        long[] d = x.dims();
        long[] inter = new long[d.length + 1], spread = new long[d.length + 1];
        for (int i = 0, j = 0; i < inter.length; i++) {
            if (i == a + 1) { inter[i] = 1; spread[i] = repeats; }
            else { inter[i] = d[j]; spread[i] = d[j++]; }
        }
        long[] out = d.clone();
        out[a] = d[a] * repeats;
        return Ops.reshape(Ops.broadcastTo(Ops.reshape(x, inter), spread), out);
    }

    /** {@code jnp.repeat(x, repeats)} with no axis: the flattened array, each element repeated. */
    public static Tensor repeat(Tensor x, long repeats) { return repeat(Ops.reshape(x, x.size()), repeats, 0); }

    /**
     * {@code jnp.repeat(x, repeats, axis)} with one count per element along the axis: a gather at constant indices
     * (element i appears {@code repeats[i]} times).
     */
    public static Tensor repeat(Tensor x, long[] repeats, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "repeat", loc);
        long n = x.dims()[a];
        if (repeats.length != n) {
            throw new DslException("repeat", repeats.length + " repeats " + Arrays.toString(repeats) + " for axis " + a + " of size " + n + " of "
                    + x.describe(), loc);
        }
        List<Double> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (repeats[i] < 0) throw new DslException("repeat", "negative count in " + Arrays.toString(repeats) + " for " + x.describe(), loc);
            for (long k = 0; k < repeats[i]; k++) idx.add((double) i);
        }
        if (idx.isEmpty()) {
            long[] out = x.dims();
            out[a] = 0;
            return Ops.zeros(Shape.of(out), x.dtype());
        }
        Tensor indices = Ops.constant(idx.stream().mapToDouble(Double::doubleValue).toArray(), Shape.of(idx.size()), DType.I32);
        return Indexing.takeInBounds(x, indices, a);
    }

    /** {@code jnp.split(x, sections, axis)}: {@code sections} equal parts; a size not divisible by it is refused. */
    public static List<Tensor> split(Tensor x, int sections, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "split", loc);
        long n = x.dims()[a];
        if (sections <= 0 || n % sections != 0) {
            throw new DslException("split", "axis " + a + " of size " + n + " of " + x.describe() + " does not split into " + sections
                    + " equal sections (arraySplit allows unequal ones)", loc);
        }
        long[] sizes = new long[sections];
        Arrays.fill(sizes, n / sections);
        return pieces(x, a, sizes);
    }

    /**
     * {@code jnp.split(x, indices, axis)}: the parts {@code [0, i0)}, {@code [i0, i1)}, ..., {@code [ik, n)}. The
     * indices must be non-decreasing within {@code [0, n]} (JAX refuses others too; numpy would clamp them).
     */
    public static List<Tensor> split(Tensor x, long[] indices, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "split", loc);
        long n = x.dims()[a];
        long[] sizes = new long[indices.length + 1];
        long prev = 0;
        for (int i = 0; i <= indices.length; i++) {
            long at = i < indices.length ? indices[i] : n;
            if (at < prev || at > n) {
                throw new DslException("split", "split indices " + Arrays.toString(indices) + " must be non-decreasing within [0, " + n
                        + "] for axis " + a + " of " + x.describe(), loc);
            }
            sizes[i] = at - prev;
            prev = at;
        }
        return pieces(x, a, sizes);
    }

    /** {@code jnp.array_split(x, sections, axis)}: the first {@code n % sections} parts one element longer. */
    public static List<Tensor> arraySplit(Tensor x, int sections, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "arraySplit", loc);
        if (sections <= 0) throw new DslException("arraySplit", "number of sections " + sections + " must be positive for " + x.describe(), loc);
        long n = x.dims()[a];
        long[] sizes = new long[sections];
        for (int i = 0; i < sections; i++) sizes[i] = n / sections + (i < n % sections ? 1 : 0);
        return pieces(x, a, sizes);
    }

    private static List<Tensor> pieces(Tensor x, int a, long[] sizes) {
        List<Tensor> out = new ArrayList<>();
        long at = 0;
        for (long s : sizes) {
            long[] start = new long[x.rank()], limit = x.dims();
            start[a] = at;
            limit[a] = at + s;
            out.add(Ops.slice(x, start, limit));
            at += s;
        }
        return out;
    }

    /** {@code jnp.tril(x, k)}: zeros above the k-th diagonal of the last two axes (k > 0 above the main one). */
    public static Tensor tril(Tensor x, int k) { return triangle("tril", x, k, true); }

    /** {@code jnp.triu(x, k)}: zeros below the k-th diagonal of the last two axes. */
    public static Tensor triu(Tensor x, int k) { return triangle("triu", x, k, false); }

    public static Tensor tril(Tensor x) { return tril(x, 0); }
    public static Tensor triu(Tensor x) { return triu(x, 0); }

    private static Tensor triangle(String op, Tensor x, int k, boolean lower) {
        Location loc = SourceLoc.here();
        if (x.rank() < 2) throw new DslException(op, "needs at least 2 axes, got " + x.describe(), loc);
        Shape nm = Shape.of(x.dim(-2), x.dim(-1));
        // column - row <= k keeps the lower triangle; triu keeps column - row >= k
        Tensor diff = Ops.sub(Ops.iota(DType.I64, nm, 1), Ops.iota(DType.I64, nm, 0));
        Tensor keep = lower ? Ops.le(diff, (double) k) : Ops.ge(diff, (double) k);
        return Ops.where(keep, x, Ops.scalar(0, x.dtype()));
    }

    /** {@code jnp.swapaxes(x, a, b)}. */
    public static Tensor swapaxes(Tensor x, int axis1, int axis2) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis1, "swapaxes", loc), b = Ops.axis(x, axis2, "swapaxes", loc);
        int[] p = new int[x.rank()];
        for (int i = 0; i < p.length; i++) p[i] = i;
        p[a] = b;
        p[b] = a;
        return Ops.transpose(x, p);
    }

    /** {@code jnp.moveaxis(x, source, destination)}: one axis moved, the others keep their order. */
    public static Tensor moveaxis(Tensor x, int source, int destination) {
        Location loc = SourceLoc.here();
        int s = Ops.axis(x, source, "moveaxis", loc), d = Ops.axis(x, destination, "moveaxis", loc);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) if (i != s) order.add(i);
        order.add(d, s);
        return Ops.transpose(x, order.stream().mapToInt(Integer::intValue).toArray());
    }
}
