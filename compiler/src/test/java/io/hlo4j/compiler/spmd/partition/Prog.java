package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a propagated test module as text: a mesh, @main's arguments and results and ops in generic form,
 * each value with a closed sharding, random (from a seeded Random) unless given.
 */
final class Prog {
    final String[] axes;
    final long[] sizes;
    final Random rnd;
    private final List<String> args = new ArrayList<>(), body = new ArrayList<>();
    private final Map<String, TensorType> types = new LinkedHashMap<>();
    private final List<String> results = new ArrayList<>();
    private int next;

    Prog(String meshSpec, Random rnd) {
        String[] parts = meshSpec.split(",");
        axes = new String[parts.length];
        sizes = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] kv = parts[i].split("=");
            axes[i] = kv[0];
            sizes[i] = Long.parseLong(kv[1]);
        }
        this.rnd = rnd;
    }

    /** A random closed sharding: each axis, in random order, on a random dimension it divides, or unused. */
    String randomSharding(TensorType t) {
        List<List<String>> dims = new ArrayList<>();
        long[] shards = new long[t.rank()];
        for (int d = 0; d < t.rank(); d++) { dims.add(new ArrayList<>()); shards[d] = 1; }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < axes.length; i++) order.add(i);
        Collections.shuffle(order, rnd);
        for (int a : order) {
            if (t.rank() == 0 || rnd.nextInt(10) < 3) continue;
            int d = rnd.nextInt(t.rank());
            if (t.dim(d) % (shards[d] * sizes[a]) != 0) continue;
            dims.get(d).add(axes[a]);
            shards[d] *= sizes[a];
        }
        return sharding(dims);
    }

    static String sharding(List<List<String>> dims) {
        StringBuilder sb = new StringBuilder("<@mesh, [");
        for (int d = 0; d < dims.size(); d++) {
            sb.append(d == 0 ? "{" : ", {");
            for (int i = 0; i < dims.get(d).size(); i++) sb.append(i == 0 ? "" : ", ").append('"').append(dims.get(d).get(i)).append('"');
            sb.append('}');
        }
        return sb.append("]>").toString();
    }

    String arg(TensorType t) { return arg(t, randomSharding(t)); }

    String arg(TensorType t, String sharding) {
        String n = "%arg" + args.size();
        args.add(n + ": " + t + " {sdy.sharding = #sdy.sharding" + sharding + "}");
        types.put(n, t);
        return n;
    }

    TensorType type(String v) { return types.get(v); }

    /** {@code "name"(operands) <{props}> ({regions}) {sdy.sharding} : (types) -> result}; props/regions may be empty. */
    String op(String name, List<String> operands, String props, String regions, TensorType result) {
        return op(name, operands, props, regions, result, randomSharding(result));
    }

    String op(String name, List<String> operands, String props, String regions, TensorType result, String sharding) {
        String n = "%v" + next++;
        StringBuilder sb = new StringBuilder("    " + n + " = \"" + name + "\"(" + String.join(", ", operands) + ")");
        if (!props.isEmpty()) sb.append(" <{").append(props).append("}>");
        if (!regions.isEmpty()) sb.append(" (").append(regions).append(")");
        sb.append(" {sdy.sharding = #sdy.sharding_per_value<[").append(sharding).append("]>} : (");
        for (int i = 0; i < operands.size(); i++) sb.append(i == 0 ? "" : ", ").append(types.get(operands.get(i)));
        sb.append(") -> ").append(result);
        body.add(sb.toString());
        types.put(n, result);
        return n;
    }

    /** An op of several results, named {@code %vN#i}, with one sharding each (reduce_window of several inputs, sort). */
    List<String> ops(String name, List<String> operands, String props, String regions, List<TensorType> results, List<String> shardings) {
        String n = "%v" + next++;
        StringBuilder sb = new StringBuilder("    " + n + ":" + results.size() + " = \"" + name + "\"(" + String.join(", ", operands) + ")");
        if (!props.isEmpty()) sb.append(" <{").append(props).append("}>");
        if (!regions.isEmpty()) sb.append(" (").append(regions).append(")");
        sb.append(" {sdy.sharding = #sdy.sharding_per_value<[").append(String.join(", ", shardings)).append("]>} : (");
        for (int i = 0; i < operands.size(); i++) sb.append(i == 0 ? "" : ", ").append(types.get(operands.get(i)));
        sb.append(") -> (");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(results.get(i));
            names.add(n + "#" + i);
            types.put(n + "#" + i, results.get(i));
        }
        body.add(sb.append(")").toString());
        return names;
    }

    void result(String v) { results.add(v + "|" + randomSharding(types.get(v))); }

    void result(String v, String sharding) { results.add(v + "|" + sharding); }

    String text() {
        long n = 1;
        StringBuilder mesh = new StringBuilder();
        for (int i = 0; i < axes.length; i++) {
            n *= sizes[i];
            mesh.append(i == 0 ? "" : ", ").append('"').append(axes[i]).append("\"=").append(sizes[i]);
        }
        StringBuilder sb = new StringBuilder("module @t attributes {mhlo.num_partitions = " + n + " : i32, mhlo.num_replicas = 1 : i32} {\n");
        sb.append("  sdy.mesh @mesh = <[").append(mesh).append("]>\n");
        sb.append("  func.func @main(").append(String.join(", ", args)).append(") -> (");
        List<String> vs = new ArrayList<>(), ts = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            String[] p = results.get(i).split("\\|");
            vs.add(p[0]);
            ts.add(types.get(p[0]).toString());
            sb.append(i == 0 ? "" : ", ").append(types.get(p[0])).append(" {sdy.sharding = #sdy.sharding").append(p[1]).append("}");
        }
        sb.append(") {\n");
        for (String l : body) sb.append(l).append('\n');
        sb.append("    return ").append(String.join(", ", vs)).append(" : ").append(String.join(", ", ts)).append("\n  }\n}\n");
        return sb.toString();
    }

    List<TensorType> argTypes() {
        List<TensorType> out = new ArrayList<>();
        for (Map.Entry<String, TensorType> e : types.entrySet()) if (e.getKey().startsWith("%arg")) out.add(e.getValue());
        return out;
    }
}
