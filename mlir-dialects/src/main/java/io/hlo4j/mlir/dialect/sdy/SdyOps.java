package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.asm.ParsedArgument;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.dialect.check.DenseConstantSyntax;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectNoRegions;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectOperands;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectResults;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.optional;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;

/**
 * Shardy's structural ops: {@code sdy.mesh}, {@code sharding_constraint}, {@code reshard},
 * {@code manual_computation} (what shard_map becomes), {@code named_computation}, {@code return},
 * {@code sharding_group}, {@code propagation_barrier}, {@code constant} and the data-flow-edge ops.
 */
public final class SdyOps {
    private SdyOps() {}

    public static final String MESH = "sdy.mesh";
    public static final String SHARDING_CONSTRAINT = "sdy.sharding_constraint";
    public static final String RESHARD = "sdy.reshard";
    public static final String RETURN = "sdy.return";
    public static final String MANUAL_COMPUTATION = "sdy.manual_computation";
    public static final String NAMED_COMPUTATION = "sdy.named_computation";
    public static final String SHARDING_GROUP = "sdy.sharding_group";
    public static final String PROPAGATION_BARRIER = "sdy.propagation_barrier";
    public static final String CONSTANT = "sdy.constant";
    public static final String DATA_FLOW_EDGE = "sdy.data_flow_edge";
    public static final String FUNC_DATA_FLOW_EDGE = "sdy.func_data_flow_edge";

    /** Propagation directions in enum order (the i32 value stored is the index). */
    public static final List<String> DIRECTIONS = List.of("NONE", "FORWARD", "BACKWARD", "BOTH");

    static void register(OpRegistry r) {
        r.register(OpDef.builder(MESH).summary("declares a named mesh of devices").inherent("sym_name", "mesh")
                .syntax(new MeshSyntax()).verifier(SdyOps::verifyMesh).traits(OpTrait.SYMBOL).build());
        for (String n : List.of(SHARDING_CONSTRAINT, RESHARD)) {
            r.register(OpDef.builder(n).summary(n.equals(RESHARD) ? "moves data to the given sharding" : "hints a sharding to propagation")
                    .inherent("sharding").syntax(new ValueWithSharding()).verifier(SdyOps::verifyValueWithSharding)
                    .inference((ops, props, regions) -> List.of(ops.get(0))).traits(OpTrait.SAME_OPERANDS_AND_RESULT_TYPE).build());
        }
        r.register(OpDef.builder(RETURN).summary("terminates the region of an sdy op").syntax(new ReturnSyntax())
                .verifier(op -> { expectResults(op, 0); expectNoRegions(op); })
                .inference((ops, props, regions) -> List.of()).traits(OpTrait.TERMINATOR).build());
        r.register(OpDef.builder(MANUAL_COMPUTATION).summary("a region run per device on local shards (manual on some axes)")
                .inherent("in_shardings", "out_shardings", "manual_axes").syntax(new ManualComputationSyntax())
                .verifier(SdyManualComputation::verify).traits(OpTrait.ISOLATED_FROM_ABOVE).build());
        r.register(OpDef.builder(NAMED_COMPUTATION).summary("a named group of ops, inlined after propagation")
                .inherent("name", "in_shardings", "out_shardings").syntax(new NamedComputationSyntax())
                .verifier(SdyOps::verifyNamedComputation).traits(OpTrait.ISOLATED_FROM_ABOVE).build());
        r.register(OpDef.builder(SHARDING_GROUP).summary("values with the same group id get the same sharding")
                .inherent("group_id").syntax(new ShardingGroupSyntax()).verifier(SdyOps::verifyShardingGroup)
                .inference((ops, props, regions) -> List.of()).traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(PROPAGATION_BARRIER).summary("lets shardings propagate only in the allowed direction")
                .inherent("allowed_direction").syntax(new PropagationBarrierSyntax()).verifier(SdyOps::verifyPropagationBarrier)
                .inference((ops, props, regions) -> List.of(ops.get(0))).traits(OpTrait.SAME_OPERANDS_AND_RESULT_TYPE).build());
        r.register(OpDef.builder(CONSTANT).summary("a constant that is never deduplicated (keeps its own sharding)")
                .inherent("value").syntax(new DenseConstantSyntax()).verifier(SdyOps::verifyConstant)
                .inference((ops, props, regions) -> List.of(((DenseElementsAttr) props.get("value")).type()))
                .resultNamer(op -> new String[] {"cst"}).build());
        r.register(OpDef.builder(DATA_FLOW_EDGE).summary("marks a data-flow edge of a region op for propagation")
                .inherent("sharding").syntax(new DataFlowEdgeSyntax()).verifier(SdyOps::verifyDataFlowEdge)
                .inference((ops, props, regions) -> List.of(ops.get(0))).build());
        r.register(OpDef.builder(FUNC_DATA_FLOW_EDGE).summary("marks a function call's data-flow edge for propagation")
                .syntax(new DataFlowEdgeSyntax()).verifier(SdyOps::verifyDataFlowEdge)
                .inference((ops, props, regions) -> List.of(ops.get(0))).traits(OpTrait.SAME_OPERANDS_AND_RESULT_TYPE).build());
    }

