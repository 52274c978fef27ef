package io.hlo4j.mlir.dialect.func;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.asm.ParsedArgument;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The pretty forms of func.func, func.call and func.return, as MLIR's func dialect writes them. */
final class FuncSyntax {
    private FuncSyntax() {}

    /** {@code func.func [public|private|nested] @name(%a: T {attrs} loc, ...) -> (R {attrs}, ...) attributes {...} {body}}. */
    static final OpSyntax FUNC = new OpSyntax() {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            Operation.Builder b = Operation.builder(opName);
            String vis = p.peekKeyword();
            if ("public".equals(vis) || "private".equals(vis) || "nested".equals(vis)) {
                p.parseKeyword();
                b.property("sym_visibility", new StringAttr(vis));
            }
            b.property("sym_name", new StringAttr(p.parseSymbolName()));
            p.expect("(");
            List<ParsedArgument> named = new ArrayList<>();
            List<Type> inputs = new ArrayList<>();
            List<Attribute> argAttrs = new ArrayList<>();
            boolean anonymous = false;
            if (!p.peekIs(")")) {
                do {
                    if (p.peekOperand()) {
                        if (anonymous) throw p.error("expected a type: arguments are either all named or all unnamed");
                        ParsedArgument a = p.parseArgument(true, true);
                        named.add(a);
                        inputs.add(a.type());
                        argAttrs.add(a.attributes());
                    } else {
                        if (!named.isEmpty()) throw p.error("expected an SSA argument name: arguments are either all named or all unnamed");
                        anonymous = true;
                        inputs.add(p.parseType());
                        argAttrs.add(p.parseOptionalAttrDict());
                        p.parseOptionalLocation();
                    }
                } while (p.consumeIf(","));
            }
            p.expect(")");
            List<Type> results = new ArrayList<>();
            List<Attribute> resAttrs = new ArrayList<>();
            if (p.consumeIf("->")) {
                if (p.consumeIf("(")) {
                    if (!p.peekIs(")")) {
                        do {
                            results.add(p.parseType());
                            resAttrs.add(p.parseOptionalAttrDict());
                        } while (p.consumeIf(","));
                    }
                    p.expect(")");
                } else {
                    results.add(p.parseType());
                    resAttrs.add(DictionaryAttr.EMPTY);
                }
            }
            b.property("function_type", new TypeAttr(new FunctionType(inputs, results)));
            if (argAttrs.stream().anyMatch(a -> !((DictionaryAttr) a).isEmpty())) b.property("arg_attrs", new ArrayAttr(argAttrs));
            if (resAttrs.stream().anyMatch(a -> !((DictionaryAttr) a).isEmpty())) b.property("res_attrs", new ArrayAttr(resAttrs));
            for (Map.Entry<String, Attribute> e : p.parseOptionalAttrDictWithKeyword().asMap().entrySet()) {
                if (FuncOps.FUNC_INHERENT.contains(e.getKey())) b.property(e.getKey(), e.getValue());
                else b.attribute(e.getKey(), e.getValue());
            }
            if (p.peekRegion()) {
                if (anonymous) throw p.error("a function body needs named arguments (%name: type)");
                b.region(p.parseRegion(named));
            } else {
                b.region(Region.empty());
            }
            return b;
        }

