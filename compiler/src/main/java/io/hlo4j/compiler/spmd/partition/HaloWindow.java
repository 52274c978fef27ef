package io.hlo4j.compiler.spmd.partition;

/**
 * One dimension of a slice, pad or reduce_window as a window over a padded line: input element i sits at line
 * position {@code lo + i * (interior + 1)} (every other position holds the pad value), and output element j reads
 * line positions {@code off + j * stride + w * dilation} for w in [0, window). Slice is (0, 0, start, stride, 1, 1),
 * pad is (low, interior, 0, 1, 1, 1), reduce_window is (padding low, base dilation - 1, 0, stride, window, window
 * dilation).
 *
 * <p>{@link #halo} plans the output split into n blocks over an input split into n blocks, as XLA's SPMD
 * partitioner does it: device k takes the last {@code left} elements of device k-1's block and the first
 * {@code right} of device k+1's (past one block: of the devices beyond too, one collective_permute per hop), then reads a
 * window of {@code inputWindow} inputs from that, starting at input
 * {@code start[k]} (the same length on every device, so one program serves them all).
 */
record HaloWindow(long lo, long interior, long off, long stride, long window, long dilation) {

    static HaloWindow slice(long start, long stride) { return new HaloWindow(0, 0, start, stride, 1, 1); }

    static HaloWindow pad(long low, long interior) { return new HaloWindow(low, interior, 0, 1, 1, 1); }

    /** Output j reads input j: the dimension can be split into blocks without any exchange. */
    boolean oneToOne(long in, long out) { return lo == 0 && interior == 0 && off == 0 && stride == 1 && window == 1 && in == out; }

    /** Line positions one output block of {@code outBlock} elements spans. */
    long lineSpan(long outBlock) { return (outBlock - 1) * stride + (window - 1) * dilation + 1; }

    /**
     * The halo plan, or a reason (in {@code Plan.refused}) it is not worth doing. A halo may span several neighbours'
     * blocks (k hops of collective_permute, whole blocks from the nearer devices, part of the farthest), as XLA's
     * ExchangeHalo sends it; such a halo is refused when the extended block would hold the whole dimension (left + right
     * + block >= in): it then moves at least the (n-1) blocks one all_gather moves, in more collectives.
     * @param in global input size, @param out global output size, @param n devices along the dimension.
     */
    Plan halo(long in, long out, int n) { return halo(in, out, n, false); }

    /**
     * @param always whether to plan any width (concatenate moves its operands' pieces this way whatever their size)
     */
    Plan halo(long in, long out, int n, boolean always) {
        // an empty dimension has no blocks to exchange (and a block of 0 would divide by zero in the hop count)
        if (in == 0) return Plan.refused("the input dimension is empty");
        if (out == 0) return Plan.refused("the result dimension is empty");
        if (in % n != 0) return Plan.refused("the input dimension of " + in + " is not divisible by the " + n + " devices");
        if (out % n != 0) return Plan.refused("the result dimension of " + out + " is not divisible by the " + n + " devices");
        long outBlock = out / n, step = interior + 1;
        long[] start = new long[n], last = new long[n], lineStart = new long[n];
        long inputWindow = 1;
        for (int k = 0; k < n; k++) {
            long q0 = off + k * outBlock * stride, q1 = q0 + lineSpan(outBlock) - 1;
            lineStart[k] = q0;
            start[k] = Math.ceilDiv(q0 - lo, step);
            last[k] = Math.floorDiv(q1 - lo, step);
            inputWindow = Math.max(inputWindow, last[k] - start[k] + 1);
        }
        // each device's own last input bounds its halo: with interior padding devices read different counts, and the
        // longest window (which every device slices, one program for all) would overstate the others' needs
        long[] end = new long[n];
        for (int k = 0; k < n; k++) end[k] = last[k] + 1;
        return ranges(in, n, start, end, inputWindow, lineStart, lineSpan(outBlock), always);
    }

    /**
     * The halos for device k (along the dimension) reading inputs [start[k], end[k]) of a dimension of {@code in} split
     * into n blocks, in a window of {@code length} inputs from start[k] (at least every end[k] - start[k]): what lies
     * outside [0, in) is not fetched (the caller masks or drops it), nor what lies in the window past end[k].
     * Refused, unless {@code always}, when a halo spans several blocks and the extended block would hold the whole
     * dimension (see {@link #halo(long, long, int)}).
     */
    static Plan ranges(long in, int n, long[] start, long[] end, long length, long[] lineStart, long span, boolean always) {
        long block = in / n, left = 0, right = 0;
        for (int k = 0; k < n; k++) {
            long from = Math.max(start[k], 0), to = Math.min(end[k], in); // inputs device k really reads
            if (from >= to) continue;
            left = Math.max(left, k * block - from);
            right = Math.max(right, to - (k + 1) * block);
        }
        if (!always && (left > block || right > block) && left + right + block >= in) {
            return Plan.refused("device blocks need " + left + " elements from the left and " + right + " from the right, over "
                    + Math.max(Math.ceilDiv(left, block), Math.ceilDiv(right, block)) + " hops of blocks of " + block
                    + ": with its own block that is the whole dimension of " + in + ", so one all_gather moves no more");
        }
        return new Plan(null, block, span, left, right, start, length, lineStart);
    }

    /**
     * The plan when every device holds the whole input: its window is cut out locally (no halo, no collective), so
     * neither divisibility of the input nor the halo width matters; the result must still split into n blocks.
     */
    Plan cut(long in, long out, int n) {
        Plan p = halo(in * n, out, n, true);
        if (p.refused() != null) return p;
        return Plan.held(in, p.span(), p.start(), p.inputWindow(), p.lineStart());
    }

    /**
     * @param start      per device index k: the first input of its window (may lie outside [0, in): pad value there)
     * @param lineStart  per device index k: the line position its first output reads
     * @param span       line positions one output block reads
     */
    record Plan(String refused, long block, long span, long left, long right, long[] start, long inputWindow, long[] lineStart) {
        static Plan refused(String why) { return new Plan(why, 0, 0, 0, 0, null, 0, null); }

        /** Every device holds the whole input of {@code in}: it cuts its window out locally, no halo. */
        static Plan held(long in, long span, long[] start, long inputWindow, long[] lineStart) {
            return new Plan(null, in, span, 0, 0, start, inputWindow, lineStart);
        }
    }
}
