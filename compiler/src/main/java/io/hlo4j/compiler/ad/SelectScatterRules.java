package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code select_and_scatter} with an add scatter: linear in source and init, piecewise constant in the operand
 * (the selection does not move under small changes, so the operand gets no cotangent). The source cotangent of
 * each window is the result cotangent at the element the window selected: a variadic reduce_window over
 * (operand, cotangent, valid) whose body applies the op's own select region, so it picks the same element the
 * forward op did (padding is never picked: its valid flag is 0). Every result element starts as init, so
 * init's cotangent is the sum of the result cotangent.
 */
final class SelectScatterRules {
    private SelectScatterRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.select_and_scatter", SelectScatterRules::selectAndScatter);
    }

    private static List<Value> selectAndScatter(Backward b, Operation op, List<Value> g) {
        String scatter = ReduceRules.combiner(op.region(1));
        if (!"add".equals(scatter)) {
            throw b.refuse(op, "only an add scatter region has a VJP rule, got " + (scatter == null ? "a multi-op body" : "'" + scatter + "'"));
        }
        Value x = op.operand(0), source = op.operand(1), ct = g.get(0);
        TensorType xt = Backward.tensor(x), st = Backward.tensor(source);
        TensorType s = TensorType.scalar(xt.elementType()), cs = TensorType.scalar(Backward.tensor(ct).elementType());
        Region select = op.region(0);
        Region body = b.hlo().region(List.of(s, cs, s, s, cs, s), sb -> {
            var a = sb.ir().arguments();
            Value xa = a.get(0), ca = a.get(1), va = a.get(2), xb = a.get(3), cb = a.get(4), vb = a.get(5);
            Value sel = Regions.inline(sb.ir(), select.entry(), List.of(xa, xb)).get(0);
            Value zero = sb.constant(s, 0, b.loc());
            Value aValid = sb.compare("NE", va, zero, null, b.loc()), bInvalid = sb.compare("EQ", vb, zero, null, b.loc());
            // Keep the running pick a when it is real and either b is padding or select prefers a.
            Value takeA = sb.binary("and", aValid, sb.binary("or", bInvalid, sel, b.loc()), b.loc());
            return List.of(sb.select(takeA, xa, xb, b.loc()), sb.select(takeA, ca, cb, b.loc()), sb.select(takeA, va, vb, b.loc()));
        }, b.loc());
        Map<String, Attribute> props = new TreeMap<>();
        for (String a : List.of("window_dimensions", "window_strides", "padding")) if (op.attr(a) != null) props.put(a, op.attr(a));
        Value zx = b.full(s, 0), zc = b.full(cs, 0);
        List<? extends Value> picked = b.ir().emit("stablehlo.reduce_window", List.of(x, ct, b.fullLike(x, 1), zx, zc, zx), props,
                List.of(body), List.of(st, TensorType.of(cs.elementType(), st.shape()), st), b.loc());
        Value gSource = b.castLike(picked.get(1), source);
        Value gInit = b.castLike(b.sumAll(ct), op.operand(2));
        return Arrays.asList(null, gSource, gInit);
    }

}
