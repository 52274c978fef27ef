package io.hlo4j.compiler.spmd.partition;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every reshape between the chosen 1-3 dimensional shapes of 12, 24 and 36 elements (18 shapes, 92 ordered pairs of
 * the same element count) with every single-axis sharding of the operand (one mesh axis on one dimension it divides) on
 * the meshes x=2, x=3, x=4, x=6, x=2 y=2 and x=2 y=3, and every single-axis sharding of the result (the operand left to
 * propagation): 1,589 programs. On the two-axis meshes the result-annotated programs are a sample, half the ordered
 * pairs on each mesh (those whose shape indices and mesh index sum to an even number), to keep the test fast; there
 * the result also gets both axes on one dimension, in either order (122 programs). Each is propagated, partitioned,
 * verified and run on the simulated devices against the unpartitioned program, bit for bit ({@link ReshapeCase}); none
 * may be refused, and a free operand never moves (no collective when the result is annotated).
 *
 * <p>The oracle of how much can stay is written here, apart from the partitioner: a layout is, per device, the set of
 * row-major element indices it holds (the same on both sides of a reshape). Every sharding of the other side that
 * Shardy can write on these meshes (each axis cut into sub-axes major to minor in every way, each part on any dimension
 * or none, in any order) is enumerated. The annotated side's axis of size n is kept as its major part of g devices for
 * the largest g (dividing n) whose layout one of them gives; then an annotated operand must reach the reshape receiving
 * at most the gather from n blocks to g ((numel/g - numel/n) elements per device: nothing when g = n), and a free
 * operand must be split at least g ways. When g = n nothing moves and the reshape is computed on blocks (no report
 * entry). Of the single-axis programs the axis is kept whole in 654, partly in 48 and not at all in 887.
 */
class ReshapeSweepTest {
    private static final long[][][] SHAPES = {
            {{12}, {2, 6}, {3, 4}, {4, 3}, {2, 3, 2}},
            {{24}, {4, 6}, {6, 4}, {8, 3}, {2, 3, 4}, {4, 3, 2}, {2, 6, 2}},
            {{36}, {6, 6}, {4, 9}, {3, 12}, {2, 3, 6}, {3, 4, 3}},
    };
    /** Mesh axes' names and sizes. */
    private static final String[][] MESH_NAMES = {{"x"}, {"x"}, {"x"}, {"x"}, {"x", "y"}, {"x", "y"}};
    private static final int[][] MESH_SIZES = {{2}, {3}, {4}, {6}, {2, 2}, {2, 3}};

    /** One axis (or sub-axis) of the mesh: axis index, pre-size, size. */
    private record Part(int axis, int pre, int size) {}

