package io.hlo4j.dsl.moe.ep;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.shard.Collectives;

import java.util.ArrayList;
import java.util.List;

/**
 * The three views of the tokens a hook can be given inside the expert-parallel body, as EasyDeL gives them: the
 * device's own tokens (T rows), its dp share (the tokens one expert group routes, EasyDeL's shard_map block
 * [B/D, S, H]: T X rows in RING and TOKEN_SHARDED, T in REPLICATED) and all N tokens (EasyDeL's global view, where
 * its gate and first router hooks run). Tokens are laid out by the spec over {@code tokenAxes} (dp axes, then expert
 * axes), so a view is an all_gather over the axes that split it, minor axis first (single-axis groups, each ordered by
 * its coordinate, give the spec's row-major block order), and back a slice at the device's block.
 */
final class EpTokenViews {
    private final EpLayout layout;
    private final List<String> tokenAxes, shareAxes;

    /**
     * @param tokenAxes the axes the mode splits tokens over
     * @param shareAxes those of them that split a dp share (the expert axes in RING and TOKEN_SHARDED, none in REPLICATED)
     */
    EpTokenViews(EpLayout layout, List<String> tokenAxes, List<String> shareAxes) {
        this.layout = layout;
        this.tokenAxes = tokenAxes;
        this.shareAxes = shareAxes;
    }

    /** Devices one token view is split over: all N tokens over this many; a dp share over {@link #shareSplit}. */
    int allSplit() { return layout.mesh().axisSize(tokenAxes); }

    int shareSplit() { return layout.mesh().axisSize(shareAxes); }

    /** The device's rows [T, ...] gathered into all N tokens' rows. */
    Tensor deviceToAll(Tensor t) { return gather(t, tokenAxes); }

    /** The device's rows gathered into its dp share's rows. */
    Tensor deviceToShare(Tensor t) { return gather(t, shareAxes); }

    /** All N tokens' rows (or any fixed number of rows per token) sliced to the device's. */
    Tensor allToDevice(Tensor t) { return slice(t, tokenAxes); }

    /** All N tokens' rows sliced to the device's dp share. */
    Tensor allToShare(Tensor t) {
        List<String> dp = new ArrayList<>(tokenAxes);
        dp.removeAll(shareAxes);
        return slice(t, dp);
    }

    /** The dp share's rows sliced to the device's. */
    Tensor shareToDevice(Tensor t) { return slice(t, shareAxes); }

    private Tensor gather(Tensor t, List<String> axes) {
        for (int i = axes.size() - 1; i >= 0; i--) {
            if (layout.mesh().axisSize(axes.get(i)) > 1) t = Collectives.allGather(t, 0, axes.get(i));
        }
        return t;
    }

    /** The device's block of rows of {@code t} split evenly over {@code axes}. */
    private Tensor slice(Tensor t, List<String> axes) {
        int split = layout.mesh().axisSize(axes);
        if (split == 1) return t;
        long rows = t.dim(0) / split;
        List<Tensor> starts = new ArrayList<>();
        starts.add(Ops.mul(layout.indexOver(axes), Ops.scalar(rows, DType.I32)));
        long[] sizes = t.dims();
        sizes[0] = rows;
        for (int d = 1; d < t.rank(); d++) starts.add(Ops.scalar(0, DType.I32));
        return Ops.dynamicSlice(t, starts, sizes);
    }
}
