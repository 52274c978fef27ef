package io.hlo4j.compiler.spmd.fuzz;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Random meshes (1 to 3 axes of size 1, 2 or 4, at most 8 devices) and random {@code #sdy.sharding} texts on them:
 * whole axes and the two halves of a size-4 axis ({@code "a":(1)2}, {@code "a":(2)2}), each on a dimension it
 * divides, dimensions open ({@code ?}) or closed, some with a user priority ({@code p0} to {@code p2}); some meshes
 * number their devices in a shuffled order ({@code device_ids}); some name axes no dimension uses as
 * {@code replicated={...}}. With a small probability an axis lands on a dimension it does not
 * divide: the pipeline must then refuse by name (docs/sharding.md: never padded).
 */
final class ShardingGen {
    final List<String> axes = new ArrayList<>();
    final List<Long> sizes = new ArrayList<>();
    /** The mesh's device_ids when not the identity (a device's mesh position is its index here), else null. */
    final List<Long> deviceIds;
    private final Random rnd;
    /**
     * How many shardings drawn so far have an axis on a dimension it does not divide: the fuzz checks that
     * {@link FuzzOracle#nonDividing}, which reads them back from the program, finds as many.
     */
    int nonDividing;

    ShardingGen(Random rnd) {
        this.rnd = rnd;
        int n = 1 + rnd.nextInt(3);
        long total = 1;
        String[] names = {"a", "b", "c"};
        for (int i = 0; i < n; i++) {
            long[] choice = {1, 2, 4};
            long s = choice[rnd.nextInt(3)];
            while (total * s > 8) s /= 2;
            axes.add(names[i]);
            sizes.add(s);
            total *= s;
        }
        if (total > 1 && rnd.nextInt(5) == 0) {
            List<Long> ids = new ArrayList<>();
            for (long d = 0; d < total; d++) ids.add(d);
            Collections.shuffle(ids, rnd);
            deviceIds = ids;
        } else {
            deviceIds = null;
        }
    }

    long devices() {
        long n = 1;
        for (long s : sizes) n *= s;
        return n;
    }

    String meshBody() {
        StringBuilder sb = new StringBuilder("<[");
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : ", ").append('"').append(axes.get(i)).append("\"=").append(sizes.get(i));
        sb.append(']');
        if (deviceIds != null) sb.append(", device_ids=").append(deviceIds);
        return sb.append('>').toString();
    }

    /** One unit of sharding: a whole axis, or one half of a size-4 axis. */
    private record Atom(String text, String axis, long size) {}

    /**
     * A sharding of a tensor of {@code shape}: {@code <@mesh, [{...}, ...]>}. {@code allowOpen}: dimensions may be
     * open ({@code ?}, argument, result and constraint shardings).
     */
    String sharding(long[] shape, boolean allowOpen) {
        List<Atom> atoms = new ArrayList<>();
        for (int i = 0; i < axes.size(); i++) {
            String a = axes.get(i);
            long s = sizes.get(i);
            if (s == 4 && rnd.nextInt(3) == 0) {
                atoms.add(new Atom("\"" + a + "\":(1)2", a, 2));
                atoms.add(new Atom("\"" + a + "\":(2)2", a, 2));
            } else {
                atoms.add(new Atom("\"" + a + "\"", a, s));
            }
        }
        Collections.shuffle(atoms, rnd);
        List<List<Atom>> dims = new ArrayList<>();
        long[] shards = new long[shape.length];
        boolean divisible = true;
        for (int d = 0; d < shape.length; d++) { dims.add(new ArrayList<>()); shards[d] = 1; }
        for (Atom at : atoms) {
            if (shape.length == 0 || rnd.nextInt(10) < 5) continue;
            int d = rnd.nextInt(shape.length);
            // both halves of one axis on one dimension would be the whole axis: Shardy wants it written so
            boolean sibling = dims.get(d).stream().anyMatch(o -> o.axis.equals(at.axis));
            if (sibling) continue;
            boolean divides = shape[d] % (shards[d] * at.size) == 0;
            if (!divides && rnd.nextInt(25) != 0) continue;
            if (!divides) divisible = false;
            dims.get(d).add(at);
            shards[d] *= at.size;
        }
        if (!divisible) nonDividing++;
        StringBuilder sb = new StringBuilder("<@mesh, [");
        for (int d = 0; d < shape.length; d++) {
            sb.append(d == 0 ? "{" : ", {");
            List<Atom> ds = dims.get(d);
            for (int i = 0; i < ds.size(); i++) sb.append(i == 0 ? "" : ", ").append(ds.get(i).text);
            boolean open = allowOpen && rnd.nextInt(4) == 0;
            if (open) sb.append(ds.isEmpty() ? "?" : ", ?");
            sb.append('}');
            // a user priority needs something to prioritise: axes, or an open dimension
            if ((open || !ds.isEmpty()) && rnd.nextInt(8) == 0) sb.append('p').append(rnd.nextInt(3));
        }
        sb.append(']');
        // sometimes axes no dimension uses are named explicitly replicated (Shardy's replicated={...}: closes them)
        List<String> unused = new ArrayList<>();
        for (String a : axes) if (dims.stream().flatMap(List::stream).noneMatch(o -> o.axis.equals(a))) unused.add('"' + a + '"');
        if (!unused.isEmpty() && rnd.nextInt(8) == 0) {
            sb.append(", replicated={").append(String.join(", ", unused.subList(0, 1 + rnd.nextInt(unused.size())))).append('}');
        }
        return sb.append(">").toString();
    }
}
