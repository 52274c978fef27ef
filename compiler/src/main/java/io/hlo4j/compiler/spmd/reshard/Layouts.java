package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/** Layouts of one tensor as atom lists per dimension plus a bit set of unreduced atoms, and their block geometry. */
final class Layouts {
    /** Atom ids per dimension (major to minor) and the unreduced atoms as a bit set; the key is computed once. */
    static final class State {
        private final List<List<Integer>> dims;
        private final long mask;
        private final String key;
        private long[][] index; // [dim][device]: the device's block index along the dimension, computed on first use

        State(List<List<Integer>> dims, long mask) {
            List<List<Integer>> c = new ArrayList<>();
            for (List<Integer> d : dims) c.add(List.copyOf(d));
            this.dims = List.copyOf(c);
            this.mask = mask;
            this.key = this.dims + "/" + mask;
        }

        List<List<Integer>> dims() { return dims; }
        long mask() { return mask; }
        String key() { return key; }

        long used() {
            long u = 0;
            for (List<Integer> d : dims) for (int k : d) u |= 1L << k;
            return u;
        }

        @Override public String toString() { return key; }
    }

    final MeshAtoms m;
    final long[] shape;
    final long elements;
    final int elementBytes;
    final TensorType global;

    Layouts(MeshAtoms m, TensorType global) {
        this.m = m;
        this.global = global;
        this.shape = global.shape();
        this.elements = global.numElements();
        this.elementBytes = global.elementType().storageBytes();
    }

    State stateOf(TensorSharding s) {
        List<List<Integer>> dims = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) dims.add(m.expand(s.axesOfDim(d)));
        long mask = 0;
        for (int k : m.expand(s.unreducedAxes())) mask |= 1L << k;
        return new State(dims, mask);
    }

    long[] local(State s) {
        long[] l = shape.clone();
        for (int d = 0; d < l.length; d++) l[d] /= m.size(s.dims().get(d));
        return l;
    }

    TensorType localType(State s) { return TensorType.of(global.elementType(), local(s)); }

    long blockBytes(State s) {
        long n = elements;
        for (List<Integer> d : s.dims()) n /= m.size(d);
        return n * elementBytes;
    }

    /** Per dimension, each device's block index along it (cached in the state: the search asks for it often). */
    long[][] index(State s) {
        if (s.index == null) {
            long[][] ix = new long[s.dims.size()][m.devices];
            for (int d = 0; d < ix.length; d++) {
                int[] ids = s.dims.get(d).stream().mapToInt(Integer::intValue).toArray();
                for (int dev = 0; dev < m.devices; dev++) ix[d][dev] = m.linear(dev, ids);
            }
            s.index = ix;
        }
        return s.index;
    }

    /** Every dimension's shard count divides its size. */
    boolean divisible(State s) {
        for (int d = 0; d < shape.length; d++) if (shape[d] % m.size(s.dims().get(d)) != 0) return false;
        return true;
    }

    /** The device's block identity: block index per dimension, then its index among partial holders. */
    List<Long> blockKey(State s, int dev) {
        List<Long> k = new ArrayList<>();
        for (List<Integer> d : s.dims()) k.add(m.linear(dev, d));
        k.add(m.linear(dev, ids(s.mask())));
        return k;
    }

    static List<Integer> ids(long mask) {
        List<Integer> out = new ArrayList<>();
        for (int k = 0; k < 64; k++) if ((mask & (1L << k)) != 0) out.add(k);
        return out;
    }
}
