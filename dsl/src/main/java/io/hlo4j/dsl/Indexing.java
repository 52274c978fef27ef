package io.hlo4j.dsl;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.TypeInference;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gathers and scatters (gather, take, takeAlongAxis, scatterAdd, bincount) and sorting (sort, stable argsort, topK).
 * Out-of-range gather indices are clamped into range, as stablehlo.gather defines; scatter drops them.
 */
public final class Indexing {
    private Indexing() {}

    /**
     * The general {@code stablehlo.gather} (JAX's {@code lax.gather} in clip mode): for each index vector of
     * {@code startIndices}, the slice of {@code operand} of {@code sliceSizes} starting there (along the operand
     * dims {@code dims.startIndexMap()}), with the collapsed and batching dims dropped. Start indices are clamped
     * so the slice lies inside the operand (as stablehlo.gather does); the clamp is emitted explicitly, so the
     * gradient (a scatter-add at the same starts) sees the same slices. Bad dims are refused by stablehlo.gather's
     * own checks, naming the rule, the dims and the types, at the caller's line.
     */
    public static Tensor gather(Tensor operand, Tensor startIndices, GatherDims dims, long[] sliceSizes) {
        return gather(operand, startIndices, dims, sliceSizes, false);
    }

    /** {@link #gather(Tensor, Tensor, GatherDims, long[])} with a promise that the start indices are sorted. */
    public static Tensor gather(Tensor operand, Tensor startIndices, GatherDims dims, long[] sliceSizes, boolean indicesAreSorted) {
        Location loc = SourceLoc.here();
        GatherDimensionNumbers dn = checkedGather(operand, startIndices, dims, sliceSizes, loc);
        return clampedGather(operand, startIndices, dn, sliceSizes.clone(), indicesAreSorted, loc);
    }

    /**
     * JAX's {@code lax.gather(..., mode="fill", fill_value=...)}: as {@link #gather(Tensor, Tensor, GatherDims, long[])},
     * but a slice whose start is out of range (some start index below 0 or past its dim's size less the slice size)
     * is {@code fillValue} throughout instead of clamped. No gradient flows to the filled slices. A float fill is rounded
     * into a float dtype and truncated into an integer one, where it must fit ({@link #take(Tensor, Tensor, int, Mode, double)}).
     */
    public static Tensor gatherFill(Tensor operand, Tensor startIndices, GatherDims dims, long[] sliceSizes, double fillValue) {
        return gatherFill(operand, startIndices, dims, sliceSizes, () -> FillValue.of(fillValue, operand.dtype(), "gatherFill", SourceLoc.here()));
    }

    /** {@link #gatherFill(Tensor, Tensor, GatherDims, long[], double)} with an exact integer fill, converted as {@link #take(Tensor, Tensor, int, Mode, long)} converts it. */
    public static Tensor gatherFill(Tensor operand, Tensor startIndices, GatherDims dims, long[] sliceSizes, long fillValue) {
        return gatherFill(operand, startIndices, dims, sliceSizes, () -> FillValue.of(fillValue, operand.dtype()));
    }

    private static Tensor gatherFill(Tensor operand, Tensor startIndices, GatherDims dims, long[] sliceSizes, Supplier<Tensor> fill) {
        Location loc = SourceLoc.here();
        long[] sizes = sliceSizes.clone();
        GatherDimensionNumbers dn = checkedGather(operand, startIndices, dims, sizes, loc);
        int ivd = (int) dn.indexVectorDim();
        Tensor gathered = clampedGather(operand, startIndices, dn, sizes, false, loc);
        Tensor inside = Ops.logicalAnd(Ops.ge(startIndices, Ops.scalar(0, startIndices.dtype())),
                Ops.le(startIndices, startBound(operand, startIndices, dn, sizes)));
        long[] batch = startIndices.dims();
        if (ivd < startIndices.rank()) {
            // All entries of an index vector must be inside: the min of 0/1 flags along the vector's dim.
            inside = Ops.gt(Reductions.min(Ops.astype(inside, DType.I32), ivd), Ops.scalar(0, DType.I32));
            long[] b = new long[batch.length - 1];
            for (int i = 0, j = 0; i < batch.length; i++) if (i != ivd) b[j++] = batch[i];
            batch = b;
        }
        // The flags sit at the result's batch dims, with size 1 at its offset dims, and broadcast over the slice.
        long[] maskShape = new long[gathered.rank()];
        int[] offsets = dims.offsetDims();
        for (int r = 0, k = 0, o = 0; r < maskShape.length; r++) {
            if (o < offsets.length && offsets[o] == r) { maskShape[r] = 1; o++; }
            else maskShape[r] = batch[k++];
        }
        return Ops.where(Ops.reshape(inside, maskShape), gathered, fill.get());
    }

