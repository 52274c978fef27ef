package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DialectAttribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A test {@link AsmPrinter} writing into a string, with its own spelling of the few core attributes these
 * ops put in attribute dictionaries (integers, bools, arrays, dense integer literals), as MLIR writes them.
 */
final class TextAsmPrinter implements AsmPrinter {
    private final StringBuilder sb = new StringBuilder();
    private final Map<Value, String> names;

    TextAsmPrinter(Map<Value, String> names) { this.names = names; }

    /** The op's text as {@code name} + what its syntax prints. */
    static String print(Operation op, Map<Value, String> names) {
        TextAsmPrinter p = new TextAsmPrinter(names);
        p.print(op.name());
        op.def().syntax().print(op, p);
        return p.toString();
    }

    @Override public String toString() { return sb.toString(); }

    @Override public AsmPrinter print(String text) { sb.append(text); return this; }

    @Override public AsmPrinter printOperand(Value v) {
        String n = names.get(v);
        if (n == null) throw new IllegalStateException("unnamed value " + v);
        sb.append(n);
        return this;
    }

    @Override public AsmPrinter printOperands(List<? extends Value> vs) {
        for (int i = 0; i < vs.size(); i++) {
            if (i > 0) sb.append(", ");
            printOperand(vs.get(i));
        }
        return this;
    }

    @Override public AsmPrinter printType(Type t) { sb.append(t); return this; }

    @Override public AsmPrinter printTypes(List<? extends Type> ts) {
        sb.append(ts.stream().map(Object::toString).collect(Collectors.joining(", ")));
        return this;
    }

    @Override public AsmPrinter printFunctionalType(List<? extends Type> inputs, List<? extends Type> results) {
        sb.append(new FunctionType(List.copyOf(inputs), List.copyOf(results)));
        return this;
    }

    @Override public AsmPrinter printAttribute(Attribute a) { sb.append(text(a)); return this; }

    @Override public AsmPrinter printAttributeWithoutType(Attribute a) {
        sb.append(a instanceof IntegerAttr i ? Long.toString(i.value()) : text(a));
        return this;
    }

    static String text(Attribute a) {
        return switch (a) {
            case IntegerAttr i -> i.value() + " : " + i.type();
            case BoolAttr b -> Boolean.toString(b.value());
            case UnitAttr u -> "unit";
            case StringAttr s -> "\"" + s.value() + "\"";
            case SymbolRefAttr s -> "@" + s.root();
            case ArrayAttr arr -> arr.elements().stream().map(TextAsmPrinter::text).collect(Collectors.joining(", ", "[", "]"));
            case DenseArrayAttr d -> {
                String et = d.elementType().toString();
                if (d.size() == 0) yield "array<" + et + ">";
                String body = et.equals("i1")
                        ? java.util.Arrays.toString(d.bools()).replaceAll("[\\[\\]]", "")
                        : java.util.Arrays.stream(d.longs()).mapToObj(Long::toString).collect(Collectors.joining(", "));
                yield "array<" + et + ": " + body + ">";
            }
            case DenseElementsAttr d -> dense(d);
            case DictionaryAttr d -> dict(d, Set.of());
            case DialectAttribute d -> d.toString();
            default -> throw new IllegalArgumentException("test printer cannot spell " + a.getClass());
        };
    }

    /** Integer dense literals (the only ones these tests build): splat, flat, or 2-D nested. */
    private static String dense(DenseElementsAttr d) {
        int w = d.type().elementType().storageBytes();
        ByteBuffer bb = ByteBuffer.wrap(d.rawData()).order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[d.rawLength() / w];
        for (int i = 0; i < v.length; i++) v[i] = w == 8 ? bb.getLong() : w == 4 ? bb.getInt() : w == 2 ? bb.getShort() : bb.get();
        String body;
        if (d.isSplat()) body = Long.toString(v[0]);
        else if (d.type().rank() == 2) {
            int cols = (int) d.type().dim(1);
            StringBuilder sb = new StringBuilder("[");
            for (int r = 0; r * cols < v.length; r++) {
                if (r > 0) sb.append(", ");
                sb.append('[');
                for (int c = 0; c < cols; c++) sb.append(c > 0 ? ", " : "").append(v[r * cols + c]);
                sb.append(']');
            }
            body = sb.append(']').toString();
        } else body = java.util.Arrays.toString(v);
        return "dense<" + body + "> : " + d.type();
    }

    private static String dict(DictionaryAttr d, Set<String> elided) {
        return d.asMap().entrySet().stream().filter(e -> !elided.contains(e.getKey()))
                .map(e -> e.getValue() instanceof UnitAttr ? e.getKey() : e.getKey() + " = " + text(e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    @Override public AsmPrinter printOptionalAttrDict(DictionaryAttr attrs, Set<String> elided) {
        if (attrs.asMap().keySet().stream().anyMatch(k -> !elided.contains(k))) sb.append(' ').append(dict(attrs, elided));
        return this;
    }

    @Override public AsmPrinter printOptionalAttrDictWithKeyword(DictionaryAttr attrs, Set<String> elided) {
        if (attrs.asMap().keySet().stream().anyMatch(k -> !elided.contains(k))) sb.append(" attributes ").append(dict(attrs, elided));
        return this;
    }

    @Override public AsmPrinter printArgument(BlockArgument a, boolean withType) { throw new UnsupportedOperationException(); }
    @Override public AsmPrinter printRegion(Region r, boolean printEntryBlockArgs) { throw new UnsupportedOperationException(); }
    @Override public AsmPrinter printSymbolName(String name) { sb.append('@').append(name); return this; }
    @Override public AsmPrinter printString(String s) { sb.append('"').append(s).append('"'); return this; }
    @Override public AsmPrinter newline() { sb.append('\n'); return this; }
    @Override public boolean printLocations() { return false; }
}
