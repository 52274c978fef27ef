package io.hlo4j.mlir.print;

import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Prints operations as MLIR's OperationPrinter does: two-space indentation per region level, pretty form
 * through the op's {@code OpSyntax} where it has one, generic form otherwise, and the SSA names of
 * {@link SsaNames}. Implements {@link AsmPrinter} for the op syntaxes.
 */
final class OpPrinter implements AsmPrinter {
    /** Ops whose regions print nested ops of one dialect without its prefix (MLIR's getDefaultDialect). */
    private static final Map<String, String> DEFAULT_DIALECT = Map.of("func.func", "func", Module.OP_NAME, "builtin");

    private final StringBuilder out;
    private final PrintOptions options;
    private final SsaNames names;
    private final ArrayDeque<String> defaultDialects = new ArrayDeque<>();
    private int indent;

    OpPrinter(StringBuilder out, PrintOptions options, Operation root) {
        this.out = out;
        this.options = options;
        this.names = new SsaNames(root, options.generic(), options.nameHints());
        defaultDialects.push("builtin");
    }

    /** One operation at the current indentation (no leading indent, no trailing newline). */
    void printOperation(Operation op) {
        printResults(op);
        if (!options.generic() && op.name().equals(Module.OP_NAME)) printModule(op);
        else {
            OpDef def = op.def();
            if (!options.generic() && def != null && def.syntax().canPrint(op) && !legacyGeneric(op)) {
                out.append(stripDefaultDialect(op.name()));
                try {
                    def.syntax().print(op, this);
                } catch (Hlo4jException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new Hlo4jException("cannot print '" + op.name() + "' in its pretty form: " + e, op.location(), e);
                }
            } else {
                printGeneric(op);
            }
        }
        if (options.locations()) out.append(' ').append(op.location().text());
    }

    private void printResults(Operation op) {
        int n = op.numResults();
        if (n == 0) return;
        int[] groups = names.groupStarts(op);
        for (int i = 0; i < groups.length; i++) {
            if (i > 0) out.append(", ");
            int start = groups[i];
            int count = (i + 1 < groups.length ? groups[i + 1] : n) - start;
            names.append(out, op.result(start), false);
            if (count > 1) out.append(':').append(count);
        }
        out.append(" = ");
    }

    private String stripDefaultDialect(String name) {
        String d = defaultDialects.peek();
        if (d != null && !d.isEmpty() && name.startsWith(d) && name.length() > d.length()
                && name.charAt(d.length()) == '.' && name.indexOf('.', d.length() + 1) < 0) {
            return name.substring(d.length() + 1);
        }
        return name;
    }

    /** {@code module @name attributes {...} {...}}: builtin.module's fixed pretty form. */
    private void printModule(Operation op) {
        out.append("module");
        Attribute name = op.properties().get("sym_name");
        if (name instanceof StringAttr s) {
            out.append(' ');
            printSymbolName(s.value());
        }
        TreeMap<String, Attribute> rest = new TreeMap<>(op.properties().asMap());
        rest.remove("sym_name");
        rest.putAll(op.attributes().asMap());
        printOptionalAttrDictWithKeyword(DictionaryAttr.of(rest), Set.of());
        out.append(' ');
        if (op.regions().isEmpty()) {
            throw new Hlo4jException("cannot print 'builtin.module': it has no body region", op.location());
        }
        printRegion(op.region(0), false, false);
    }

    /** Ops the pre-properties printer had no pretty form for (see {@link PrintOptions.Profile#PRE_PROPERTIES}). */
    private static final Set<String> PRE_PROPERTIES_GENERIC = Set.of("stablehlo.dot_general", "stablehlo.slice");

    @Override public boolean preProperties() { return options.profile() == PrintOptions.Profile.PRE_PROPERTIES; }

    private boolean legacyGeneric(Operation op) {
        return options.profile() == PrintOptions.Profile.PRE_PROPERTIES && PRE_PROPERTIES_GENERIC.contains(op.name());
    }

    private void printGeneric(Operation op) {
        AttributePrinter.appendQuoted(out, op.name());
        out.append('(');
        printOperands(op.operands());
        out.append(')');
        if (options.profile() == PrintOptions.Profile.PRE_PROPERTIES) {
            // Before properties, inherent attributes lived in the one attribute dictionary after the regions.
            printRegionsGeneric(op);
            TreeMap<String, Attribute> all = new TreeMap<>(op.properties().asMap());
            all.putAll(op.attributes().asMap());
            printOptionalAttrDict(DictionaryAttr.of(all), Set.of());
            out.append(" : ");
            printFunctionalType(op.operandTypes(), op.resultTypes());
            return;
        }
        if (!op.properties().isEmpty()) {
            out.append(" <");
            AttributePrinter.printDictionary(out, op.properties());
            out.append('>');
        }
        printRegionsGeneric(op);
        printOptionalAttrDict(op.attributes(), Set.of());
        out.append(" : ");
        printFunctionalType(op.operandTypes(), op.resultTypes());
    }