    /**
     * The dimension numbers as stablehlo.gather takes them ({@link GatherDims#LAST} resolved to the indices' last
     * dim), checked by the op's own type rule: the clamp and the fill mask are built from them before the gather is
     * emitted, so a bad gather must be refused first; the op's message names the rule, the dims and the types.
     */
    private static GatherDimensionNumbers checkedGather(Tensor operand, Tensor startIndices, GatherDims dims, long[] sizes, Location loc) {
        int ivd = dims.indexVectorDim() == GatherDims.LAST ? startIndices.rank() - 1 : dims.indexVectorDim();
        var dn = new GatherDimensionNumbers(Dims.of(longs(dims.offsetDims())), Dims.of(longs(dims.collapsedSliceDims())),
                Dims.of(longs(dims.operandBatchingDims())), Dims.of(longs(dims.startIndicesBatchingDims())), Dims.of(longs(dims.startIndexMap())),
                ivd);
        var props = DictionaryAttr.of(Map.of("dimension_numbers", dn, "slice_sizes", DenseArrayAttr.ofI64(sizes)));
        TypeInference rule = Trace.current("gather", loc).ir().registry().lookup("stablehlo.gather").typeInference();
        Trace.guard("gather", List.of(operand, startIndices), loc,
                () -> rule.inferResultTypes(List.of(operand.type(), startIndices.type()), props, List.of()));
        return dn;
    }

    /** The largest in-range start per index vector entry, shaped to broadcast against the indices. */
    private static Tensor startBound(Tensor operand, Tensor startIndices, GatherDimensionNumbers dn, long[] sizes) {
        long[] map = dn.startIndexMap().toArray();
        int ivd = (int) dn.indexVectorDim();
        double[] bound = new double[map.length];
        for (int k = 0; k < map.length; k++) bound[k] = operand.dims()[(int) map[k]] - sizes[(int) map[k]];
        long[] boundShape = new long[startIndices.rank()];
        java.util.Arrays.fill(boundShape, 1);
        if (ivd < boundShape.length) boundShape[ivd] = map.length;
        return Ops.constant(bound, ivd < boundShape.length ? Shape.of(boundShape) : Shape.SCALAR, startIndices.dtype());
    }

    private static Tensor clampedGather(Tensor operand, Tensor startIndices, GatherDimensionNumbers dn, long[] sizes, boolean sorted,
                                        Location loc) {
        Tensor starts = Ops.minimum(Ops.maximum(startIndices, 0), startBound(operand, startIndices, dn, sizes));
        return Ops.emit("gather", loc, List.of(operand, starts), () -> Ops.h("gather", loc).gather(Ops.v(operand, "gather", loc),
                Ops.v(starts, "gather", loc), dn, sizes, sorted, loc));
    }

    private static long[] longs(int[] a) { return Ops.toLongs(a); }

    /**
     * {@code jnp.take(x, indices, axis)} with JAX's default mode, {@link Mode#FILL}: result shape {@code x[:axis] +
     * indices.shape + x[axis+1:]}; a negative index counts from the end, one still out of range reads JAX's fill value
     * (NaN for floats, the lowest signed or highest unsigned integer, true for bool). Indices in range by construction
     * can skip the range check with {@link #takeInBounds}.
     */
    public static Tensor take(Tensor x, Tensor indices, int axis) { return take(x, indices, axis, Mode.FILL); }