        @Override public void print(Operation op, AsmPrinter p) {
            p.print(" ");
            if (op.attr("sym_visibility") instanceof StringAttr v) p.print(v.value()).print(" ");
            p.printSymbolName(FuncOps.name(op));
            FunctionType ft = FuncOps.signature(op);
            Region body = op.region(0);
            p.print("(");
            for (int i = 0; i < ft.inputs().size(); i++) {
                if (i > 0) p.print(", ");
                DictionaryAttr attrs = FuncOps.argAttrs(op, i);
                if (body.isEmpty()) {
                    p.printType(ft.inputs().get(i));
                    p.printOptionalAttrDict(attrs, Set.of());
                } else if (attrs.isEmpty()) {
                    p.printArgument(body.entry().argument(i), true);
                } else {
                    // MLIR's order is name, type, attributes, location; printArgument would put the location first.
                    BlockArgument a = body.entry().argument(i);
                    p.printOperand(a).print(": ").printType(a.type());
                    p.printOptionalAttrDict(attrs, Set.of());
                    if (p.printLocations()) p.print(" ").print(a.location().text());
                }
            }
            p.print(")");
            List<Type> rs = ft.results();
            if (!rs.isEmpty()) {
                p.print(" -> ");
                boolean anyAttrs = false;
                for (int i = 0; i < rs.size(); i++) anyAttrs |= !FuncOps.resultAttrs(op, i).isEmpty();
                boolean parens = rs.size() != 1 || anyAttrs || rs.get(0) instanceof FunctionType;
                if (parens) p.print("(");
                for (int i = 0; i < rs.size(); i++) {
                    if (i > 0) p.print(", ");
                    p.printType(rs.get(i));
                    p.printOptionalAttrDict(FuncOps.resultAttrs(op, i), Set.of());
                }
                if (parens) p.print(")");
            }
            DictionaryAttr extra = op.attributes();
            for (Map.Entry<String, Attribute> e : op.properties().asMap().entrySet()) {
                if (!PRINTED_IN_SIGNATURE.contains(e.getKey())) extra = extra.with(e.getKey(), e.getValue());
            }
            p.printOptionalAttrDictWithKeyword(extra, PRINTED_IN_SIGNATURE);
            if (!body.isEmpty()) {
                p.print(" ");
                p.printRegion(body, false);
            }
        }
    };

    private static final Set<String> PRINTED_IN_SIGNATURE = Set.of("sym_name", "function_type", "sym_visibility", "arg_attrs", "res_attrs");

    /** {@code call @f(%a, %b) {attrs} : (A, B) -> R}. */
    static final OpSyntax CALL = new OpSyntax() {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            Operation.Builder b = Operation.builder(opName);
            String callee = p.parseSymbolName();
            List<String> nested = new ArrayList<>();
            while (p.consumeIf("::")) nested.add(p.parseSymbolName());
            b.property("callee", new SymbolRefAttr(callee, nested));
            p.expect("(");
            List<OperandRef> refs = p.parseOperandList();
            p.expect(")");
            for (Map.Entry<String, Attribute> e : p.parseOptionalAttrDict().asMap().entrySet()) {
                if (FuncOps.CALL_INHERENT.contains(e.getKey())) b.property(e.getKey(), e.getValue());
                else b.attribute(e.getKey(), e.getValue());
            }
            p.expect(":");
            FunctionType ft = p.parseFunctionType();
            if (ft.inputs().size() != refs.size()) {
                throw p.error("call passes " + refs.size() + " operands but its type lists " + ft.inputs().size());
            }
            return b.operands(p.resolve(refs, ft.inputs())).resultTypes(ft.results());
        }

        @Override public void print(Operation op, AsmPrinter p) {
            p.print(" ").print(op.attr("callee").toString()).print("(");
            p.printOperands(op.operands()).print(")");
            DictionaryAttr extra = op.attributes();
            for (Map.Entry<String, Attribute> e : op.properties().asMap().entrySet()) {
                if (!e.getKey().equals("callee")) extra = extra.with(e.getKey(), e.getValue());
            }
            p.printOptionalAttrDict(extra, Set.of("callee"));
            p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
        }
    };

    /** {@code return} or {@code return %a, %b : A, B}. */
    static final OpSyntax RETURN = new OpSyntax() {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            Operation.Builder b = Operation.builder(opName).attributes(p.parseOptionalAttrDict());
            List<OperandRef> refs = p.parseOperandList();
            if (refs.isEmpty()) return b;
            p.expect(":");
            List<Type> types = p.parseTypeList();
            if (types.size() != refs.size()) throw p.error("return lists " + refs.size() + " operands but " + types.size() + " types");
            return b.operands(p.resolve(refs, types));
        }

        @Override public void print(Operation op, AsmPrinter p) {
            p.printOptionalAttrDict(op.attributes(), Set.of());
            if (op.numOperands() == 0) return;
            p.print(" ").printOperands(op.operands()).print(" : ").printTypes(op.operandTypes());
        }
    };
}
