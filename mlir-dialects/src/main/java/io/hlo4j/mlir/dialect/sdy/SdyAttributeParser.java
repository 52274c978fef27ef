package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.registry.AttributeRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the sdy attributes from the token stream. Entry points take the parser positioned at the first
 * token of the part they read; the registered ones ({@code #sdy.mesh}, {@code #sdy.sharding},
 * {@code #sdy.sharding_per_value}, {@code #sdy<...>}) start at '<'.
 */
public final class SdyAttributeParser {
    private SdyAttributeParser() {}

    static void register(AttributeRegistry r) {
        r.registerAttribute("sdy.mesh", SdyAttributeParser::mesh);
        r.registerAttribute("sdy.sharding", SdyAttributeParser::sharding);
        r.registerAttribute("sdy.sharding_per_value", SdyAttributeParser::shardingPerValue);
        r.registerAttribute("sdy", SdyAttributeParser::enumForm);
        r.registerAttribute("sdy.op_sharding_rule", OpShardingRule::parse);
    }

    /** {@code <["x"=2, ...](, device_ids=[...])?>}. */
    public static MeshAttr mesh(AsmParser p) {
        p.expect("<");
        p.expect("[");
        List<MeshAttr.Axis> axes = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do {
                String name = p.parseString();
                p.expect("=");
                long size = p.parseInteger();
                axes.add(new MeshAttr.Axis(name, size));
            } while (p.consumeIf(","));
            p.expect("]");
        }
        List<Long> ids = new ArrayList<>();
        if (p.consumeIf(",")) {
            p.expectKeyword("device_ids");
            p.expect("=");
            ids = integers(p);
        }
        p.expect(">");
        return new MeshAttr(axes, ids);
    }

    /** {@code <@mesh | mesh<...>, [dims], replicated={...}, unreduced=max{...}>}. */
    public static TensorSharding sharding(AsmParser p) {
        p.expect("<");
        String meshName = null;
        MeshAttr inline = null;
        if (p.peekSymbolName()) meshName = p.parseSymbolName();
        else {
            String kw = p.parseKeyword();
            if (!kw.equals("mesh")) throw p.error("expected a mesh symbol (@name) or an inline mesh<...> in a sharding, got '" + kw + "'");
            inline = mesh(p);
        }
        p.expect(",");
        p.expect("[");
        List<DimensionSharding> dims = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do dims.add(dimension(p)); while (p.consumeIf(","));
            p.expect("]");
        }
        List<AxisRef> replicated = List.of(), unreduced = List.of();
        String reduction = "sum";
        boolean seenReplicated = false, seenUnreduced = false;
        while (p.consumeIf(",")) {
            String kw = p.parseKeyword();
            p.expect("=");
            switch (kw) {
                case "replicated" -> {
                    if (seenReplicated) throw p.error("duplicated 'replicated' in a sharding");
                    seenReplicated = true;
                    replicated = axisRefsInBraces(p);
                }
                case "unreduced" -> {
                    if (seenUnreduced) throw p.error("duplicated 'unreduced' in a sharding");
                    seenUnreduced = true;
                    String r = p.peekKeyword();
                    if (r != null) {
                        if (!List.of("sum", "max", "min").contains(r)) throw p.error("unknown reduction '" + r + "'; expected sum, max or min");
                        p.parseKeyword();
                        reduction = r;
                    }
                    unreduced = axisRefsInBraces(p);
                }
                default -> throw p.error("expected 'replicated' or 'unreduced' in a sharding, got '" + kw + "'");
            }
        }
        p.expect(">");
        return new TensorSharding(meshName, inline, dims, replicated, unreduced, reduction);
    }

    /** {@code {"x", "y":(1)2, ?}p3}. */
    public static DimensionSharding dimension(AsmParser p) {
        p.expect("{");
        List<AxisRef> axes = new ArrayList<>();
        boolean closed = true;
        if (p.consumeIf("?")) closed = false;
        else if (!p.peekIs("}")) {
            do {
                if (p.consumeIf("?")) { closed = false; break; }
                axes.add(axisRef(p));
            } while (p.consumeIf(","));
        }
        p.expect("}");
        Long priority = null;
        String kw = p.peekKeyword();
        if (kw != null && kw.matches("p[0-9]+")) {
            p.parseKeyword();
            priority = Long.parseLong(kw.substring(1));
        }
        return new DimensionSharding(axes, closed, priority);
    }

    /** {@code "x"} or {@code "x":(pre)size}. */
    public static AxisRef axisRef(AsmParser p) {
        String name = p.parseString();
        if (!p.consumeIf(":")) return AxisRef.of(name);
        p.expect("(");
        long pre = p.parseInteger();
        p.expect(")");
        long size = p.parseInteger();
        return AxisRef.sub(name, pre, size);
    }

    /** {@code {"x", "y"}} (possibly empty). */
    public static List<AxisRef> axisRefsInBraces(AsmParser p) {
        p.expect("{");
        List<AxisRef> axes = new ArrayList<>();
        if (!p.consumeIf("}")) {
            do axes.add(axisRef(p)); while (p.consumeIf(","));
            p.expect("}");
        }
        return axes;
    }

    /** {@code <[<@m, [...]>, ...]>}. */
    public static TensorShardingPerValue shardingPerValue(AsmParser p) {
        p.expect("<");
        TensorShardingPerValue v = strippedShardingList(p);
        p.expect(">");
        return v;
    }

    /** {@code [<@m, [...]>, ...]}: what manual_computation's in/out_shardings write. */
    public static TensorShardingPerValue strippedShardingList(AsmParser p) {
        p.expect("[");
        List<TensorSharding> list = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do list.add(sharding(p)); while (p.consumeIf(","));
            p.expect("]");
        }
        return new TensorShardingPerValue(list);
    }

    /** {@code {"x", "y"}}: manual axes (whole axes, no sub-axes). */
    public static ManualAxes manualAxes(AsmParser p) {
        p.expect("{");
        List<String> axes = new ArrayList<>();
        if (!p.consumeIf("}")) {
            do axes.add(p.parseString()); while (p.consumeIf(","));
            p.expect("}");
        }
        return new ManualAxes(axes);
    }

    /** {@code [{"x"}, {}]}. */
    public static AxisRefListPerDim axisRefListPerDim(AsmParser p) {
        p.expect("[");
        List<AxisRefList> dims = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do dims.add(new AxisRefList(axisRefsInBraces(p))); while (p.consumeIf(","));
            p.expect("]");
        }
        return new AxisRefListPerDim(dims);
    }

    /** {@code [{"x"}: 0->2, ...]}. */
    public static AllToAllParams allToAllParams(AsmParser p) {
        p.expect("[");
        List<AllToAllParams.Param> params = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do {
                List<AxisRef> axes = axisRefsInBraces(p);
                p.expect(":");
                long src = p.parseInteger();
                p.expect("->");
                long tgt = p.parseInteger();
                params.add(new AllToAllParams.Param(axes, src, tgt));
            } while (p.consumeIf(","));
            p.expect("]");
        }
        return new AllToAllParams(params);
    }

    /** {@code #sdy<manual_axes{...}>}, {@code #sdy<axis_ref_list{...}>}, {@code #sdy<list_of_axis_ref_lists[...]>}, {@code #sdy<all_to_all_param_list[...]>}. */
    static Attribute enumForm(AsmParser p) {
        p.expect("<");
        String kind = p.parseKeyword();
        Attribute a = switch (kind) {
            case "manual_axes" -> manualAxes(p);
            case "axis_ref_list" -> new AxisRefList(axisRefsInBraces(p));
            case "list_of_axis_ref_lists" -> axisRefListPerDim(p);
            case "all_to_all_param_list" -> allToAllParams(p);
            default -> throw p.error("unknown sdy attribute '" + kind
                    + "'; expected manual_axes, axis_ref_list, list_of_axis_ref_lists or all_to_all_param_list");
        };
        p.expect(">");
        return a;
    }

    private static List<Long> integers(AsmParser p) {
        p.expect("[");
        List<Long> out = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do out.add(p.parseInteger()); while (p.consumeIf(","));
            p.expect("]");
        }
        return out;
    }
}
