package io.hlo4j.compiler.graph;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpTrait;

import java.util.Set;

/** The kinds a dataflow picture colours ops by; collectives stand out (red, bold border). */
public enum OpKind {
    COLLECTIVE("#ff8a80", "collective"),
    CONTRACTION("#ffcc80", "dot / convolution"),
    REDUCTION("#a5d6a7", "reduction"),
    ELEMENTWISE("#90caf9", "elementwise"),
    DATA_MOVEMENT("#e0e0e0", "data movement"),
    CONSTANT("#ffffff", "constant"),
    CONTROL("#ce93d8", "control flow / call"),
    OTHER("#fff59d", "other");

    public final String fill;
    public final String label;

    OpKind(String fill, String label) {
        this.fill = fill;
        this.label = label;
    }

    private static final Set<String> CONTRACTIONS = Set.of("stablehlo.dot_general", "stablehlo.dot", "stablehlo.convolution",
            "chlo.ragged_dot");
    private static final Set<String> REDUCTIONS = Set.of("stablehlo.reduce", "stablehlo.reduce_window", "stablehlo.select_and_scatter",
            "stablehlo.scatter", "stablehlo.sort", "chlo.top_k");
    private static final Set<String> MOVEMENT = Set.of("stablehlo.reshape", "stablehlo.transpose", "stablehlo.broadcast_in_dim",
            "stablehlo.broadcast", "stablehlo.slice", "stablehlo.dynamic_slice", "stablehlo.dynamic_update_slice",
            "stablehlo.concatenate", "stablehlo.pad", "stablehlo.gather", "stablehlo.iota", "stablehlo.reverse",
            "stablehlo.convert", "stablehlo.bitcast_convert", "stablehlo.get_tuple_element", "stablehlo.tuple",
            "sdy.sharding_constraint", "sdy.reshard");
    private static final Set<String> CONTROL_OPS = Set.of("stablehlo.while", "stablehlo.case", "stablehlo.if", "func.call",
            "stablehlo.composite", "sdy.manual_computation", "sdy.named_computation", "stablehlo.custom_call");

    public static OpKind of(Operation op) {
        String n = op.name();
        OpDef def = op.def();
        if (def != null && def.has(OpTrait.COLLECTIVE)) return COLLECTIVE;
        if (CONTRACTIONS.contains(n)) return CONTRACTION;
        if (REDUCTIONS.contains(n)) return REDUCTION;
        if (n.equals("stablehlo.constant")) return CONSTANT;
        if (MOVEMENT.contains(n)) return DATA_MOVEMENT;
        if (CONTROL_OPS.contains(n)) return CONTROL;
        if (def != null && def.has(OpTrait.ELEMENTWISE)) return ELEMENTWISE;
        return OTHER;
    }
}
