package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.optional;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;
import static io.hlo4j.mlir.dialect.check.OpSupport.tensor;

/**
 * {@code %o:2 = chlo.scan(%in) inits(%init) dimension=0 {^bb0(%x: T, %c: C): ... stablehlo.return %y, %c2 : ...}
 * : (A, C) -> (A, C)}. Operands are inputs then inits and results outputs then carries; the split is kept
 * in {@code operandSegmentSizes} / {@code resultSegmentSizes} as upstream does. The body takes one slice
 * of each input (the scan dimension removed) then the carries, and returns the output slices then the new
 * carries.
 */
public final class ChloScanOp {
    private ChloScanOp() {}

    public static final String NAME = "chlo.scan";
    static final String OPERAND_SEGMENTS = "operandSegmentSizes";
    static final String RESULT_SEGMENTS = "resultSegmentSizes";
    private static final Set<String> INHERENT = Set.of("dimension", "scan_dim_size", "is_reverse", "is_associative",
            OPERAND_SEGMENTS, RESULT_SEGMENTS);

    static void register(OpRegistry r) {
        // Upstream names the body's arguments %input... then %carry... (getAsmBlockArgumentNames).
        r.register(OpDef.builder(NAME).summary("applies a body along a dimension, producing outputs and carries")
                .inherent(INHERENT.toArray(String[]::new)).syntax(new Syntax()).verifier(ChloScanOp::verify)
                .traits(OpTrait.ISOLATED_FROM_ABOVE).blockArgumentNamer((op, regionIndex) -> {
                    int inputs = numInputs(op);
                    String[] names = new String[op.region(regionIndex).entry().arguments().size()];
                    for (int i = 0; i < names.length; i++) names[i] = i < inputs ? "input" : "carry";
                    return names;
                }).build());
    }

    /** Number of scanned inputs (the rest of the operands are inits). */
    public static int numInputs(Operation op) { return segment(op, OPERAND_SEGMENTS, 0); }

    /** Number of outputs (the rest of the results are carries). */
    public static int numOutputs(Operation op) { return segment(op, RESULT_SEGMENTS, 0); }

    public static long dimension(Operation op) { return ((IntegerAttr) op.attr("dimension")).value(); }

    public static boolean isReverse(Operation op) { return op.attr("is_reverse") instanceof BoolAttr b && b.value(); }

    private static int segment(Operation op, String name, int i) {
        if (!(op.attr(name) instanceof DenseArrayAttr d) || d.size() != 2) {
            throw fail(op, "requires " + name + " = array<i32: a, b>");
        }
        return (int) d.getLong(i);
    }

    private static void verify(Operation op) {
        int inputs = numInputs(op), inits = segment(op, OPERAND_SEGMENTS, 1);
        int outputs = numOutputs(op), carries = segment(op, RESULT_SEGMENTS, 1);
        if (inputs < 0 || inits < 0 || inputs + inits != op.numOperands()) {
            throw fail(op, "operandSegmentSizes [" + inputs + ", " + inits + "] do not add up to " + op.numOperands() + " operands");
        }
        if (outputs < 0 || carries < 0 || outputs + carries != op.numResults()) {
            throw fail(op, "resultSegmentSizes [" + outputs + ", " + carries + "] do not add up to " + op.numResults() + " results");
        }
        if (carries != inits) throw fail(op, "expects as many carries (" + carries + ") as inits (" + inits + ")");
        if (inputs == 0 && outputs == 0) throw fail(op, "at least one of inputs or outputs must be present");
        long dim = required(op, "dimension", IntegerAttr.class, "an i64 integer").value();
        if (dim < 0) throw fail(op, "dimension must be non-negative, got " + dim);
        IntegerAttr sizeAttr = optional(op, "scan_dim_size", IntegerAttr.class, "an i64 integer");
        optional(op, "is_reverse", BoolAttr.class, "a bool");
        optional(op, "is_associative", BoolAttr.class, "a bool");
        Long dimSize = sizeAttr == null ? null : sizeAttr.value();
        for (int i = 0; i < inputs; i++) {
            TensorType t = tensor(op, op.operand(i), "operand " + i);
            if (dim >= t.rank()) throw fail(op, "scan dimension of operand " + i + " is out of bounds");
            if (t.isDynamicDim((int) dim)) continue;
            if (dimSize != null && dimSize != t.dim((int) dim)) throw fail(op, "invalid scan dimension size of operand " + i);
            dimSize = t.dim((int) dim);
        }
        if (op.regions().size() != 1 || op.region(0).blocks().size() != 1) {
            throw fail(op, "expects one region with one block (the body)");
        }
        Block body = op.region(0).entry();
        if (body.arguments().size() != op.numOperands()) {
            throw fail(op, "expects " + op.numOperands() + " arguments in the body, but got " + body.arguments().size());
        }
        for (int i = 0; i < op.numOperands(); i++) {
            TensorType t = tensor(op, op.operand(i), "operand " + i);
            if (i < inputs) t = t.withShape(dropDim(t.shape(), (int) dim));
            if (!(body.argument(i).type() instanceof TensorType a) || !ChloShapes.compatible(t, a)) {
                throw fail(op, "operand and body argument " + i + " are incompatible: " + t + " vs " + body.argument(i).type());
            }
        }
        Operation term = body.terminator();
        if (term == null) throw fail(op, "body has no terminator");
        if (term.numOperands() != op.numResults()) {
            throw fail(op, "body returns " + term.numOperands() + " values but the op has " + op.numResults() + " results");
        }
        for (int i = 0; i < op.numResults(); i++) {
            TensorType ret = tensor(op, term.operand(i).type(), "body result " + i);
            TensorType want = ret;
            if (i < outputs) {
                long[] s = new long[ret.rank() + 1];
                if (dim > ret.rank()) throw fail(op, "scan dimension " + dim + " is out of bounds for body result " + i);
                for (int j = 0, k = 0; j < s.length; j++) s[j] = j == dim ? (dimSize == null ? TensorType.DYNAMIC : dimSize) : ret.dim(k++);
                want = TensorType.of(ret.elementType(), s);
            }
            TensorType got = tensor(op, op.result(i).type(), "result " + i);
            if (!ChloShapes.compatible(want, got)) {
                throw fail(op, "inferred type " + want + " of result " + i + " is incompatible with " + got);
            }
        }
    }

