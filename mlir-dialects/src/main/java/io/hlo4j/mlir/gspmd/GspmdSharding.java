package io.hlo4j.mlir.gspmd;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An XLA (GSPMD) sharding as JAX writes it in {@code mhlo.sharding = "..."} strings, before Shardy: on {@code @main}'s
 * arguments and results and on {@code custom_call @Sharding}. The forms are XLA's {@code HloSharding::ToString}:
 * <pre>
 *   {replicated}   {manual}   {maximal device=3}
 *   {devices=[2,1]0,1}                      explicit tile assignment: the device of each tile, row-major
 *   {devices=[2,2]<=[4]}                    iota tile assignment: iota(4) reshaped to the tile dims
 *   {devices=[4,2]<=[2,4]T(1,0)}            iota(8) reshaped to [2,4], transposed by (1,0), reshaped to [4,2]
 *   {devices=[2,1,2]<=[4] last_tile_dim_replicate}    the last tile dim replicates instead of tiling
 *   {devices=[2,1,2]<=[4] last_tile_dims={manual}}    trailing tile dims of the given subgroup kinds
 *   {{replicated}, {devices=[2]0,1}}        one sharding per tuple element
 * </pre>
 * A {@code metadata={...}} clause (XLA dumps) is skipped. Anything else is refused by name.
 */
public sealed interface GspmdSharding {
    /** Every device holds the whole value. */
    record Replicated() implements GspmdSharding {}

    /** The value is already per device (inside a pre-Shardy shard_map). */
    record Manual() implements GspmdSharding {}

    /** The whole value lives on one device. */
    record Maximal(long device) implements GspmdSharding {}

    /** One sharding per element of a tuple-typed value. */
    record Tuple(List<GspmdSharding> elements) implements GspmdSharding {
        public Tuple { elements = List.copyOf(elements); }
    }

    /**
     * A tile assignment: the array of devices {@code devices} (row-major) of shape {@code tileDims}; the value's
     * dimension i is split into {@code tileDims[i]} tiles for the first {@code rank} dims, and the trailing tile
     * dims are subgroups of kind {@code subgroups} ("replicated" or "manual"), one per trailing dim. When the
     * assignment was written in iota form, {@code iotaReshape} and {@code iotaPerm} say how (else null).
     */
    record Tiled(long[] tileDims, long[] devices, List<String> subgroups, long[] iotaReshape, int[] iotaPerm) implements GspmdSharding {
        public Tiled {
            subgroups = List.copyOf(subgroups);
        }

        /** How many dims of the value the tile dims cover (the tile dims without the trailing subgroups). */
        public int rank() { return tileDims.length - subgroups.size(); }

        public long deviceCount() { return devices.length; }

        @Override public boolean equals(Object o) {
            return o instanceof Tiled t && Arrays.equals(tileDims, t.tileDims) && Arrays.equals(devices, t.devices) && subgroups.equals(t.subgroups);
        }

        @Override public int hashCode() { return 31 * Arrays.hashCode(tileDims) + Arrays.hashCode(devices) + subgroups.hashCode(); }

        @Override public String toString() {
            return "Tiled" + Arrays.toString(tileDims) + " devices " + Arrays.toString(devices) + (subgroups.isEmpty() ? "" : " subgroups " + subgroups);
        }
    }

    /** The sharding that {@code text} (the attribute's string value, braces included) spells. */
    static GspmdSharding parse(String text) { return parse(text, Location.UNKNOWN); }

    /** As {@link #parse(String)}; an error names the string and {@code loc}. */
    static GspmdSharding parse(String text, Location loc) {
        Reader r = new Reader(text, loc);
        r.skipSpaces();
        GspmdSharding s = r.sharding();
        r.skipSpaces();
        if (!r.atEnd()) throw r.fail("unexpected text after the sharding");
        return s;
    }

    /** A cursor over one mhlo.sharding string. */
    final class Reader {
        private final String s;
        private final Location loc;
        private int i;

        Reader(String s, Location loc) {
            this.s = s;
            this.loc = loc;
        }

        boolean atEnd() { return i >= s.length(); }

        Hlo4jException fail(String why) {
            // the location travels with the exception (printed before the message), so the message does not repeat it
            return new Hlo4jException("mhlo.sharding \"" + s + "\": " + why + " at character " + i, loc);
        }

        void skipSpaces() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        boolean eat(String t) {
            skipSpaces();
            if (s.startsWith(t, i)) {
                i += t.length();
                return true;
            }
            return false;
        }

        void expect(String t) { if (!eat(t)) throw fail("expected '" + t + "'"); }

        long number() {
            skipSpaces();
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (start == i) throw fail("expected a number");
            return Long.parseLong(s.substring(start, i));
        }

        long[] bracketList() {
            expect("[");
            List<Long> v = new ArrayList<>();
            if (!eat("]")) {
                do v.add(number()); while (eat(","));
                expect("]");
            }
            return v.stream().mapToLong(Long::longValue).toArray();
        }

