package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.Syntax.allAttributes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.isEmptyArray;
import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;

/**
 * The small declarative pretty forms of part B's ops (upstream's ODS {@code assemblyFormat}s). The ODS
 * {@code attr-dict} prints properties and discardable attributes together, sorted, and leaves out an
 * attribute equal to its declared default.
 */
final class MiscSyntax {
    private MiscSyntax() {}

    /** {@code stablehlo.return %a, %b : T1, T2} ({@code $results attr-dict (: type($results))?}). */
    static OpSyntax returnOp(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                List<OperandRef> refs = p.parseOperandList();
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                List<Type> types = List.of();
                if (!refs.isEmpty()) {
                    p.expect(":");
                    types = p.parseTypeList();
                }
                Operation.Builder b = Operation.builder(opName).operands(p.resolve(refs, types));
                return addAttrDict(b, attrs, inherent);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                if (op.numOperands() > 0) p.print(" ").printOperands(op.operands());
                p.printOptionalAttrDict(allAttributes(op), Set.of());
                if (op.numOperands() > 0) p.print(" : ").printTypes(op.operandTypes());
            }
        };
    }

    /** {@code stablehlo.partition_id : tensor<ui32>} ({@code attr-dict : type(results)}). */
    static OpSyntax attrDictColonResultType(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                p.expect(":");
                Type t = p.parseType();
                return addAttrDict(Operation.builder(opName).resultType(t), attrs, inherent);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                p.printOptionalAttrDict(allAttributes(op), Set.of());
                p.print(" : ").printType(op.resultTypes().get(0));
            }

            @Override public boolean canPrint(Operation op) { return op.numOperands() == 0 && op.numResults() == 1; }
        };
    }

    /**
     * {@code stablehlo.after_all %a, %b : !stablehlo.token}: operands then one type when every operand type equals
     * the result type, else the functional type (upstream's VariadicSameOperandsAndResultType).
     */
    static OpSyntax variadicSameOperandsAndResultType(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                List<OperandRef> refs = p.parseOperandList();
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                p.expect(":");
                Type t = p.parseType();
                List<Type> operandTypes = new ArrayList<>();
                Type result;
                if (t instanceof FunctionType fn) {
                    if (fn.inputs().size() != refs.size()) {
                        throw p.error(refs.size() + " operands present, but expected " + fn.inputs().size());
                    }
                    if (fn.results().size() != 1) throw p.error("expected single output");
                    operandTypes.addAll(fn.inputs());
                    result = fn.results().get(0);
                } else {
                    for (int i = 0; i < refs.size(); i++) operandTypes.add(t);
                    result = t;
                }
                Operation.Builder b = Operation.builder(opName).operands(p.resolve(refs, operandTypes)).resultType(result);
                return addAttrDict(b, attrs, inherent);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                if (op.numOperands() > 0) p.print(" ").printOperands(op.operands());
                p.printOptionalAttrDict(allAttributes(op), Set.of());
                p.print(" : ");
                Type result = op.resultTypes().get(0);
                if (op.operandTypes().stream().allMatch(result::equals)) p.printType(result);
                else p.printFunctionalType(op.operandTypes(), op.resultTypes());
            }

            @Override public boolean canPrint(Operation op) { return op.numResults() == 1; }
        };
    }

    /**
     * {@code stablehlo.optimization_barrier %a, %b : T1, T2}, or {@code ()} without operands; the attribute
     * dictionary comes first ({@code attr-dict ($operand^ : types):(`(` `)`)?}).
     */
    static OpSyntax optimizationBarrier(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                Operation.Builder b = Operation.builder(opName);
                addAttrDict(b, attrs, inherent);
                if (p.consumeIf("(")) {
                    p.expect(")");
                    return b;
                }
                List<OperandRef> refs = p.parseOperandList();
                if (refs.isEmpty()) throw p.error("expected operands or '()' after stablehlo.optimization_barrier");
                p.expect(":");
                List<Type> types = p.parseTypeList();
                return b.operands(p.resolve(refs, types)).resultTypes(types);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                p.printOptionalAttrDict(allAttributes(op), Set.of());
                if (op.numOperands() == 0) {
                    p.print(" ()");
                    return;
                }
                p.print(" ").printOperands(op.operands()).print(" : ").printTypes(op.operandTypes());
            }

            @Override public boolean canPrint(Operation op) { return op.operandTypes().equals(op.resultTypes()); }
        };
    }

    /**
     * {@code stablehlo.custom_call @target(%a) {api_version = 4 : i32, backend_config = {...}} : (T) -> T}. The
     * defaults (has_side_effect = false, api_version = 1, empty called_computations / output_operand_aliases)
     * are not printed.
     */
    static OpSyntax customCall(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                String target = p.parseSymbolName();
                p.expect("(");
                List<OperandRef> refs = p.parseOperandList();
                p.expect(")");
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                p.expect(":");
                FunctionType fn = p.parseFunctionType();
                Operation.Builder b = Operation.builder(opName).operands(p.resolve(refs, fn.inputs())).resultTypes(fn.results());
                addAttrDict(b, attrs, inherent);
                return b.property("call_target_name", new StringAttr(target));
            }

            @Override public void print(Operation op, AsmPrinter p) {
                p.print(" ").printSymbolName(((StringAttr) op.attr("call_target_name")).value());
                p.print("(").printOperands(op.operands()).print(")");
                Set<String> elided = new HashSet<>(Set.of("call_target_name"));
                if (BoolAttr.FALSE.equals(op.attr("has_side_effect"))) elided.add("has_side_effect");
                if (op.attr("api_version") instanceof IntegerAttr v && v.value() == 1) elided.add("api_version");
                if (isEmptyArray(op.attr("called_computations"))) elided.add("called_computations");
                if (isEmptyArray(op.attr("output_operand_aliases"))) elided.add("output_operand_aliases");
                p.printOptionalAttrDict(allAttributes(op), elided);
                p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
            }

            @Override public boolean canPrint(Operation op) { return op.attr("call_target_name") instanceof StringAttr; }
        };
    }

    /**
     * {@code stablehlo.composite "my.op" %a, %b {composite_attributes = {...}, decomposition = @f} : (T) -> T}, with
     * optional {@code (regions)} after the operands; empty composite_attributes and version 0 are not printed.
     */
    static OpSyntax composite(Set<String> inherent) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser p, String opName) {
                String name = p.parseString();
                List<OperandRef> refs = p.parseOperandList();
                List<Region> regions = new ArrayList<>();
                if (p.consumeIf("(")) {
                    do regions.add(p.parseRegion(List.of())); while (p.consumeIf(","));
                    p.expect(")");
                }
                DictionaryAttr attrs = p.parseOptionalAttrDict();
                p.expect(":");
                FunctionType fn = p.parseFunctionType();
                Operation.Builder b = Operation.builder(opName).operands(p.resolve(refs, fn.inputs())).resultTypes(fn.results());
                addAttrDict(b, attrs, inherent);
                return b.property("name", new StringAttr(name)).regions(regions);
            }

            @Override public void print(Operation op, AsmPrinter p) {
                p.print(" ").printString(((StringAttr) op.attr("name")).value());
                if (op.numOperands() > 0) p.print(" ").printOperands(op.operands());
                if (!op.regions().isEmpty()) {
                    p.print(" (");
                    for (int i = 0; i < op.regions().size(); i++) {
                        if (i > 0) p.print(", ");
                        p.printRegion(op.region(i), true);
                    }
                    p.print(")");
                }
                Set<String> elided = new HashSet<>(Set.of("name"));
                Attribute ca = op.attr("composite_attributes");
                if (ca instanceof DictionaryAttr d && d.isEmpty()) elided.add("composite_attributes");
                if (op.attr("version") instanceof IntegerAttr v && v.value() == 0) elided.add("version");
                p.printOptionalAttrDict(allAttributes(op), elided);
                p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
            }

            @Override public boolean canPrint(Operation op) { return op.attr("name") instanceof StringAttr; }
        };
    }
}
