package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;

import java.util.List;

/**
 * {@code select_and_scatter}: for each window (one per source element) pick an operand element with the
 * select region (padding is never picked), then combine the source element into the result there with the
 * scatter region. The result starts as the init value everywhere.
 */
final class SelectAndScatter {
    private SelectAndScatter() {}

    static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Tensor x = (Tensor) args.get(0), src = (Tensor) args.get(1), init = (Tensor) args.get(2);
        int rank = x.rank();
        long[] win = Attrs.ints(op, "window_dimensions", ShapeKernels.ones(rank));
        long[] strides = Attrs.ints(op, "window_strides", ShapeKernels.ones(rank));
        long[] padding = Attrs.ints(op, "padding", new long[2 * rank]);
        Region select = op.region(0), scatter = op.region(1);
        Tensor r = x.blank();
        for (long i0 = 0; i0 < r.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, r.size); i < iEnd; i++) r.copyElement(i, init, 0);
        int[] xs = Tensor.strides(x.shape);
        long[] sidx = new long[rank], widx = new long[rank];
        int wsize = (int) Layout.product(win);
        Tensor[] acc = {r};
        StopCheck stop = StopCheck.current(); // one window per source element, each possibly huge
        for (int s = 0; s < src.size; s++) {
            stop.poll(wsize);
            Layout.unflatten(s, src.shape, sidx);
            java.util.Arrays.fill(widx, 0);
            int sel = -1;
            for (int w = 0; w < wsize; w++) {
                int pos = 0;
                boolean pad = false;
                for (int d = 0; d < rank; d++) {
                    long p = sidx[d] * strides[d] + widx[d] - padding[2 * d];
                    if (p < 0 || p >= x.shape[d]) { pad = true; break; }
                    pos += (int) p * xs[d];
                }
                if (!pad) {
                    if (sel < 0) sel = pos;
                    else {
                        Tensor keep = (Tensor) f.region(select, List.of(x.element(sel), x.element(pos))).get(0);
                        if (keep.ints[0] == 0) sel = pos;
                    }
                }
                for (int d = rank - 1; d >= 0; d--) {
                    if (++widx[d] < win[d]) break;
                    widx[d] = 0;
                }
            }
            if (sel >= 0) ReduceKernels.combine(f, scatter, acc, sel, new Tensor[] {src}, s);
        }
        return List.of(r);
    }
}
