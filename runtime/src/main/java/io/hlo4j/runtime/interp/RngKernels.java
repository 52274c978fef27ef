package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code rng_bit_generator} with XLA's bit generators. THREE_FRY (and DEFAULT): state {@code [key, counter]};
 * element i of a 64-bit output is Threefry-2x32 (20 rounds) of {@code counter + i} under {@code key}; 32-bit
 * outputs take both halves of each block, pairing neighbours along the first even dimension as XLA does.
 * PHILOX: state {@code [key, counter_lo, counter_hi]} (or {@code [key, counter]}); Philox-4x32 (10 rounds) of the
 * 128-bit counter + i, the four words dealt out round-robin. The new state advances the counter by the blocks used.
 * Narrower integer outputs keep the low bits of 32-bit draws; float outputs reinterpret the bits.
 */
final class RngKernels {
    private RngKernels() {}

    static void register() {
        Kernels.put("stablehlo.rng_bit_generator", RngKernels::rngBitGenerator);
    }

    private static List<RtValue> rngBitGenerator(Operation op, List<RtValue> args, Frame f) {
        Tensor state = (Tensor) args.get(0);
        String alg = Attrs.enumValue(op, "rng_algorithm");
        TensorType st = (TensorType) op.result(0).type(), ot = (TensorType) op.result(1).type();
        int width = Elem.width(ot.elementType());
        if (width != 32 && width != 64 && width > 32) throw InterpreterException.at(op, "output element type " + ot.elementType());
        long[] s = state.ints.clone();
        long[] bits;
        Tensor newState = Tensor.zeros(st);
        switch (alg == null ? "DEFAULT" : alg) {
            case "THREE_FRY", "DEFAULT" -> {
                if (s.length < 2) throw InterpreterException.at(op, "THREE_FRY needs a state of 2 u64, got " + state.type);
                long[] counter = {s[1]};
                bits = width == 64 ? threeFry64(s[0], counter, ot.shape()) : threeFry32(s[0], counter, ot.shape());
                System.arraycopy(s, 0, newState.ints, 0, s.length);
                newState.ints[1] = counter[0];
            }
            case "PHILOX" -> {
                if (s.length < 2) throw InterpreterException.at(op, "PHILOX needs a state of 2 or 3 u64, got " + state.type);
                long[] ctr = s.length >= 3 ? new long[] {s[1], s[2]} : new long[] {s[1], s[0]};
                int n = Math.toIntExact(ot.numElements());
                bits = width == 64 ? philox64(s[0], ctr, n) : philox32(s[0], ctr, n);
                System.arraycopy(s, 0, newState.ints, 0, s.length);
                newState.ints[1] = ctr[0];
                if (s.length >= 3) newState.ints[2] = ctr[1];
            }
            default -> throw InterpreterException.at(op, "unknown rng_algorithm " + alg);
        }
        Tensor out = Tensor.zeros(ot);
        for (long i0 = 0; i0 < out.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, out.size); i < iEnd; i++) {
            if (ot.elementType() instanceof FloatType ft) out.re[i] = Floats.decode(ft.kind(), bits[i]);
            else out.ints[i] = Elem.wrap(ot.elementType(), bits[i]);
        }
        return List.of(newState, out);
    }

    /** Threefry-2x32 with 20 rounds; returns {x0, x1}. */
    static int[] threeFry2x32(int x0, int x1, int k0, int k1) {
        int[] rot = {13, 15, 26, 6, 17, 29, 16, 24};
        int k2 = 0x1BD11BDA ^ k0 ^ k1;
        int[] ks = {k0, k1, k2};
        x0 += k0;
        x1 += k1;
        for (int block = 0; block < 5; block++) {
            int base = (block % 2) * 4;
            for (int r = 0; r < 4; r++) {
                x0 += x1;
                x1 = Integer.rotateLeft(x1, rot[base + r]);
                x1 ^= x0;
            }
            x0 += ks[(block + 1) % 3];
            x1 += ks[(block + 2) % 3] + block + 1;
        }
        return new int[] {x0, x1};
    }

    static long[] threeFry64(long key, long[] counter, long[] shape) {
        int n = (int) Layout.product(shape);
        long[] out = new long[n];
        int k0 = (int) key, k1 = (int) (key >>> 32);
        for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) {
            long c = counter[0] + i;
            int[] x = threeFry2x32((int) c, (int) (c >>> 32), k0, k1);
            out[i] = (x[0] & 0xFFFFFFFFL) | ((long) x[1] << 32);
        }
        counter[0] += n;
        return out;
    }

    /** 32-bit draws: half as many blocks, the two words of block h going to positions 2h and 2h+1 of the split dim. */
    static long[] threeFry32(long key, long[] counter, long[] shape) {
        int n = (int) Layout.product(shape);
        long[] out = new long[n];
        int k0 = (int) key, k1 = (int) (key >>> 32);
        if (shape.length == 0) {
            int[] x = threeFry2x32((int) counter[0], (int) (counter[0] >>> 32), k0, k1);
            out[0] = x[0] & 0xFFFFFFFFL;
            counter[0] += 1;
            return out;
        }
        int split = -1;
        for (int d = 0; d < shape.length; d++) if (shape[d] % 2 == 0) { split = d; break; }
        if (split < 0) for (int d = 0; d < shape.length; d++) if (split < 0 || shape[d] > shape[split]) split = d;
        long[] half = shape.clone();
        half[split] = (shape[split] + 1) / 2;
        int hn = (int) Layout.product(half);
        int[] os = Tensor.strides(shape);
        long[] idx = new long[shape.length];
        for (long h0 = 0; h0 < hn; h0 += StopCheck.STEP) for (int h = (int) h0, hEnd = StopCheck.end(h0, hn); h < hEnd; h++) {
            long c = counter[0] + h;
            int[] x = threeFry2x32((int) c, (int) (c >>> 32), k0, k1);
            Layout.unflatten(h, half, idx);
            for (int j = 0; j < 2; j++) {
                long pos = 2 * idx[split] + j;
                if (pos >= shape[split]) continue;
                int off = 0;
                for (int d = 0; d < shape.length; d++) off += (int) ((d == split ? pos : idx[d]) * os[d]);
                out[off] = x[j] & 0xFFFFFFFFL;
            }
        }
        counter[0] += hn;
        return out;
    }

    /** Philox-4x32 with 10 rounds on counter words {c0..c3} (least significant first). */
    static int[] philox4x32(int[] c, int k0, int k1) {
        int x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3];
        for (int r = 0; r < 10; r++) {
            long p0 = (x0 & 0xFFFFFFFFL) * 0xD2511F53L, p1 = (x2 & 0xFFFFFFFFL) * 0xCD9E8D57L;
            int n0 = (int) (p1 >>> 32) ^ x1 ^ k0, n1 = (int) p1, n2 = (int) (p0 >>> 32) ^ x3 ^ k1, n3 = (int) p0;
            x0 = n0; x1 = n1; x2 = n2; x3 = n3;
            k0 += 0x9E3779B9;
            k1 += 0xBB67AE85;
        }
        return new int[] {x0, x1, x2, x3};
    }

    /** {@code blocks} Philox blocks from the 128-bit counter {lo, hi}, which advances by that many. */
    static int[][] philoxBlocks(long key, long[] ctr, int blocks) {
        int k0 = (int) key, k1 = (int) (key >>> 32);
        int[][] out = new int[blocks][];
        for (long i0 = 0; i0 < blocks; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, blocks); i < iEnd; i++) {
            long lo = ctr[0] + i, hi = ctr[1] + (Long.compareUnsigned(lo, ctr[0]) < 0 ? 1 : 0);
            out[i] = philox4x32(new int[] {(int) lo, (int) (lo >>> 32), (int) hi, (int) (hi >>> 32)}, k0, k1);
        }
        long lo = ctr[0] + blocks;
        if (Long.compareUnsigned(lo, ctr[0]) < 0) ctr[1]++;
        ctr[0] = lo;
        return out;
    }

    static long[] philox32(long key, long[] ctr, int n) {
        int[][] b = philoxBlocks(key, ctr, (n + 3) / 4);
        long[] out = new long[n];
        for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) out[i] = b[i / 4][i % 4] & 0xFFFFFFFFL;
        return out;
    }

    static long[] philox64(long key, long[] ctr, int n) {
        int[][] b = philoxBlocks(key, ctr, (2 * n + 3) / 4);
        long[] out = new long[n];
        for (long i0 = 0; i0 < n; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, n); i < iEnd; i++) {
            int[] w = b[i / 2];
            int j = (i % 2) * 2;
            out[i] = (w[j] & 0xFFFFFFFFL) | ((long) w[j + 1] << 32);
        }
        return out;
    }
}
