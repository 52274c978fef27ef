package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.attr.TypeAttr;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The IR-level hooks for rematerialisation and custom VJPs, expressed as discardable attributes on a
 * {@code func.call} (so the forward program stays plain StableHLO any backend runs):
 * <ul>
 *   <li>{@value #REMAT} = {@code "nothing" | "dots" | "names"}: checkpoint the callee. Its body is inlined in the
 *   forward pass; the backward pass recomputes it from the call's arguments, reusing only the values the policy
 *   saves (the results of {@code dot_general}, or of ops carrying {@value #NAME} listed in {@value #SAVE_NAMES}).
 *   The arguments and saved values pass through an {@code optimization_barrier} first, as JAX does, so the
 *   backend's CSE cannot merge the recomputation back into the forward pass.</li>
 *   <li>{@value #CUSTOM_VJP} = {@code @bwd}: the backward pass calls {@code @bwd(args..., results..., cotangents...)}
 *   which returns one cotangent per argument, instead of differentiating the callee.</li>
 * </ul>
 */
public final class Checkpoint {
    public static final String REMAT = "hlo4j.remat";
    public static final String SAVE_NAMES = "hlo4j.remat_save";
    public static final String NAME = "hlo4j.name";
    public static final String CUSTOM_VJP = io.hlo4j.mlir.ir.CallGraph.CUSTOM_VJP;

    public enum Policy { NOTHING, DOTS, NAMES }

    private Checkpoint() {}

    /** Emits {@code func.call @callee(args)} checkpointed with {@code policy} (names only for {@link Policy#NAMES}). */
    public static List<Value> call(IrBuilder b, Operation callee, List<? extends Value> args, Policy policy, List<String> names,
                                   Location loc) {
        Operation.Builder ob = callOp(callee, args, loc).attribute(REMAT, new StringAttr(policy.name().toLowerCase()));
        if (policy == Policy.NAMES) ob.attribute(SAVE_NAMES, new ArrayAttr(names.stream().<Attribute>map(StringAttr::new).toList()));
        return new ArrayList<>(b.append(ob, loc).results());
    }

    /** Emits {@code func.call @callee(args)} whose VJP is {@code @bwd(args..., results..., cotangents...)}. */
    public static List<Value> callWithCustomVjp(IrBuilder b, Operation callee, Operation bwd, List<? extends Value> args, Location loc) {
        Operation.Builder ob = callOp(callee, args, loc).attribute(CUSTOM_VJP, SymbolRefAttr.of(symbol(bwd)));
        return new ArrayList<>(b.append(ob, loc).results());
    }

    private static Operation.Builder callOp(Operation callee, List<? extends Value> args, Location loc) {
        FunctionType ft = (FunctionType) ((TypeAttr) callee.attr("function_type")).value();
        return Operation.builder("func.call").operands(args).resultTypes(ft.results()).location(loc)
                .property("callee", SymbolRefAttr.of(symbol(callee)));
    }

    private static String symbol(Operation f) { return ((StringAttr) f.attr("sym_name")).value(); }

    static boolean isRematCall(Operation op) { return op.name().equals("func.call") && op.attributes().contains(REMAT); }

    /** Whether the policy of {@code call} saves the results of callee op {@code inner}. */
    static boolean saves(Operation call, Operation inner) {
        String p = ((StringAttr) call.attr(REMAT)).value();
        return switch (p) {
            case "nothing" -> false;
            case "dots" -> inner.name().equals("stablehlo.dot_general") || inner.name().equals("chlo.ragged_dot");
            case "names" -> inner.attr(NAME) instanceof StringAttr n && savedNames(call).contains(n.value());
            default -> throw new Hlo4jException("unknown remat policy '" + p + "' (nothing, dots or names)", call.location());
        };
    }

    private static Set<String> savedNames(Operation call) {
        if (!(call.attr(SAVE_NAMES) instanceof ArrayAttr a)) return Set.of();
        java.util.Set<String> s = new java.util.HashSet<>();
        for (Attribute e : a.elements()) if (e instanceof StringAttr str) s.add(str.value());
        return s;
    }

    static Block body(Sweep sw, Operation call) {
        return Calls.callee(call, sw.symbols, "differentiate").region(0).entry();
    }
}
