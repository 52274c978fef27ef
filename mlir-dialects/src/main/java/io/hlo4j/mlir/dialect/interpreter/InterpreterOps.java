package io.hlo4j.mlir.dialect.interpreter;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectNoRegions;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectOperands;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectResults;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;
import static io.hlo4j.mlir.dialect.check.OpSupport.tensor;

/** The reference interpreter's own ops ({@code stablehlo/reference/InterpreterOps.td}). */
public final class InterpreterOps {
    private InterpreterOps() {}

    public static final String RUN_PARALLEL = "interpreter.run_parallel";
    public static final String PROBE = "interpreter.probe";
    public static final String PRINT = "interpreter.print";

    static void register(OpRegistry r) {
        r.register(OpDef.builder(RUN_PARALLEL)
                .summary("runs a num_replicas x num_partitions grid of programs, inputs and results flattened in process order")
                .inherent("programs", "infeed").syntax(OpSyntax.GENERIC).verifier(InterpreterOps::verifyRunParallel)
                .traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(PROBE).summary("records a tensor's value at run time (NumPy files) and passes it through")
                .inherent("probe_id").syntax(new Probe()).verifier(InterpreterOps::verifyProbe)
                .inference((operands, props, regions) -> List.of(operands.get(0)))
                .traits(OpTrait.HAS_SIDE_EFFECT, OpTrait.SAME_OPERANDS_AND_RESULT_TYPE).build());
        r.register(OpDef.builder(PRINT).summary("prints a tensor to stdout")
                .syntax(new Print()).verifier(InterpreterOps::verifyPrint)
                .inference((operands, props, regions) -> List.of()).traits(OpTrait.HAS_SIDE_EFFECT).build());
    }

    // ---- run_parallel ---------------------------------------------------------------------------

    private static void verifyRunParallel(Operation op) {
        expectNoRegions(op);
        for (var v : op.operands()) requireTensorOrToken(op, v.type(), "input");
        for (var v : op.results()) requireTensorOrToken(op, v.type(), "result");
        ArrayAttr programs = required(op, "programs", ArrayAttr.class, "an array of arrays of symbol references");
        if (programs.size() == 0 || !(programs.get(0) instanceof ArrayAttr first) || first.size() == 0) {
            throw fail(op, "`programs` attribute cannot be empty");
        }
        SymbolTable symbols = enclosingModuleSymbols(op);
        int numPartitions = first.size();
        long numArgs = 0, numResults = 0;
        for (Attribute replica : programs.elements()) {
            if (!(replica instanceof ArrayAttr row)) {
                throw fail(op, "`programs` must be an array of arrays of symbol references, got element " + replica);
            }
            if (row.size() != numPartitions) {
                throw fail(op, "Sizes of second dimension of `programs` should all match " + numPartitions + " but got " + row.size());
            }
            for (Attribute program : row.elements()) {
                FunctionType sig = signature(op, symbols, program);
                if (sig != null) {
                    numArgs += sig.inputs().size();
                    numResults += sig.results().size();
                }
            }
        }
        if (symbols != null && op.numOperands() != numArgs) {
            throw fail(op, "Number of inputs (" + op.numOperands() + ") should match the sum of the number of inputs of all programs ("
                    + numArgs + ")");
        }
        if (symbols != null && op.numResults() != numResults) {
            throw fail(op, "Number of results (" + op.numResults() + ") should match the sum of the number of results of all programs ("
                    + numResults + ")");
        }
        Attribute infeed = op.attr("infeed");
        if (infeed != null) {
            if (!(infeed instanceof ArrayAttr queues)) throw fail(op, "`infeed` must be an array of symbol references, got " + infeed);
            if (queues.size() == 0) throw fail(op, "infeed attribute is optional or should not be empty");
            for (Attribute q : queues.elements()) {
                FunctionType sig = signature(op, symbols, q);
                if (sig == null) continue;
                String name = ((SymbolRefAttr) q).root();
                if (sig.results().size() != 1) {
                    throw fail(op, "Function " + name + " should return 1 tensor but returns " + sig.results().size());
                }
                if (!(sig.results().get(0) instanceof TensorType)) {
                    throw fail(op, "Function " + name + " should return a tensor type, but instead returns " + sig.results().get(0));
                }
            }
        }
    }

    /**
     * The symbol table of the module around {@code op}, or null when the op is not (yet) inside one: a
     * free-standing op can only be checked for attribute shape, not for its callees.
     */
    private static SymbolTable enclosingModuleSymbols(Operation op) {
        Operation cur = op;
        while (cur.parent() != null) {
            Block b = cur.parent();
            Region r = b.parent();
            if (r == null || r.parent() == null) return null;
            cur = r.parent();
            if (cur.name().equals("builtin.module")) return SymbolTable.of(cur);
        }
        return null;
    }

    private static FunctionType signature(Operation op, SymbolTable symbols, Attribute ref) {
        if (!(ref instanceof SymbolRefAttr sym) || !sym.nested().isEmpty()) {
            throw fail(op, "expects flat symbol references to functions, got " + ref);
        }
        if (symbols == null) return null;
        Operation f = symbols.lookup(sym.root());
        if (f == null || !f.name().equals("func.func")) throw fail(op, "Function " + sym.root() + " not found");
        if (!(f.attr("function_type") instanceof TypeAttr ta) || !(ta.value() instanceof FunctionType ft)) {
            throw fail(op, "Function " + sym.root() + " has no function_type");
        }
        return ft;
    }

    private static void requireTensorOrToken(Operation op, Type t, String role) {
        if (!(t instanceof TensorType) && !(t instanceof TokenType)) {
            throw fail(op, "each " + role + " must be a tensor or !stablehlo.token, got " + t);
        }
    }

    // ---- probe and print ------------------------------------------------------------------------

    private static void verifyProbe(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType in = tensor(op, op.operand(0), "operand");
        if (!in.equals(op.result(0).type())) {
            throw fail(op, "requires the same type for operand and result (SameOperandsAndResultType), got "
                    + in + " and " + op.result(0).type());
        }
        StringAttr id = required(op, "probe_id", StringAttr.class, "a string");
        if (id.value().isEmpty()) throw fail(op, "probe_id must not be empty");
    }

    private static void verifyPrint(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 0);
        expectNoRegions(op);
        tensor(op, op.operand(0), "operand");
    }

    /** {@code %x, probe_id = "id" attr-dict : T}. */
    private static final class Probe implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("probe_id");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            p.expect(",");
            p.expectKeyword("probe_id");
            p.expect("=");
            Operation.Builder b = Operation.builder(opName).property("probe_id", new StringAttr(p.parseString()));
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            Type t = p.parseType();
            return b.operand(p.resolve(x, t)).resultType(t);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", probe_id = ").printString(((StringAttr) op.attr("probe_id")).value());
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printType(op.result(0).type());
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.numResults() == 1 && op.attr("probe_id") instanceof StringAttr;
        }
    }

    /** {@code %x attr-dict : T}. */
    private static final class Print implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef x = p.parseOperand();
            Operation.Builder b = Operation.builder(opName);
            addAttrDict(b, p.parseOptionalAttrDict(), Set.of());
            p.expect(":");
            return b.operand(p.resolve(x, p.parseType()));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0));
            pr.printOptionalAttrDict(allAttributes(op), Set.of());
            pr.print(" : ").printType(op.operand(0).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 1; }
    }
}