    /**
     * {@code take} for indices that are in range by construction (an argsort permutation, expert ids): the bare
     * {@code stablehlo.gather}, JAX's {@code mode="promise_in_bounds"}, with no range check emitted. An index out of range
     * is not an error: the forward pass clamps it (the gather's rule, a negative one to 0) but the gradient, a scatter-add
     * at the same index, drops it; {@link Mode#CLIP} clamps in both. Non-integer indices are refused by
     * stablehlo.gather's own check.
     */
    public static Tensor takeInBounds(Tensor x, Tensor indices, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "take", loc);
        int r = x.rank(), ri = indices.rank();
        List<Long> offsets = new ArrayList<>();
        for (int d = 0; d < a; d++) offsets.add((long) d);
        for (int d = a + 1; d < r; d++) offsets.add((long) (d - 1 + ri));
        long[] sizes = x.dims();
        sizes[a] = 1;
        var dn = new GatherDimensionNumbers(Dims.of(offsets.stream().mapToLong(Long::longValue).toArray()), Dims.of(a), Dims.EMPTY,
                Dims.EMPTY, Dims.of(a), ri);
        return Ops.emit("take", loc, List.of(x, indices), () -> Ops.h("take", loc).gather(Ops.v(x, "take", loc), Ops.v(indices, "take", loc),
                dn, sizes, false, loc));
    }

    /** Out-of-bound index handling, as jnp.take's {@code mode}. */
    public enum Mode {
        /**
         * Indices clamped into {@code [0, n-1]}; {@code takeAlongAxis} first counts negative indices from the end
         * (JAX's take_along_axis), {@code take} clamps them to 0 (jnp.take and numpy).
         */
        CLIP,
        /** Negative indices count from the end; others out of range give the fill value (JAX's default mode). */
        FILL,
        /** Indices taken modulo n (negative ones included): jnp.take's "wrap"; for takeAlongAxis an hlo4j extension (JAX has none). */
        WRAP
    }

    /** {@code jnp.take(x, indices, axis, mode=mode)} with JAX's default fill value (NaN, the lowest signed or highest unsigned integer, true). */
    public static Tensor take(Tensor x, Tensor indices, int axis, Mode mode) { return take(x, indices, axis, mode, () -> defaultFill(x.dtype())); }

    /**
     * {@code jnp.take(x, indices, axis, mode=mode, fill_value=fillValue)}: result shape {@code x[:axis] + indices.shape +
     * x[axis+1:]}. The indices are normalised explicitly (clamped, wrapped, or masked), so the gradient (a scatter-add)
     * sees the same positions; filled positions take no gradient. The fill is for float arrays: rounded to nearest in a
     * float dtype; in an integer dtype it is truncated toward zero (as numpy) and must fit, else it is refused naming the
     * value and the dtype (JAX leaves such a value to the backend's convert); integer fills are exact with the
     * {@code long} overload. The fill is read in FILL mode only, as JAX ignores it in the others.
     */
    public static Tensor take(Tensor x, Tensor indices, int axis, Mode mode, double fillValue) {
        return take(x, indices, axis, mode, () -> FillValue.of(fillValue, x.dtype(), "take", SourceLoc.here()));
    }

    /**
     * {@code jnp.take(..., fill_value=n)} with a Python int {@code n}, exact in every dtype, converted as JAX converts it
     * ({@code np.asarray(n).astype(dtype)}): an integer dtype takes it modulo 2^bits (i32 fill 2^32 + 5 is 5, u8 fill -1
     * is 255), so a u64 fill from 2^63 up is its bit pattern ({@code Long.parseUnsignedLong("18446744073709551615")},
     * i.e. -1, is 2^64 - 1); bool takes {@code n != 0}; a float dtype rounds it once to nearest, ties to even.
     */
    public static Tensor take(Tensor x, Tensor indices, int axis, Mode mode, long fillValue) {
        return take(x, indices, axis, mode, () -> FillValue.of(fillValue, x.dtype()));
    }

    /** {@code fill} makes the scalar fill constant, only where FILL needs it. */
    private static Tensor take(Tensor x, Tensor indices, int axis, Mode mode, Supplier<Tensor> fill) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "take", loc);
        requireIntIndices("take", x, indices, loc);
        Tensor[] ni = normalise(indices, x.dims()[a], mode, false, "take", x, loc);
        Tensor g = takeInBounds(x, ni[0], a);
        if (ni[1] == null) return g;
        long[] maskShape = new long[g.rank()];
        java.util.Arrays.fill(maskShape, 1);
        System.arraycopy(indices.dims(), 0, maskShape, a, indices.rank());
        return Ops.where(Ops.reshape(ni[1], maskShape), g, fill.get());
    }

    /**
     * {@code jnp.take_along_axis(x, idx, axis)} with JAX's default mode, {@link Mode#FILL}: a negative index counts from
     * the end, one still out of range reads JAX's fill value (NaN for floats, the lowest signed or highest unsigned
     * integer, true for bool). Indices in range by construction (an argsort, top-k ids) can skip the range check with
     * {@link #takeAlongAxisInBounds}.
     */
    public static Tensor takeAlongAxis(Tensor x, Tensor idx, int axis) { return takeAlongAxis(x, idx, axis, Mode.FILL); }

    /** {@code jnp.take_along_axis(x, idx, axis, mode=mode)} with JAX's default fill value. */
    public static Tensor takeAlongAxis(Tensor x, Tensor idx, int axis, Mode mode) {
        return takeAlongAxis(x, idx, axis, mode, () -> defaultFill(x.dtype()));
    }

    /**
     * {@code jnp.take_along_axis(x, idx, axis, mode=mode, fill_value=fillValue)}: negative indices count from the end in
     * every mode (CLIP then clamps: x=[10,20,30,40], idx [-1,5,-9] gives [40,40,10], as JAX); WRAP is an hlo4j extension.
     * The fill is converted as {@link #take(Tensor, Tensor, int, Mode, double)} converts it.
     */
    public static Tensor takeAlongAxis(Tensor x, Tensor idx, int axis, Mode mode, double fillValue) {
        return takeAlongAxis(x, idx, axis, mode, () -> FillValue.of(fillValue, x.dtype(), "takeAlongAxis", SourceLoc.here()));
    }

    /** {@code jnp.take_along_axis(..., fill_value=n)} with an exact integer fill, converted as {@link #take(Tensor, Tensor, int, Mode, long)} converts it. */
    public static Tensor takeAlongAxis(Tensor x, Tensor idx, int axis, Mode mode, long fillValue) {
        return takeAlongAxis(x, idx, axis, mode, () -> FillValue.of(fillValue, x.dtype()));
    }

    private static Tensor takeAlongAxis(Tensor x, Tensor idx, int axis, Mode mode, Supplier<Tensor> fill) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "takeAlongAxis", loc);
        requireIntIndices("takeAlongAxis", x, idx, loc);
        Tensor[] ni = normalise(idx, x.dims()[a], mode, true, "takeAlongAxis", x, loc);
        Tensor g = takeAlongAxisInBounds(x, ni[0], a);
        return ni[1] == null ? g : Ops.where(ni[1], g, fill.get());
    }

    private static void requireIntIndices(String op, Tensor x, Tensor indices, Location loc) {
        if (!indices.dtype().isInteger()) throw new DslException(op, "indices must be integers, got " + indices.describe() + " for " + x.describe(), loc);
    }

    /**
     * JAX's fill for out-of-range reads: NaN for floats, the lowest signed / highest unsigned integer (iinfo's min / max:
     * u64's is 2^64 - 1, built from its bits), true for bool.
     */
    static Tensor defaultFill(DType d) {
        if (d.isFloat()) return Ops.scalar(Double.NaN, d);
        if (d.isBool()) return Ops.scalar(1, d);
        return d.isUnsigned() ? Reductions.highest(d) : Reductions.lowest(d);
    }

    /**
     * {in-range indices, mask of the originally valid ones (FILL only, else null)}. The indices are first converted to
     * a signed type that holds the axis size and every index value (i32, or i64 for long axes and 64-bit or u32
     * indices), as JAX's take_along_axis does: in the indices' own type the size itself could wrap (an i8 index on an
     * axis of 200); u64 indices stay unsigned until they are in range ({@link #normaliseU64}). {@code negativesFromEnd}: CLIP counts negative indices from the end first (take_along_axis) or
     * clamps them to 0 (take, numpy's clip).
     */
    private static Tensor[] normalise(Tensor idx, long n, Mode mode, boolean negativesFromEnd, String op, Tensor x, Location loc) {
        if (n == 0) throw new DslException(op, "cannot take from an empty axis of " + x.describe(), loc);
        DType d = idx.dtype();
        if (d == DType.U64) return normaliseU64(idx, n, mode);
        DType wide = n > Integer.MAX_VALUE || d == DType.I64 || d == DType.U64 || d == DType.U32 ? DType.I64 : DType.I32;
        Tensor i = d == wide ? idx : Ops.astype(idx, wide);
        Tensor zero = Ops.scalar(0, wide), size = Ops.scalar(n, wide);
        return switch (mode) {
            case CLIP -> {
                Tensor w = negativesFromEnd ? Ops.where(Ops.lt(i, zero), Ops.add(i, size), i) : i;
                yield new Tensor[]{Ops.minimum(Ops.maximum(w, zero), Ops.scalar(n - 1, wide)), null};
            }
            case WRAP -> {
                Tensor r = Ops.rem(i, size);
                yield new Tensor[]{Ops.where(Ops.lt(r, zero), Ops.add(r, size), r), null};
            }
            case FILL -> {
                Tensor w = Ops.where(Ops.lt(i, zero), Ops.add(i, size), i);
                Tensor inside = Ops.logicalAnd(Ops.ge(w, zero), Ops.lt(w, size));
                yield new Tensor[]{Ops.where(inside, w, zero), inside};
            }
        };
    }

    /**
     * {@link #normalise} of u64 indices: no axis reaches 2^63, but a signed i64 would read such an index as negative, so
     * the index is brought into range in u64 (clamped, wrapped, or masked as out of range, as JAX does with unsigned
     * indices) and only then converted to i64. Unsigned indices have no negatives to count from the end.
     */
    private static Tensor[] normaliseU64(Tensor idx, long n, Mode mode) {
        Tensor size = Ops.scalar(n, DType.U64);
        return switch (mode) {
            case CLIP -> new Tensor[]{Ops.astype(Ops.minimum(idx, Ops.scalar(n - 1, DType.U64)), DType.I64), null};
            case WRAP -> new Tensor[]{Ops.astype(Ops.rem(idx, size), DType.I64), null};
            case FILL -> {
                Tensor inside = Ops.lt(idx, size);
                yield new Tensor[]{Ops.astype(Ops.where(inside, idx, Ops.scalar(0, DType.U64)), DType.I64), inside};
            }
        };
    }

    /**
     * {@code out[..., i, ...] = x[..., idx[..., i, ...], ...]} along {@code axis}, for indices in range by construction
     * (an argsort permutation, top-k expert ids): the bare {@code stablehlo.gather}, JAX's {@code
     * mode="promise_in_bounds"}, with no range check emitted; idx has x's shape except along axis. An index out of range
     * is not an error: the gather clamps it (a negative one to 0). Non-integer indices are refused by stablehlo.gather's
     * own check.
     */
    public static Tensor takeAlongAxisInBounds(Tensor x, Tensor idx, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "takeAlongAxis", loc);
        // numpy's contract, stricter than gather's: indices of x's rank, x's sizes outside the axis (gather would take
        // other ranks as other batchings).
        boolean ok = idx.rank() == x.rank();
        for (int d = 0; ok && d < x.rank(); d++) ok = d == a || idx.dims()[d] == x.dims()[d];
        if (!ok) throw new DslException("takeAlongAxis", "indices " + idx.describe() + " must match " + x.describe() + " outside axis " + a, loc);
        List<Long> batch = new ArrayList<>();
        for (int d = 0; d < x.rank(); d++) if (d != a) batch.add((long) d);
        long[] b = batch.stream().mapToLong(Long::longValue).toArray();
        long[] sizes = new long[x.rank()];
        java.util.Arrays.fill(sizes, 1);
        var dn = new GatherDimensionNumbers(Dims.EMPTY, Dims.of(a), Dims.of(b), Dims.of(b), Dims.of(a), idx.rank());
        return Ops.emit("takeAlongAxis", loc, List.of(x, idx), () -> Ops.h("takeAlongAxis", loc).gather(Ops.v(x, "takeAlongAxis", loc),
                Ops.v(idx, "takeAlongAxis", loc), dn, sizes, false, loc));
    }

    /**
     * {@code x.at[indices].add(updates)} along {@code axis}: indices [k], updates = x's shape with axis replaced by k.
     * Non-integer indices are refused by stablehlo.scatter's own check (scatter_i2).
     */
    public static Tensor scatterAdd(Tensor x, Tensor indices, Tensor updates, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "scatterAdd", loc);
        boolean ok = indices.rank() == 1 && updates.rank() == x.rank() && updates.dtype() == x.dtype() && updates.dims()[a] == indices.dims()[0];
        for (int d = 0; ok && d < x.rank(); d++) ok = d == a || updates.dims()[d] == x.dims()[d];
        if (!ok) {
            throw new DslException("scatterAdd", "expects indices [k] and updates shaped like " + x.describe() + " with axis " + a + " of size k, got "
                    + Tensor.describeAll(List.of(indices, updates)), loc);
        }
        List<Long> window = new ArrayList<>();
        for (int d = 0; d < x.rank(); d++) if (d != a) window.add((long) d);
        var dn = new ScatterDimensionNumbers(Dims.of(window.stream().mapToLong(Long::longValue).toArray()), Dims.of(a), Dims.EMPTY,
                Dims.EMPTY, Dims.of(a), 1);
        return Ops.emit("scatterAdd", loc, List.of(x, indices, updates), () -> Ops.h("scatterAdd", loc).scatter(Ops.v(x, "scatterAdd", loc),
                Ops.v(indices, "scatterAdd", loc), Ops.v(updates, "scatterAdd", loc), dn, "add", false, false, loc));
    }

    /** Counts of each value in {@code [0, length)} among {@code indices} (1-D); other values are ignored. */
    public static Tensor bincount(Tensor indices, long length) {
        Location loc = SourceLoc.here();
        if (indices.rank() != 1) throw new DslException("bincount", "indices must be 1-D, got " + indices.describe(), loc);
        return scatterAdd(Ops.zeros(Shape.of(length), DType.I32), indices, Ops.ones(indices.shape(), DType.I32), 0);
    }

    /**
     * Ascending sort along {@code axis} ({@code jnp.sort}), stable. Floats are ordered as JAX's sort comparator orders
     * them: -inf < ... < inf < NaN, with -0.0 and 0.0 equal (kept in input order) and every NaN, whatever its sign, last.
     */
    public static Tensor sort(Tensor x, int axis) { return sort(x, axis, false); }

    /** {@code jnp.sort(x, axis, descending=descending)}: the ascending sort reversed when descending. */
    public static Tensor sort(Tensor x, int axis, boolean descending) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "sort", loc);
        Tensor sorted = sortWith(List.of(x), a, true, true, "sort", loc).get(0);
        return descending ? Rearrange.flip(sorted, a) : sorted;
    }

    /** Indices that sort {@code x} along {@code axis}; stable (equal elements keep their order). */
    public static Tensor argsort(Tensor x, int axis) { return argsort(x, axis, false); }

    /**
     * {@code jnp.argsort(x, axis, descending=descending)}, stable: descending, equal elements still keep their order
     * (the input and indices are reversed before the sort and the result after, as JAX does).
     */
    public static Tensor argsort(Tensor x, int axis, boolean descending) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "argsort", loc);
        Tensor iota = Ops.iota(DType.I32, x.shape(), a);
        if (!descending) return sortWith(List.of(x, iota), a, true, true, "argsort", loc).get(1);
        Tensor idx = sortWith(List.of(Rearrange.flip(x, a), Rearrange.flip(iota, a)), a, true, true, "argsort", loc).get(1);
        return Rearrange.flip(idx, a);
    }

    /**
     * Indices that sort {@code x} ascending along {@code axis} in IEEE total order (-NaN < -inf < ... < -0.0 < 0.0 <
     * ... < inf < NaN), stable: the order {@code chlo.top_k} and {@code lax.top_k} rank by. {@code argsort} of the
     * negated scores with this order is {@code lax.top_k}'s selection (a NaN score ranks first, 0.0 above -0.0), which
     * {@link #argsort} (JAX's sort order: NaNs last, the zeros tied) is not.
     */
    public static Tensor argsortTotalOrder(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "argsortTotalOrder", loc);
        return sortWith(List.of(x, Ops.iota(DType.I32, x.shape(), a)), a, true, false, "argsortTotalOrder", loc).get(1);
    }

    /** The {@code k} largest elements along the last axis, descending, and their i32 indices (chlo.top_k, whose type rule checks k). */
    public static List<Tensor> topK(Tensor x, int k) {
        Location loc = SourceLoc.here();
        return Control.wrap(Trace.emit("chlo.top_k", List.of(x), Map.of("k", IntegerAttr.i64(k)), List.of(), null, "topK", loc));
    }

    /**
     * A stable sort of {@code xs} by {@code xs[0]}, with JAX's comparator: a float key is compared in total order after
     * -0.0 is made 0.0 and every NaN the positive quiet NaN, so the zeros tie (kept in input order) and all NaNs come
     * last, tied. The canonical keys live in the comparator only: the sorted values are the inputs, signs and payloads
     * kept, and the sort has the same operands (and so the same shardings) as without them.
     */
    private static List<Tensor> sortWith(List<Tensor> xs, int axis, boolean stable, boolean jaxKeys, String op, Location loc) {
        Tensor key = xs.get(0);
        boolean isFloat = key.dtype().isFloat(), canonical = isFloat && jaxKeys;
        TensorType s = TensorType.scalar(key.type().elementType());
        String ct = isFloat ? "TOTALORDER" : key.dtype().isUnsigned() || key.dtype().isBool() ? "UNSIGNED" : "SIGNED";
        List<io.hlo4j.mlir.types.Type> argTypes = new ArrayList<>();
        for (Tensor t : xs) {
            argTypes.add(TensorType.scalar(t.type().elementType()));
            argTypes.add(TensorType.scalar(t.type().elementType()));
        }
        return Ops.emitMany(op, loc, xs, () -> {
            var h = Ops.h(op, loc);
            Region cmp = h.region(argTypes, r -> {
                Value a = r.ir().argument(0), b = r.ir().argument(1);
                if (canonical) { a = sortKey(r, a, s, loc); b = sortKey(r, b, s, loc); }
                return List.of(r.compare("LT", a, b, ct, loc));
            }, loc);
            return h.sort(xs.stream().map(t -> Ops.v(t, op, loc)).toList(), axis, stable, cmp, loc);
        });
    }

    /** A float as JAX's sort comparator sees it: 0.0 for either zero, the positive quiet NaN for any NaN, else itself. */
    private static Value sortKey(io.hlo4j.mlir.build.StablehloBuilder r, Value x, TensorType s, Location loc) {
        Value zero = r.constant(s, 0.0, loc);
        Value k = r.select(r.compare("EQ", x, zero, "FLOAT", loc), zero, x, loc);
        return r.select(r.compare("NE", x, x, "FLOAT", loc), r.constant(s, Double.NaN, loc), k, loc);
    }
}