    @Test
    void everyReshapeKeepsWhatTheLayoutAllows() {
        int cases = 0, whole = 0, partly = 0, none = 0;
        int twoAxes = 0;
        for (int m = 0; m < MESH_SIZES.length; m++) {
            String[] names = MESH_NAMES[m];
            int[] sizes = MESH_SIZES[m];
            StringBuilder mesh = new StringBuilder();
            for (int a = 0; a < names.length; a++) mesh.append(a == 0 ? "" : ", ").append('"').append(names[a]).append("\"=").append(sizes[a]);
            Map<String, Set<List<Long>>> layouts = new HashMap<>();
            for (long[][] group : SHAPES) {
                for (int i = 0; i < group.length; i++) {
                    for (int j = 0; j < group.length; j++) {
                        if (i == j) continue;
                        long[] in = group[i], out = group[j];
                        for (int side = 0; side < 2; side++) {
                            // the result annotated on a two-axis mesh: half the pairs, the other half on the other mesh
                            if (side == 1 && sizes.length == 2 && (i + j + m) % 2 != 0) continue;
                            long[] annotated = side == 0 ? in : out, other = side == 0 ? out : in;
                            Set<List<Long>> otherLayouts = layouts.computeIfAbsent(Arrays.toString(other), k -> allLayouts(other, sizes));
                            if (sizes.length == 2 && side == 1) twoAxes += bothAxesOnOneDimension(mesh.toString(), names, sizes, in, out);
                            for (int a = 0; a < sizes.length; a++) {
                                for (int d = 0; d < annotated.length; d++) {
                                    if (annotated[d] % sizes[a] != 0) continue;
                                    String text = text(annotated.length, d, "\"" + names[a] + "\"");
                                    String what = mesh + ": " + ReshapeCase.type(in) + (side == 0 ? " " + text : "") + " -> "
                                            + ReshapeCase.type(out) + (side == 1 ? " " + text : "");
                                    ReshapeCase c;
                                    try {
                                        c = side == 0 ? ReshapeCase.of(mesh.toString(), in, text, out, null)
                                                : ReshapeCase.of(mesh.toString(), in, null, out, text);
                                    } catch (RuntimeException | AssertionError e) {
                                        throw new AssertionError(what + ": " + e.getMessage(), e);
                                    }
                                    cases++;
                                    int n = sizes[a], g = kept(annotated, d, a, n, sizes, otherLayouts);
                                    if (g == n) whole++;
                                    else if (g > 1) partly++;
                                    else none++;
                                    long numel = product(in);
                                    if (side == 0) {
                                        assertThat(c.maxBytesReceived()).as("%s keeps %d of %d: %s", what, g, n, c.collectives())
                                                .isLessThanOrEqualTo(4 * (numel / g - numel / n));
                                    } else {
                                        // a free operand is given only what the reshape can be computed on: it never moves
                                        assertThat(c.collectives()).as(what).isEmpty();
                                        long split = 1;
                                        var arg = c.program().argShardings().getFirst();
                                        for (int k = 0; k < in.length; k++) for (var ax : arg.axesOfDim(k)) split *= ax.size(c.program().mesh());
                                        assertThat(split).as("%s: the operand keeps %d of %d", what, g, n).isGreaterThanOrEqualTo(g);
                                    }
                                    if (g == n) {
                                        assertThat(c.collectives()).as(what).isEmpty();
                                        assertThat(c.program().report().entries()).as(what).isEmpty();
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(List.of(cases, whole, partly, none, twoAxes)).as("programs: one axis (kept whole, partly, not at all), both axes on one dimension")
                .containsExactly(1589, 654, 48, 887, 122);
        assertThat(partly).as("the oracle finds axes kept in part").isPositive();
    }

    /**
     * The most devices g (a divisor of n) such that the annotated side split on the major part of size g of its axis on
     * dimension d holds a layout the other side can be sharded into.
     */
    private static int kept(long[] shape, int d, int axis, int n, int[] sizes, Set<List<Long>> otherLayouts) {
        for (int g = n; g > 1; g--) {
            if (n % g != 0) continue;
            List<List<Part>> sharding = new ArrayList<>();
            for (int k = 0; k < shape.length; k++) sharding.add(k == d ? List.of(new Part(axis, 1, g)) : List.of());
            if (otherLayouts.contains(layout(shape, sharding, sizes))) return g;
        }
        return 1;
    }

    private static String text(int rank, int d, String axes) {
        StringBuilder b = new StringBuilder("[");
        for (int k = 0; k < rank; k++) b.append(k == 0 ? "" : ", ").append(k == d ? "{" + axes + "}" : "{}");
        return b.append(']').toString();
    }

    /**
     * On a two-axis mesh, both axes on one dimension of the result, in either order, where their product divides it (the
     * operand left to propagation): the value must come out bit for bit (checked by {@link ReshapeCase}) and the free
     * operand must not move, as propagation gives it only what the partitioner keeps. Returns the number of programs.
     */
    private static int bothAxesOnOneDimension(String mesh, String[] names, int[] sizes, long[] in, long[] out) {
        long[] annotated = out;
        int n = 0;
        for (int d = 0; d < annotated.length; d++) {
            if (annotated[d] % (sizes[0] * sizes[1]) != 0) continue;
            for (int first = 0; first < 2; first++) {
                String text = text(annotated.length, d, "\"" + names[first] + "\", \"" + names[1 - first] + "\"");
                String what = mesh + ": " + ReshapeCase.type(in) + " -> " + ReshapeCase.type(out) + " " + text;
                ReshapeCase c;
                try {
                    c = ReshapeCase.of(mesh, in, null, out, text);
                } catch (RuntimeException | AssertionError e) {
                    throw new AssertionError(what + ": " + e.getMessage(), e);
                }
                assertThat(c.collectives()).as(what).isEmpty();
                n++;
            }
        }
        return n;
    }

    private static long product(long[] s) {
        long p = 1;
        for (long x : s) p *= x;
        return p;
    }

    /**
     * Per device (id row-major over the mesh axes), the bit set of the row-major element indices its block holds. A
     * part (pre p, size s) of an axis of size n is the device's coordinate c along it as (c / (n / (p s))) mod s.
     */
    private static List<Long> layout(long[] shape, List<List<Part>> sharding, int[] sizes) {
        int devices = 1;
        for (int s : sizes) devices *= s;
        List<Long> out = new ArrayList<>();
        for (int dev = 0; dev < devices; dev++) {
            int[] coord = new int[sizes.length];
            for (int a = sizes.length - 1, rest = dev; a >= 0; a--) { coord[a] = rest % sizes[a]; rest /= sizes[a]; }
            long[] start = new long[shape.length], len = new long[shape.length];
            for (int d = 0; d < shape.length; d++) {
                long idx = 0, count = 1;
                for (Part p : sharding.get(d)) {
                    int n = sizes[p.axis()];
                    idx = idx * p.size() + (coord[p.axis()] / (n / (p.pre() * p.size()))) % p.size();
                    count *= p.size();
                }
                len[d] = shape[d] / count;
                start[d] = idx * len[d];
            }
            long mask = 0, numel = product(shape);
            for (long flat = 0; flat < numel; flat++) {
                boolean inside = true;
                for (int d = shape.length - 1, rest = (int) flat; d >= 0; d--) {
                    long i = rest % shape[d];
                    rest /= (int) shape[d];
                    if (i < start[d] || i >= start[d] + len[d]) inside = false;
                }
                if (inside) mask |= 1L << flat;
            }
            out.add(mask);
        }
        return out;
    }

    /** The layouts of every sharding of {@code shape} that Shardy can write on the mesh (sub-axes included). */
    private static Set<List<Long>> allLayouts(long[] shape, int[] sizes) {
        List<List<Part>> partLists = new ArrayList<>();
        partLists.add(List.of());
        for (int a = 0; a < sizes.length; a++) {
            List<List<Part>> next = new ArrayList<>();
            for (List<Part> prefix : partLists) {
                for (List<Integer> comp : compositions(sizes[a])) {
                    List<Part> parts = new ArrayList<>(prefix);
                    int pre = 1;
                    for (int s : comp) { parts.add(new Part(a, pre, s)); pre *= s; }
                    next.add(parts);
                }
            }
            partLists = next;
        }
        Set<List<Long>> out = new HashSet<>();
        for (List<Part> parts : partLists) place(parts, 0, new ArrayList<>(), shape, sizes, out);
        return out;
    }

    /** Each part on a dimension (or none), then every order of the parts on each dimension. */
    private static void place(List<Part> parts, int i, List<Integer> dims, long[] shape, int[] sizes, Set<List<Long>> out) {
        if (i == parts.size()) {
            List<List<Part>> perDim = new ArrayList<>();
            for (int d = 0; d < shape.length; d++) perDim.add(new ArrayList<>());
            for (int k = 0; k < parts.size(); k++) if (dims.get(k) >= 0) perDim.get(dims.get(k)).add(parts.get(k));
            orders(perDim, 0, shape, sizes, out);
            return;
        }
        for (int d = -1; d < shape.length; d++) {
            dims.add(d);
            place(parts, i + 1, dims, shape, sizes, out);
            dims.removeLast();
        }
    }

    private static void orders(List<List<Part>> perDim, int d, long[] shape, int[] sizes, Set<List<Long>> out) {
        if (d == perDim.size()) {
            out.add(layout(shape, perDim, sizes));
            return;
        }
        long count = 1;
        for (Part p : perDim.get(d)) count *= p.size();
        if (shape[d] % count != 0) return;
        for (List<Part> order : permutations(perDim.get(d))) {
            List<List<Part>> next = new ArrayList<>(perDim);
            next.set(d, order);
            orders(next, d + 1, shape, sizes, out);
        }
    }

    private static List<List<Part>> permutations(List<Part> parts) {
        if (parts.isEmpty()) return List.of(List.of());
        List<List<Part>> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            List<Part> rest = new ArrayList<>(parts);
            Part first = rest.remove(i);
            for (List<Part> p : permutations(rest)) {
                List<Part> l = new ArrayList<>();
                l.add(first);
                l.addAll(p);
                out.add(l);
            }
        }
        return out;
    }

    /** The ways to write n as an ordered product of factors above 1 (major to minor): 6 = 6 = 2*3 = 3*2. */
    private static List<List<Integer>> compositions(int n) {
        List<List<Integer>> out = new ArrayList<>();
        if (n == 1) {
            out.add(List.of());
            return out;
        }
        for (int f = 2; f <= n; f++) {
            if (n % f != 0) continue;
            for (List<Integer> rest : compositions(n / f)) {
                List<Integer> l = new ArrayList<>();
                l.add(f);
                l.addAll(rest);
                out.add(l);
            }
        }
        return out;
    }
}
