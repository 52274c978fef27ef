package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;

import java.util.List;

/**
 * A view of a {@code builtin.module} operation: its optional name ({@code sym_name}), attributes and the ops
 * of its single block (functions, {@code sdy.mesh}, ...).
 */
public record Module(Operation op) {
    public static final String OP_NAME = "builtin.module";

    public Module {
        if (!op.name().equals(OP_NAME)) throw new IllegalArgumentException("not a module: " + op.name());
    }

    /** Builds a module around {@code body}. {@code name} may be null. */
    public static Module of(String name, DictionaryAttr attributes, List<Operation> body, Location loc) {
        Block.Builder bb = Block.builder();
        for (Operation o : body) bb.append(o);
        Operation.Builder b = Operation.builder(OP_NAME).region(Region.of(bb.build())).location(loc);
        if (name != null) b.property("sym_name", new StringAttr(name));
        if (attributes != null) b.attributes(attributes);
        return new Module(b.build());
    }

    public String name() {
        Attribute a = op.attr("sym_name");
        return a instanceof StringAttr s ? s.value() : null;
    }

    public DictionaryAttr attributes() { return op.attributes(); }
    public Block body() { return op.region(0).entry(); }
    public List<Operation> operations() { return body().operations(); }

    /** The symbol table of this module's top level. */
    public SymbolTable symbols() { return SymbolTable.of(op); }

    /** Every {@code func.func} at the top level, in order. */
    public List<Operation> functions() {
        return operations().stream().filter(o -> o.name().equals("func.func")).toList();
    }

    /** {@code @main}, or the only function when there is one; null otherwise. */
    public Operation entryFunction() {
        Operation main = symbols().lookup("main");
        if (main != null) return main;
        List<Operation> fs = functions();
        return fs.size() == 1 ? fs.get(0) : null;
    }
}
