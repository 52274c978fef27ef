package io.hlo4j.cli;

import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;

import java.util.List;
import java.util.Map;

/**
 * Whether the MoE layer's arrays split evenly over the mesh as the annotated layer shards them (x by batch over
 * (dp, fsdp) and sequence over sp, the experts over ep, their intermediate dimension over tp), checked before tracing
 * so that a refusal names the array and its dimension in the layer's terms ("wi [E=6, H=8, M=4] ...: E = 6 (n_routed_experts) does not divide over ep=4")
 * rather than the traced function's "argument #2 ... dimension 0". The same check the tracer makes, worded for MoE.
 */
final class MoeMeshFit {
    private MoeMeshFit() {}

    /** Each array's dimensions, in moe-semantics.md's letters. */
    private static final Map<String, List<String>> LETTERS = Map.of(
            "x", List.of("B", "S", "H"), "token_ids", List.of("B", "S"), "gate", List.of("H", "E"),
            "wi", List.of("E", "H", "M"), "wu", List.of("E", "H", "M"), "wd", List.of("E", "M", "H"));

    private static final Map<String, String> MEANING = Map.of("B", "batch", "S", "sequence length", "H", "hidden_size",
            "E", "n_routed_experts", "M", "moe_intermediate_size");

    /**
     * Refuses the first array (in the given order) whose dimension does not divide by the devices of its mesh axes.
     *
     * @param what the layer and mesh, for the message's start
     * @param shapes the arrays by name (x, gate, wi, wu, wd, token_ids; others are not checked)
     * @param shardings each array's sharding, or null when replicated
     */
    static void require(String what, Mesh mesh, Map<String, long[]> shapes, Map<String, NamedSharding> shardings) {
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            NamedSharding s = shardings.get(e.getKey());
            List<String> letters = LETTERS.get(e.getKey());
            if (s == null || letters == null || letters.size() != e.getValue().length) continue;
            long[] dims = e.getValue();
            for (int d = 0; d < dims.length; d++) {
                List<String> axes = s.spec().axes(d);
                int n = s.shards(d);
                if (n <= 1 || dims[d] % n == 0) continue;
                StringBuilder shape = new StringBuilder();
                for (int i = 0; i < dims.length; i++) shape.append(i == 0 ? "" : ", ").append(letters.get(i)).append('=').append(dims[i]);
                StringBuilder over = new StringBuilder();
                for (String a : axes) over.append(over.isEmpty() ? "" : ", ").append(a).append('=').append(mesh.axisSize(a));
                throw new IllegalArgumentException(what + ": " + e.getKey() + " [" + shape + "] is split " + s.spec() + ": "
                        + letters.get(d) + " = " + dims[d] + " (" + MEANING.get(letters.get(d)) + ") does not divide over "
                        + (axes.size() == 1 ? over : "(" + over + ")") + " (" + n + " shards)");
            }
        }
    }
}
