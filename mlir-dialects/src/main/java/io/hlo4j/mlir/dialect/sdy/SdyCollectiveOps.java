package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectNoRegions;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectOperands;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectResults;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;

/**
 * Shardy's explicit collectives, as propagation and the reshard passes emit them:
 * {@code sdy.all_gather [{"x"}, {}] %t out_sharding=<@m, [...]> : T} and its siblings. Each keeps the
 * tensor type and carries the sharding the result has afterwards.
 */
public final class SdyCollectiveOps {
    private SdyCollectiveOps() {}

    /** Reduction kinds in enum order (the i32 value stored is the index); sum is the default and is not printed. */
    public static final List<String> REDUCTIONS = List.of("sum", "max", "min");

    /** What comes between the op name and the tensor operand. */
    private record Param(String attrName, Function<AsmParser, Attribute> parser, Function<Attribute, String> printer, Class<?> kind) {}

    private static final Param PER_DIM = new Param(null, SdyAttributeParser::axisRefListPerDim, a -> ((AxisRefListPerDim) a).body(),
            AxisRefListPerDim.class);
    private static final Param AXES = new Param(null, p -> new AxisRefList(SdyAttributeParser.axisRefsInBraces(p)),
            a -> ((AxisRefList) a).body(), AxisRefList.class);
    private static final Param ALL_TO_ALL = new Param(null, SdyAttributeParser::allToAllParams, a -> ((AllToAllParams) a).body(),
            AllToAllParams.class);

    static void register(OpRegistry r) {
        op(r, "all_gather", "gathering_axes", PER_DIM, false);
        op(r, "all_slice", "slicing_axes", PER_DIM, false);
        op(r, "all_to_all", "params", ALL_TO_ALL, false);
        op(r, "collective_permute", null, null, false);
        op(r, "all_reduce", "reduction_axes", AXES, true);
        op(r, "reduce_scatter", "reduce_scatter_axes", PER_DIM, true);
        op(r, "sharded_to_unreduced", "axes", PER_DIM, false);
        op(r, "replicated_to_unreduced", "axes", AXES, false);
    }

    private static void op(OpRegistry r, String mnemonic, String paramName, Param param, boolean withReduction) {
        String[] inherent = paramName == null ? new String[] {"out_sharding"}
                : withReduction ? new String[] {paramName, "reduction_op", "out_sharding"} : new String[] {paramName, "out_sharding"};
        r.register(OpDef.builder("sdy." + mnemonic).summary("Shardy collective " + mnemonic).inherent(inherent)
                .syntax(new Syntax(paramName, param, withReduction, Set.of(inherent)))
                .verifier(op -> verify(op, paramName, param, withReduction))
                .inference((ops, props, regions) -> List.of(ops.get(0)))
                .traits(OpTrait.COLLECTIVE, OpTrait.SAME_OPERANDS_AND_RESULT_TYPE).build());
    }

    /** The reduction of an all_reduce / reduce_scatter: sum, max or min. */
    public static String reduction(Operation op) {
        if (!(op.attr("reduction_op") instanceof IntegerAttr i)) return "sum";
        if (i.value() < 0 || i.value() >= REDUCTIONS.size()) throw fail(op, "reduction_op " + i.value() + " is not one of " + REDUCTIONS);
        return REDUCTIONS.get((int) i.value());
    }

    private static void verify(Operation op, String paramName, Param param, boolean withReduction) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        Type t = op.operand(0).type();
        if (!t.equals(op.result(0).type())) throw fail(op, "requires the same type for tensor and result, got " + t + " and " + op.result(0).type());
        TensorSharding out = required(op, "out_sharding", TensorSharding.class, "a sharding <@mesh, [...]>");
        Map<String, MeshAttr> meshes = SdyVerifier.meshesAround(op);
        SdyVerifier.verifySharding(op, out, t, meshes, "out_sharding");
        if (withReduction) reduction(op);
        if (paramName == null) return;
        Attribute a = op.attr(paramName);
        if (a == null || !param.kind.isInstance(a)) throw fail(op, "requires attribute '" + paramName + "'");
        MeshAttr mesh = out.resolveMesh(meshes);
        if (a instanceof AxisRefListPerDim perDim) {
            if (t instanceof io.hlo4j.mlir.types.TensorType tt && perDim.dims().size() != tt.rank()) {
                throw fail(op, paramName + " has " + perDim.dims().size() + " entries but the tensor has rank " + tt.rank());
            }
            if (mesh != null) for (AxisRefList l : perDim.dims()) for (AxisRef ax : l.axes()) SdyVerifier.verifyAxisRef(op, ax, mesh, paramName);
        } else if (a instanceof AxisRefList l) {
            if (mesh != null) for (AxisRef ax : l.axes()) SdyVerifier.verifyAxisRef(op, ax, mesh, paramName);
        } else if (a instanceof AllToAllParams params) {
            int rank = t instanceof io.hlo4j.mlir.types.TensorType tt ? tt.rank() : 0;
            for (AllToAllParams.Param p : params.params()) {
                if (p.axes().isEmpty()) throw fail(op, "all-to-all parameter " + p + " has no axes");
                if (p.sourceDim() < 0 || p.sourceDim() >= rank || p.targetDim() < 0 || p.targetDim() >= rank) {
                    throw fail(op, "all-to-all parameter " + p + " has a dimension out of range [0, " + rank + ")");
                }
                if (p.sourceDim() == p.targetDim()) throw fail(op, "all-to-all parameter " + p + " has equal source and target dimensions");
                if (mesh != null) for (AxisRef ax : p.axes()) SdyVerifier.verifyAxisRef(op, ax, mesh, paramName);
            }
        }
    }

    /** {@code (max|min)? <param> %t out_sharding=<...> attr-dict : T}. */
    private record Syntax(String paramName, Param param, boolean withReduction, Set<String> inherent) implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            Operation.Builder b = Operation.builder(opName);
            if (withReduction) {
                String kw = p.peekKeyword();
                if (kw != null) {
                    int idx = REDUCTIONS.indexOf(kw);
                    if (idx < 0) throw p.error("expected a reduction (sum, max or min) in '" + opName + "', got '" + kw + "'");
                    p.parseKeyword();
                    b.property("reduction_op", new IntegerAttr(idx, IntegerType.I32));
                }
            }
            if (paramName != null) b.property(paramName, param.parser.apply(p));
            OperandRef x = p.parseOperand();
            p.expectKeyword("out_sharding");
            p.expect("=");
            b.property("out_sharding", SdyAttributeParser.sharding(p));
            addAttrDict(b, p.parseOptionalAttrDict(), inherent);
            p.expect(":");
            Type t = p.parseType();
            return b.operand(p.resolve(x, t)).resultType(t);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            if (withReduction && !reduction(op).equals("sum")) pr.print(" ").print(reduction(op));
            if (paramName != null) pr.print(" ").print(param.printer.apply(op.attr(paramName)));
            pr.print(" ").printOperand(op.operand(0)).print(" out_sharding=").print(((TensorSharding) op.attr("out_sharding")).body());
            pr.printOptionalAttrDict(allAttributes(op), inherent);
            pr.print(" : ").printType(op.result(0).type());
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.attr("out_sharding") instanceof TensorSharding
                    && (paramName == null || param.kind.isInstance(op.attr(paramName)));
        }
    }
}
