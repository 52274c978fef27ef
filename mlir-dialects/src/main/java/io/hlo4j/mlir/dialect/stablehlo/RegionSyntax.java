package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.asm.ParsedArgument;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.Syntax.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;

/** The pretty forms of {@code stablehlo.reduce} and {@code stablehlo.while}, as upstream's AssemblyFormat.cpp writes them. */
final class RegionSyntax {
    private RegionSyntax() {}

    /** StableHLO ops with upstream's IsCommutative trait: the only ones the compact reduce form may name. */
    static final Set<String> COMMUTATIVE_BINARY = Set.of("stablehlo.add", "stablehlo.and", "stablehlo.maximum",
            "stablehlo.minimum", "stablehlo.multiply", "stablehlo.or", "stablehlo.xor");

    // ---- reduce ------------------------------------------------------------------------------

    /**
     * {@code (%x init: %z), ... applies stablehlo.add across dimensions = [1] : (T, ...) -> T} when the body is a
     * single commutative op on the block arguments, otherwise the same head followed by
     * {@code reducer(%lhs0: T, %rhs0: T) (%lhs1: T, %rhs1: T) { ... }}. The pretty form pairs reducer arguments
     * per input, but the block keeps them as [lhs..., rhs...].
     */
    static OpSyntax reduce(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) { return parseReduce(p, opName, inherent); }
            @Override public void print(Operation op, AsmPrinter p) { printReduce(op, p); }
            @Override public boolean canPrint(Operation op) {
                return op.numOperands() % 2 == 0 && op.regions().size() == 1 && op.region(0).blocks().size() == 1
                        && op.attr("dimensions") instanceof DenseArrayAttr d && !d.isFloat()
                        && op.region(0).entry().arguments().size() == op.numOperands();
            }
        };
    }

    static boolean isCompactReduce(Operation op) {
        Block block = op.region(0).entry();
        if (block.operations().size() != 2) return false;
        Operation inner = block.operations().get(0);
        if (!COMMUTATIVE_BINARY.contains(inner.name()) || inner.numOperands() != 2 || inner.numResults() != 1
                || !inner.regions().isEmpty()) {
            return false;
        }
        Type t = inner.operand(0).type();
        for (Type o : inner.operandTypes()) if (!o.equals(t)) return false;
        for (Type r : inner.resultTypes()) if (!r.equals(t)) return false;
        if (op.numOperands() == 0 || !(op.operand(0).type() instanceof TensorType in0)) return false;
        if (!t.equals(TensorType.scalar(in0.elementType()))) return false;
        if (block.arguments().size() != 2 || inner.operand(0) != block.argument(0) || inner.operand(1) != block.argument(1)) {
            return false;
        }
        Operation ret = block.terminator();
        if (!ret.name().endsWith(".return") || ret.numOperands() != 1) return false;
        return ret.operand(0) == inner.result(0);
    }

    private static void printReduce(Operation op, AsmPrinter p) {
        int n = op.numOperands() / 2;
        for (int i = 0; i < n; i++) {
            if (i > 0) p.print(", ");
            p.print("(").printOperand(op.operand(i)).print(" init: ").printOperand(op.operand(n + i)).print(")");
        }
        boolean compact = isCompactReduce(op) && !p.preProperties();
        if (compact) p.print(" applies ").print(op.region(0).entry().operations().get(0).name());
        p.print(" across dimensions = [");
        long[] dims = ((DenseArrayAttr) op.attr("dimensions")).longs();
        for (int i = 0; i < dims.length; i++) p.print(i > 0 ? ", " : "").print(Long.toString(dims[i]));
        p.print("]");
        p.printOptionalAttrDict(allAttributes(op), Set.of("dimensions"));
        p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        if (!compact) {
            p.newline();
            p.print(" reducer");
            Block body = op.region(0).entry();
            for (int i = 0; i < n; i++) {
                p.print("(").printArgument(body.argument(i), true).print(", ")
                        .printArgument(body.argument(n + i), true).print(") ");
            }
            p.print(" ");
            p.printRegion(op.region(0), false);
        }
    }

    private static Operation.Builder parseReduce(AsmParser p, String opName, Set<String> inherent) {
        Location at = p.currentLocation();
        List<OperandRef> inputs = new ArrayList<>();
        List<OperandRef> inits = new ArrayList<>();
        if (p.consumeIf("(")) {
            do {
                if (inputs.size() > 0) p.expect("(");
                inputs.add(p.parseOperand());
                p.expectKeyword("init");
                p.expect(":");
                inits.add(p.parseOperand());
                p.expect(")");
            } while (p.consumeIf(","));
        }
        List<OperandRef> all = new ArrayList<>(inputs);
        all.addAll(inits);
        String inner = null;
        if (p.consumeKeywordIf("applies")) {
            inner = p.parseKeyword();
            if (!COMMUTATIVE_BINARY.contains(inner)) {
                throw p.error("expected the inner-op to be a commutative binary-op from the stablehlo dialect, with zero"
                        + " region, producing single result, but got '" + inner + "'");
            }
        }
        p.expectKeyword("across");
        p.expectKeyword("dimensions");
        p.expect("=");
        long[] dims = parseIntList(p);
        DictionaryAttr attrs = p.parseOptionalAttrDict();
        p.expect(":");
        FunctionType fn = p.parseFunctionType();
        if (fn.inputs().isEmpty()) throw p.error("input types missing in reduce-op function type");
        Operation.Builder b = Operation.builder(opName);
        addAttrDict(b, attrs, inherent);
        b.property("dimensions", DenseArrayAttr.ofI64(dims));
        b.resultTypes(fn.results());
        if (inner != null) {
            // The combiner the short form stands for has no text of its own: its ops take the reduce's loc(...),
            // read here rather than by the caller, else the reduce's position in the source.
            Location loc = p.parseOptionalLocation();
            if (loc != null && at instanceof Location.FileLineCol pos) loc = loc.orParsedAt(pos);
            if (loc != null) b.location(loc);
            Location bodyLoc = loc != null ? loc : at;
            b.operands(p.resolve(all, fn.inputs()));
            if (!(fn.inputs().get(0) instanceof TensorType in0)) throw p.error("reduce input must be a tensor, got " + fn.inputs().get(0));
            TensorType scalar = TensorType.scalar(in0.elementType());
            Block.Builder bb = Block.builder();
            BlockArgument lhs = bb.addArgument(scalar, bodyLoc);
            BlockArgument rhs = bb.addArgument(scalar, bodyLoc);
            Operation innerOp = bb.append(Operation.builder(inner).operands(lhs, rhs).resultType(scalar).location(bodyLoc).build());
            bb.append(Operation.builder("stablehlo.return").operand(innerOp.result(0)).location(bodyLoc).build());
            return b.region(Region.of(bb.build()));
        }
        p.expectKeyword("reducer");
        List<ParsedArgument> lhs = new ArrayList<>();
        List<ParsedArgument> rhs = new ArrayList<>();
        while (p.consumeIf("(")) {
            lhs.add(p.parseArgument(true, false));
            p.expect(",");
            rhs.add(p.parseArgument(true, false));
            p.expect(")");
        }
        List<ParsedArgument> args = new ArrayList<>(lhs);
        args.addAll(rhs);
        b.operands(p.resolve(all, fn.inputs()));
        return b.region(p.parseRegion(args));
    }

    /** {@code [1, 2]} (possibly empty). */
    static long[] parseIntList(AsmParser p) {
        p.expect("[");
        List<Long> out = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do out.add(p.parseInteger()); while (p.consumeIf(","));
            p.expect("]");
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    // ---- while -------------------------------------------------------------------------------

    /**
     * {@code (%iterArg = %a, ...) : T, ... attributes {...} cond { ... } do { ... }}: both regions take the
     * iteration values as arguments under the names written left of each '='.
     */
    static OpSyntax whileLoop(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                List<OperandRef> iterArgs = new ArrayList<>();
                List<OperandRef> operands = new ArrayList<>();
                p.expect("(");
                if (!p.consumeIf(")")) {
                    do {
                        iterArgs.add(p.parseOperand());
                        p.expect("=");
                        operands.add(p.parseOperand());
                    } while (p.consumeIf(","));
                    p.expect(")");
                }
                List<Type> types = List.of();
                if (!operands.isEmpty()) {
                    p.expect(":");
                    types = p.parseTypeList();
                }
                List<Value> values = p.resolve(operands, types);
                DictionaryAttr attrs = p.parseOptionalAttrDictWithKeyword();
                List<ParsedArgument> args = new ArrayList<>();
                for (int i = 0; i < iterArgs.size(); i++) {
                    OperandRef r = iterArgs.get(i);
                    if (r.resultNumber() >= 0) throw p.error("while iteration argument " + r.text() + " cannot have a result number");
                    args.add(new ParsedArgument(r.name(), types.get(i), DictionaryAttr.EMPTY, null));
                }
                p.expectKeyword("cond");
                Region cond = p.parseRegion(args);
                p.expectKeyword("do");
                Region body = p.parseRegion(args);
                Operation.Builder b = Operation.builder(opName).operands(values).resultTypes(types);
                addAttrDict(b, attrs, inherent);
                return b.region(cond).region(body);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                Block body = op.region(1).entry();
                p.print("(");
                for (int i = 0; i < op.numOperands(); i++) {
                    if (i > 0) p.print(", ");
                    p.printOperand(body.argument(i)).print(" = ").printOperand(op.operand(i));
                }
                p.print(")");
                if (op.numOperands() > 0) p.print(" : ").printTypes(op.operandTypes());
                p.printOptionalAttrDictWithKeyword(allAttributes(op), Set.of());
                p.newline();
                p.print(" cond ");
                p.printRegion(op.region(0), false);
                p.print(" do ");
                p.printRegion(op.region(1), false);
            }

            @Override public boolean canPrint(Operation op) {
                if (op.regions().size() != 2) return false;
                for (Region r : op.regions()) {
                    if (r.blocks().size() != 1 || r.entry().arguments().size() != op.numOperands()) return false;
                }
                // Both regions print under one set of names, so their argument types must agree.
                for (int i = 0; i < op.numOperands(); i++) {
                    Type t = op.operand(i).type();
                    if (!op.region(0).entry().argument(i).type().equals(t) || !op.region(1).entry().argument(i).type().equals(t)) {
                        return false;
                    }
                }
                return true;
            }
        };
    }
}
