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

    /** The printed line, including the {@code %r = } prefix when the op has a named result. */
    String print() {
        String body = TextAsmPrinter.print(op, parser.names);
        if (op.numResults() == 1 && parser.names.containsKey(op.result())) return parser.names.get(op.result()) + " = " + body;
        return body;
    }

    void verify() { op.def().verifier().verify(op); }
}
