package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;

/** Parses one {@code [%r = ]stablehlo.op ...} line with the op's own pretty syntax, and prints it back. */
record OpText(Operation op, TextAsmParser parser) {
    static OpText parse(String line) {
        String text = line.strip();
        String result = null;
        int eq = text.indexOf(" = ");
        if (text.startsWith("%") && eq > 0) {
            result = text.substring(0, eq);
            text = text.substring(eq + 3);
        }
        if (text.startsWith("\"")) return parseGeneric(text, result);
        int sp = text.indexOf(' ');
        int paren = text.indexOf('(');
        int end = sp < 0 ? text.length() : (paren > 0 && paren < sp ? paren : sp);
        String name = text.substring(0, end);
        OpDef def = OpRegistry.global().lookup(name);
        if (def == null) throw new IllegalArgumentException("unknown op " + name);
        TextAsmParser p = new TextAsmParser(text.substring(end));
        Operation op = def.syntax().parse(p, name).build();
        if (!p.atEnd()) throw p.error("trailing text after " + name);
        if (result != null && op.numResults() == 1) p.names.put(op.result(), result);
        return new OpText(op, p);
    }

    /**
     * The generic form {@code "name"(%a, %b) <{props}> {attrs} : (T...) -> R}: entries of the plain dictionary
     * that are inherent to the op become properties, as MLIR accepts in older text.
     */
    private static OpText parseGeneric(String text, String result) {
        int close = text.indexOf('"', 1);
        String name = text.substring(1, close);
        OpDef def = OpRegistry.global().lookup(name);
        if (def == null) throw new IllegalArgumentException("unknown op " + name);
        TextAsmParser p = new TextAsmParser(text.substring(close + 1));
        Operation.Builder b = Operation.builder(name);
        p.expect("(");
        var refs = p.parseOperandList();
        p.expect(")");
        if (p.consumeIf("<")) {
            b.properties((io.hlo4j.mlir.attr.DictionaryAttr) p.parseAttribute());
            p.expect(">");
        }
        for (var e : p.parseOptionalAttrDict().asMap().entrySet()) {
            if (def.isInherent(e.getKey())) b.property(e.getKey(), e.getValue());
            else b.attribute(e.getKey(), e.getValue());
        }
        p.expect(":");
        var ft = p.parseFunctionType();
        b.operands(p.resolve(refs, ft.inputs())).resultTypes(ft.results());
        if (!p.atEnd()) throw p.error("trailing text after " + name);
        Operation op = b.build();
        if (result != null && op.numResults() == 1) p.names.put(op.result(), result);
        return new OpText(op, p);
    }

    /** The printed line, including the {@code %r = } prefix when the op has a named result. */
    String print() {
        String body = TextAsmPrinter.print(op, parser.names);
        if (op.numResults() == 1 && parser.names.containsKey(op.result())) return parser.names.get(op.result()) + " = " + body;
        return body;
    }

    void verify() { op.def().verifier().verify(op); }
}