    // ---- sdy.mesh -------------------------------------------------------------------------------

    private static void verifyMesh(Operation op) {
        expectOperands(op, 0);
        expectResults(op, 0);
        expectNoRegions(op);
        required(op, "sym_name", StringAttr.class, "a symbol name");
        MeshAttr mesh = required(op, "mesh", MeshAttr.class, "a mesh <[...]>");
        if (op.parent() != null && op.parent().parent() != null && op.parent().parent().parent() != null
                && !op.parent().parent().parent().name().equals("builtin.module")) {
            throw fail(op, "expects parent op 'builtin.module', got '" + op.parent().parent().parent().name() + "'");
        }
        SdyVerifier.verifyMesh(op, mesh);
    }

    /** {@code @name = <["x"=2]> attr-dict}. */
    private static final class MeshSyntax implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("sym_name", "mesh");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            String name = p.parseSymbolName();
            p.expect("=");
            MeshAttr mesh = SdyAttributeParser.mesh(p);
            Operation.Builder b = Operation.builder(opName).property("sym_name", new StringAttr(name)).property("mesh", mesh);
            return addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printSymbolName(((StringAttr) op.attr("sym_name")).value()).print(" = ")
                    .print(((MeshAttr) op.attr("mesh")).body());
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
        }

        @Override public boolean canPrint(Operation op) {
            return op.attr("sym_name") instanceof StringAttr && op.attr("mesh") instanceof MeshAttr;
        }
    }

    // ---- sharding_constraint / reshard ----------------------------------------------------------

    private static void verifyValueWithSharding(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        if (!op.operand(0).type().equals(op.result(0).type())) {
            throw fail(op, "requires the same type for input and result, got " + op.operand(0).type() + " and " + op.result(0).type());
        }
        TensorSharding s = required(op, "sharding", TensorSharding.class, "a sharding <@mesh, [...]>");
        SdyVerifier.verifySharding(op, s, op.result(0).type(), SdyVerifier.meshesAround(op), "sharding");
    }

    /** {@code %x <@mesh, [...]> attr-dict : T}. */
    private static final class ValueWithSharding implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("sharding");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            TensorSharding s = SdyAttributeParser.sharding(p);
            Operation.Builder b = addAttrDict(Operation.builder(opName).property("sharding", s), p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            Type t = p.parseType();
            return b.operand(p.resolve(x, t)).resultType(t);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(" ").print(((TensorSharding) op.attr("sharding")).body());
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printType(op.result(0).type());
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.numResults() == 1 && op.attr("sharding") instanceof TensorSharding;
        }
    }

    // ---- sdy.return -----------------------------------------------------------------------------

    /** {@code attr-dict (%a, %b : A, B)?}. */
    private static final class ReturnSyntax implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            Operation.Builder b = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDict(), Set.of());
            if (!p.peekOperand()) return b;
            List<OperandRef> refs = p.parseOperandList();
            p.expect(":");
            return b.operands(p.resolve(refs, p.parseTypeList()));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.printOptionalAttrDict(allAttributes(op), Set.of());
            if (op.numOperands() > 0) pr.print(" ").printOperands(op.operands()).print(" : ").printTypes(op.operandTypes());
        }
    }

    // ---- regions with an explicit argument list -------------------------------------------------

    /** {@code (%a: T, %b: U) {body}}: the region's arguments printed before it, without a block label. */
    static List<ParsedArgument> parseRegionArguments(AsmParser p) {
        p.expect("(");
        List<ParsedArgument> args = new ArrayList<>();
        if (!p.consumeIf(")")) {
            do args.add(p.parseArgument(true, true)); while (p.consumeIf(","));
            p.expect(")");
        }
        return args;
    }

    static void printRegionWithArguments(Region region, AsmPrinter pr) {
        pr.print("(");
        List<BlockArgument> args = region.isEmpty() ? List.of() : region.entry().arguments();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) pr.print(", ");
            pr.printArgument(args.get(i), true);
        }
        pr.print(") ").printRegion(region, false);
    }

    /**
     * {@code (%x) in_shardings=[...] out_shardings=[...] manual_axes={"x"} (%arg: T) {...} attr-dict : (A) -> R}.
     */
    private static final class ManualComputationSyntax implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("in_shardings", "out_shardings", "manual_axes");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            p.expect("(");
            List<OperandRef> refs = p.parseOperandList();
            p.expect(")");
            p.expectKeyword("in_shardings");
            p.expect("=");
            TensorShardingPerValue in = SdyAttributeParser.strippedShardingList(p);
            p.expectKeyword("out_shardings");
            p.expect("=");
            TensorShardingPerValue out = SdyAttributeParser.strippedShardingList(p);
            p.expectKeyword("manual_axes");
            p.expect("=");
            ManualAxes axes = SdyAttributeParser.manualAxes(p);
            Region body = p.parseRegion(parseRegionArguments(p));
            Operation.Builder b = Operation.builder(opName).property("in_shardings", in).property("out_shardings", out)
                    .property("manual_axes", axes);
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            FunctionType ft = p.parseFunctionType();
            return b.operands(p.resolve(refs, ft.inputs())).resultTypes(ft.results()).region(body);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print("(").printOperands(op.operands()).print(") in_shardings=")
                    .print(((TensorShardingPerValue) op.attr("in_shardings")).strippedList())
                    .print(" out_shardings=").print(((TensorShardingPerValue) op.attr("out_shardings")).strippedList())
                    .print(" manual_axes=").print(((ManualAxes) op.attr("manual_axes")).body()).print(" ");
            printRegionWithArguments(op.region(0), pr);
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        }

        @Override public boolean canPrint(Operation op) {
            return op.attr("in_shardings") instanceof TensorShardingPerValue && op.attr("out_shardings") instanceof TensorShardingPerValue
                    && op.attr("manual_axes") instanceof ManualAxes && op.regions().size() == 1;
        }
    }

    // ---- named_computation ----------------------------------------------------------------------

    private static void verifyNamedComputation(Operation op) {
        StringAttr name = required(op, "name", StringAttr.class, "a string");
        if (name.value().isEmpty()) throw fail(op, "name must not be empty");
        if (op.regions().size() != 1 || op.region(0).blocks().size() != 1) throw fail(op, "expects one region with one block");
        Block body = op.region(0).entry();
        List<Type> argTypes = body.arguments().stream().map(BlockArgument::type).toList();
        if (!argTypes.equals(op.operandTypes())) {
            throw fail(op, "expected the body argument types " + argTypes + " to equal the operand types " + op.operandTypes());
        }
        Operation term = body.terminator();
        if (term == null || !term.name().equals(RETURN)) throw fail(op, "body must end with sdy.return");
        if (!term.operandTypes().equals(op.resultTypes())) {
            throw fail(op, "expected the returned types " + term.operandTypes() + " to equal the result types " + op.resultTypes());
        }
        Map<String, MeshAttr> meshes = SdyVerifier.meshesAround(op);
        TensorShardingPerValue in = optional(op, "in_shardings", TensorShardingPerValue.class, "a sharding list");
        TensorShardingPerValue out = optional(op, "out_shardings", TensorShardingPerValue.class, "a sharding list");
        if (in != null) SdyVerifier.verifyPerValue(op, in, op.operandTypes(), meshes, "in_shardings");
        if (out != null) SdyVerifier.verifyPerValue(op, out, op.resultTypes(), meshes, "out_shardings");
    }

    /** {@code <"name">(%x) (in_shardings=[...])? (out_shardings=[...])? (%arg: T) {...} attr-dict : (A) -> R}. */
    private static final class NamedComputationSyntax implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("name", "in_shardings", "out_shardings");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            p.expect("<");
            Operation.Builder b = Operation.builder(opName).property("name", new StringAttr(p.parseString()));
            p.expect(">");
            p.expect("(");
            List<OperandRef> refs = p.parseOperandList();
            p.expect(")");
            if (p.consumeKeywordIf("in_shardings")) {
                p.expect("=");
                b.property("in_shardings", SdyAttributeParser.strippedShardingList(p));
            }
            if (p.consumeKeywordIf("out_shardings")) {
                p.expect("=");
                b.property("out_shardings", SdyAttributeParser.strippedShardingList(p));
            }
            Region body = p.parseRegion(parseRegionArguments(p));
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            FunctionType ft = p.parseFunctionType();
            return b.operands(p.resolve(refs, ft.inputs())).resultTypes(ft.results()).region(body);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print("<").printString(((StringAttr) op.attr("name")).value()).print(">(").printOperands(op.operands()).print(") ");
            if (op.attr("in_shardings") instanceof TensorShardingPerValue in) pr.print("in_shardings=").print(in.strippedList()).print(" ");
            if (op.attr("out_shardings") instanceof TensorShardingPerValue out) pr.print("out_shardings=").print(out.strippedList()).print(" ");
            printRegionWithArguments(op.region(0), pr);
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        }

        @Override public boolean canPrint(Operation op) { return op.attr("name") instanceof StringAttr && op.regions().size() == 1; }
    }

    // ---- sharding_group, propagation_barrier ----------------------------------------------------

    private static void verifyShardingGroup(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 0);
        expectNoRegions(op);
        if (!(op.operand(0).type() instanceof TensorType)) throw fail(op, "input must be a ranked tensor, got " + op.operand(0).type());
        required(op, "group_id", IntegerAttr.class, "an i64 integer");
    }

    /** {@code %x group_id=N attr-dict : T}. */
    private static final class ShardingGroupSyntax implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("group_id");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            p.expectKeyword("group_id");
            p.expect("=");
            Operation.Builder b = Operation.builder(opName).property("group_id", IntegerAttr.i64(p.parseInteger()));
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            return b.operand(p.resolve(x, p.parseType()));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(" group_id=").printAttributeWithoutType(op.attr("group_id"));
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printType(op.operand(0).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 1 && op.attr("group_id") instanceof IntegerAttr; }
    }

    /** The direction keyword of a barrier's {@code allowed_direction} (stored as its i32 enum value). */
    public static String direction(Operation op) {
        IntegerAttr a = required(op, "allowed_direction", IntegerAttr.class, "a propagation direction");
        if (a.value() < 0 || a.value() >= DIRECTIONS.size()) throw fail(op, "allowed_direction " + a.value() + " is not one of " + DIRECTIONS);
        return DIRECTIONS.get((int) a.value());
    }

    private static void verifyPropagationBarrier(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        if (!(op.operand(0).type() instanceof TensorType) || !op.operand(0).type().equals(op.result(0).type())) {
            throw fail(op, "requires a ranked tensor input and a result of the same type, got " + op.operand(0).type() + " and "
                    + op.result(0).type());
        }
        direction(op);
    }

    /** {@code %x allowed_direction=BACKWARD attr-dict : T}. */
    private static final class PropagationBarrierSyntax implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("allowed_direction");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            p.expectKeyword("allowed_direction");
            p.expect("=");
            String d = p.parseKeyword();
            int idx = DIRECTIONS.indexOf(d);
            if (idx < 0) throw p.error("expected one of " + DIRECTIONS + " for allowed_direction, got '" + d + "'");
            Operation.Builder b = Operation.builder(opName).property("allowed_direction", new IntegerAttr(idx, IntegerType.I32));
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            Type t = p.parseType();
            return b.operand(p.resolve(x, t)).resultType(t);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(" allowed_direction=").print(direction(op));
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printType(op.operand(0).type());
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.attr("allowed_direction") instanceof IntegerAttr i && i.value() >= 0 && i.value() < 4;
        }
    }

    // ---- constant and data-flow edges -----------------------------------------------------------

    private static void verifyConstant(Operation op) {
        expectOperands(op, 0);
        expectResults(op, 1);
        expectNoRegions(op);
        DenseElementsAttr v = required(op, "value", DenseElementsAttr.class, "a dense elements attribute");
        if (!v.type().equals(op.result(0).type())) throw fail(op, "result type " + op.result(0).type() + " must equal the value's type " + v.type());
    }

    private static void verifyDataFlowEdge(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        if (!op.operand(0).type().equals(op.result(0).type())) {
            throw fail(op, "requires the same type for input and result, got " + op.operand(0).type() + " and " + op.result(0).type());
        }
        TensorSharding s = optional(op, "sharding", TensorSharding.class, "a sharding");
        if (s != null) SdyVerifier.verifySharding(op, s, op.result(0).type(), SdyVerifier.meshesAround(op), "sharding");
    }

    /** {@code %x (sharding=<...>)? attr-dict : T}. */
    private static final class DataFlowEdgeSyntax implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("sharding");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            Operation.Builder b = Operation.builder(opName);
            if (opName.equals(DATA_FLOW_EDGE) && p.consumeKeywordIf("sharding")) {
                p.expect("=");
                b.property("sharding", SdyAttributeParser.sharding(p));
            }
            addAttrDict(b, p.parseOptionalAttrDict(), opName.equals(DATA_FLOW_EDGE) ? INHERENT : Set.of());
            p.expect(":");
            Type t = p.parseType();
            return b.operand(p.resolve(x, t)).resultType(t);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0));
            boolean edge = op.name().equals(DATA_FLOW_EDGE);
            if (edge && op.attr("sharding") instanceof TensorSharding s) pr.print(" sharding=").print(s.body());
            pr.printOptionalAttrDict(allAttributes(op), edge ? INHERENT : Set.of());
            pr.print(" : ").printType(op.result(0).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 1 && op.numResults() == 1; }
    }
}