        GspmdSharding sharding() {
            expect("{");
            skipSpaces();
            if (s.startsWith("{", i) || s.startsWith("}", i)) { // a tuple: {} is the empty tuple
                List<GspmdSharding> parts = new ArrayList<>();
                if (!eat("}")) {
                    do parts.add(sharding()); while (eat(","));
                    expect("}");
                }
                return new Tuple(parts);
            }
            GspmdSharding out;
            if (eat("replicated")) out = new Replicated();
            else if (eat("manual")) out = new Manual();
            else if (eat("maximal")) {
                expect("device=");
                out = new Maximal(number());
            } else if (eat("devices=")) out = tiled();
            else throw fail("expected replicated, manual, maximal or devices=");
            while (true) {
                skipSpaces();
                if (eat("}")) return out;
                if (eat("metadata=")) skipBalanced();
                else throw fail("unsupported clause (hlo4j reads replicated, manual, maximal, devices=, last_tile_dim_replicate,"
                        + " last_tile_dims= and metadata=)");
            }
        }

        private GspmdSharding tiled() {
            long[] tileDims = bracketList();
            long n = 1;
            for (long t : tileDims) {
                if (t < 1) throw fail("tile dims must be positive, got " + Arrays.toString(tileDims));
                n = Math.multiplyExact(n, t);
            }
            long[] devices, reshape = null;
            int[] perm = null;
            if (eat("<=")) {
                reshape = bracketList();
                long m = 1;
                for (long r : reshape) m = Math.multiplyExact(m, r);
                if (m != n) throw fail("iota dims " + Arrays.toString(reshape) + " hold " + m + " devices but the tile dims "
                        + Arrays.toString(tileDims) + " need " + n);
                if (eat("T(")) {
                    List<Integer> p = new ArrayList<>();
                    do p.add((int) number()); while (eat(","));
                    expect(")");
                    perm = p.stream().mapToInt(Integer::intValue).toArray();
                } else {
                    perm = new int[reshape.length];
                    for (int k = 0; k < perm.length; k++) perm[k] = k;
                }
                devices = iota(reshape, perm);
            } else {
                List<Long> d = new ArrayList<>();
                do d.add(number()); while (eat(","));
                devices = d.stream().mapToLong(Long::longValue).toArray();
                if (devices.length != n) throw fail(devices.length + " devices listed but the tile dims " + Arrays.toString(tileDims) + " need " + n);
            }
            long[] sorted = devices.clone();
            Arrays.sort(sorted);
            for (int k = 1; k < sorted.length; k++) if (sorted[k] == sorted[k - 1]) throw fail("device " + sorted[k] + " is listed twice");
            List<String> subgroups = new ArrayList<>();
            while (true) {
                skipSpaces();
                if (eat("last_tile_dim_replicate")) subgroups.add("replicated");
                else if (eat("last_tile_dims=")) {
                    expect("{");
                    do {
                        skipSpaces();
                        if (eat("replicated")) subgroups.add("replicated");
                        else if (eat("manual")) subgroups.add("manual");
                        else throw fail("unsupported subgroup kind (hlo4j reads replicated and manual)");
                    } while (eat(","));
                    expect("}");
                } else break;
            }
            if (subgroups.size() > tileDims.length) throw fail(subgroups.size() + " subgroup dims but only " + tileDims.length + " tile dims");
            return new Tiled(tileDims, devices, subgroups, reshape, perm);
        }

        private void skipBalanced() {
            skipSpaces();
            if (!eat("{")) throw fail("expected '{' after metadata=");
            int depth = 1;
            boolean quoted = false;
            while (i < s.length() && depth > 0) {
                char c = s.charAt(i++);
                if (quoted) {
                    if (c == '\\') i++;
                    else if (c == '"') quoted = false;
                } else if (c == '"') quoted = true;
                else if (c == '{') depth++;
                else if (c == '}') depth--;
            }
            if (depth > 0) throw fail("unterminated metadata");
        }

        private long[] iota(long[] reshape, int[] perm) {
            int r = reshape.length;
            boolean[] seen = new boolean[r];
            if (perm.length != r) throw fail("transpose " + Arrays.toString(perm) + " does not permute " + r + " iota dims");
            for (int p : perm) {
                if (p < 0 || p >= r || seen[p]) throw fail("transpose " + Arrays.toString(perm) + " is not a permutation of 0.." + (r - 1));
                seen[p] = true;
            }
            long[] stride = new long[r];
            long acc = 1;
            for (int k = r - 1; k >= 0; k--) {
                stride[k] = acc;
                acc *= reshape[k];
            }
            long[] out = new long[Math.toIntExact(acc)];
            long[] idx = new long[r]; // index over the transposed dims
            for (int pos = 0; pos < out.length; pos++) {
                long v = 0;
                for (int k = 0; k < r; k++) v += idx[k] * stride[perm[k]];
                out[pos] = v;
                for (int k = r - 1; k >= 0; k--) {
                    if (++idx[k] < reshape[perm[k]]) break;
                    idx[k] = 0;
                }
            }
            return out;
        }
    }
}