    private static long[] dropDim(long[] shape, int dim) {
        long[] out = new long[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) if (i != dim) out[k++] = shape[i];
        return out;
    }

    /** {@code (ins) inits (inits) dimension=N attributes {..}? {region} : (T...) -> (R...)}. */
    private static final class Syntax implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            p.expect("(");
            List<OperandRef> ins = p.parseOperandList();
            p.expect(")");
            p.expectKeyword("inits");
            p.expect("(");
            List<OperandRef> inits = p.parseOperandList();
            p.expect(")");
            p.expectKeyword("dimension");
            p.expect("=");
            long dim = p.parseInteger();
            Operation.Builder b = addAttrDict(Operation.builder(opName), p.parseOptionalAttrDictWithKeyword(), INHERENT);
            Region body = p.parseRegion(List.of());
            p.expect(":");
            FunctionType ft = p.parseFunctionType();
            if (ft.inputs().size() != ins.size() + inits.size()) {
                throw p.error("operand types must match the number of inputs and inits");
            }
            int outputs = ft.results().size() - inits.size();
            if (outputs < 0) throw p.error("not enough result types to cover the required carries");
            List<Type> inTypes = ft.inputs().subList(0, ins.size());
            List<Type> initTypes = ft.inputs().subList(ins.size(), ft.inputs().size());
            List<io.hlo4j.mlir.ir.Value> operands = new ArrayList<>(p.resolve(ins, inTypes));
            operands.addAll(p.resolve(inits, initTypes));
            return b.operands(operands).resultTypes(ft.results()).region(body)
                    .property("dimension", IntegerAttr.i64(dim))
                    .property(OPERAND_SEGMENTS, DenseArrayAttr.ofInts(IntegerType.I32, ins.size(), inits.size()))
                    .property(RESULT_SEGMENTS, DenseArrayAttr.ofInts(IntegerType.I32, outputs, inits.size()));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            int inputs = numInputs(op);
            pr.print("(").printOperands(op.operands().subList(0, inputs)).print(") inits (")
                    .printOperands(op.operands().subList(inputs, op.numOperands())).print(") dimension=")
                    .print(Long.toString(dimension(op))).print(" ");
            pr.printOptionalAttrDictWithKeyword(allAttributes(op), Set.of("dimension", OPERAND_SEGMENTS, RESULT_SEGMENTS));
            pr.print(" ").printRegion(op.region(0), true);
            pr.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        }

        @Override public boolean canPrint(Operation op) {
            return op.attr(OPERAND_SEGMENTS) instanceof DenseArrayAttr d && d.size() == 2 && op.attr("dimension") instanceof IntegerAttr
                    && op.regions().size() == 1;
        }
    }
}