    private void printRegionsGeneric(Operation op) {
        if (op.regions().isEmpty()) return;
        out.append(" (");
        for (int i = 0; i < op.regions().size(); i++) {
            if (i > 0) out.append(", ");
            printRegion(op.region(i), true, true);
        }
        out.append(')');
    }

    private void printRegion(Region r, boolean printEntryBlockArgs, boolean printEmptyBlock) {
        out.append("{\n");
        if (!r.isEmpty()) {
            Operation parent = r.parent();
            defaultDialects.push(parent == null ? "" : DEFAULT_DIALECT.getOrDefault(parent.name(), ""));
            Block entry = r.entry();
            boolean header = (printEmptyBlock && entry.operations().isEmpty())
                    || (printEntryBlockArgs && !entry.arguments().isEmpty());
            printBlock(entry, header);
            for (int i = 1; i < r.blocks().size(); i++) printBlock(r.blocks().get(i), true);
            defaultDialects.pop();
        }
        indent();
        out.append('}');
    }

    private void printBlock(Block b, boolean header) {
        if (header) {
            indent();
            out.append(names.blockName(b));
            if (!b.arguments().isEmpty()) {
                out.append('(');
                for (int i = 0; i < b.arguments().size(); i++) {
                    if (i > 0) out.append(", ");
                    BlockArgument a = b.argument(i);
                    names.append(out, a, true);
                    out.append(": ").append(a.type());
                    if (options.locations()) out.append(' ').append(a.location().text());
                }
                out.append(')');
            }
            out.append(':');
            // hlo4j's IR has no branches, so a block other than the entry block is never a successor.
            if (b.parent() != null && b != b.parent().blocks().get(0)) out.append("  // no predecessors");
            out.append('\n');
        }
        indent += 2;
        for (Operation op : b.operations()) {
            indent();
            printOperation(op);
            out.append('\n');
        }
        indent -= 2;
    }

    private void indent() {
        for (int i = 0; i < indent; i++) out.append(' ');
    }

    // ---- AsmPrinter --------------------------------------------------------------------------

    @Override public AsmPrinter print(String text) {
        out.append(text);
        return this;
    }

    @Override public AsmPrinter printOperand(Value v) {
        names.append(out, v, true);
        return this;
    }

    @Override public AsmPrinter printOperands(List<? extends Value> vs) {
        for (int i = 0; i < vs.size(); i++) {
            if (i > 0) out.append(", ");
            names.append(out, vs.get(i), true);
        }
        return this;
    }

    @Override public AsmPrinter printType(Type t) {
        out.append(t);
        return this;
    }

    @Override public AsmPrinter printTypes(List<? extends Type> ts) {
        for (int i = 0; i < ts.size(); i++) {
            if (i > 0) out.append(", ");
            out.append(ts.get(i));
        }
        return this;
    }

    @Override public AsmPrinter printFunctionalType(List<? extends Type> inputs, List<? extends Type> results) {
        out.append('(');
        printTypes(inputs);
        out.append(") -> ");
        boolean wrapped = results.size() != 1 || results.get(0) instanceof FunctionType;
        if (wrapped) out.append('(');
        printTypes(results);
        if (wrapped) out.append(')');
        return this;
    }

    @Override public AsmPrinter printAttribute(Attribute a) {
        AttributePrinter.print(out, a, AttributePrinter.Elision.NEVER);
        return this;
    }

    @Override public AsmPrinter printAttributeWithoutType(Attribute a) {
        AttributePrinter.print(out, a, AttributePrinter.Elision.MUST);
        return this;
    }

    @Override public AsmPrinter printOptionalAttrDict(DictionaryAttr attrs, Set<String> elided) {
        if (hasPrintable(attrs, elided)) {
            out.append(" {");
            AttributePrinter.appendEntries(out, attrs, elided);
            out.append('}');
        }
        return this;
    }

    @Override public AsmPrinter printOptionalAttrDictWithKeyword(DictionaryAttr attrs, Set<String> elided) {
        if (hasPrintable(attrs, elided)) {
            out.append(" attributes {");
            AttributePrinter.appendEntries(out, attrs, elided);
            out.append('}');
        }
        return this;
    }

    private static boolean hasPrintable(DictionaryAttr attrs, Set<String> elided) {
        for (String k : attrs.asMap().keySet()) if (!elided.contains(k)) return true;
        return false;
    }

    @Override public AsmPrinter printArgument(BlockArgument a, boolean withType) {
        names.append(out, a, true);
        if (withType) out.append(": ").append(a.type());
        if (options.locations()) out.append(' ').append(a.location().text());
        return this;
    }

    @Override public AsmPrinter printRegion(Region r, boolean printEntryBlockArgs) {
        printRegion(r, printEntryBlockArgs, false);
        return this;
    }

    @Override public AsmPrinter printSymbolName(String name) {
        AttributePrinter.appendSymbol(out, name);
        return this;
    }

    @Override public AsmPrinter printString(String s) {
        AttributePrinter.appendQuoted(out, s);
        return this;
    }

    @Override public AsmPrinter newline() {
        out.append('\n');
        indent();
        return this;
    }

    @Override public boolean printLocations() { return options.locations(); }
}
