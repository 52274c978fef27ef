package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Pieces of StableHLO's pretty op forms (upstream AssemblyFormat.cpp and the ODS directives), shared by every
 * op file of the dialect. Printers write what follows {@code %r = op.name}, leading space included.
 */
public final class Syntax {
    private Syntax() {}

    /** Reads an op's pretty form into the builder. */
    @FunctionalInterface
    public interface Parse { void parse(AsmParser p, Operation.Builder b); }

    /** Writes an op's pretty form. */
    @FunctionalInterface
    public interface Print { void print(Operation op, AsmPrinter p); }

    /** An {@link OpSyntax} from a parse and a print function. */
    public static OpSyntax of(Parse parse, Print print) {
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser parser, String opName) {
                Operation.Builder b = Operation.builder(opName);
                parse.parse(parser, b);
                return b;
            }
            @Override public void print(Operation op, AsmPrinter printer) { print.print(op, printer); }
        };
    }

    /** An {@link OpSyntax} that prints in pretty form only when {@code printable} holds (else generic form). */
    public static OpSyntax of(Parse parse, Print print, java.util.function.Predicate<Operation> printable) {
        OpSyntax inner = of(parse, print);
        return new OpSyntax() {
            @Override public Operation.Builder parse(AsmParser parser, String opName) { return inner.parse(parser, opName); }
            @Override public void print(Operation op, AsmPrinter printer) { inner.print(op, printer); }
            @Override public boolean canPrint(Operation op) { return printable.test(op); }
        };
    }

    /**
     * What a pretty form needs to be printable: {@code operands}/{@code results} counts (-1: any) and attributes
     * given as alternating name, class pairs; a name starting with '?' is optional but must have that class when
     * present. IR built by hand that lacks them prints generically instead of failing in the printer.
     */
    public static java.util.function.Predicate<Operation> form(int operands, int results, Object... attrs) {
        return op -> {
            if (operands >= 0 && op.numOperands() != operands) return false;
            if (results >= 0 && op.numResults() != results) return false;
            for (int i = 0; i < attrs.length; i += 2) {
                String name = (String) attrs[i];
                boolean optional = name.startsWith("?");
                Attribute a = op.attr(optional ? name.substring(1) : name);
                if (a == null ? !optional : !((Class<?>) attrs[i + 1]).isInstance(a)) return false;
            }
            return true;
        };
    }

    // ---- attr-dict --------------------------------------------------------------------------------

    /** Properties and discardable attributes together, as MLIR's attr-dict sees them. */
    public static DictionaryAttr allAttributes(Operation op) {
        if (op.attributes().isEmpty()) return op.properties();
        if (op.properties().isEmpty()) return op.attributes();
        Map<String, Attribute> m = new TreeMap<>(op.properties().asMap());
        m.putAll(op.attributes().asMap());
        return DictionaryAttr.of(m);
    }

    /** {@code  {k = v}} for every attribute not written elsewhere in the pretty form. */
    public static void printAttrDict(AsmPrinter p, Operation op, Set<String> elided) {
        p.printOptionalAttrDict(allAttributes(op), elided);
    }

    public static void printAttrDict(AsmPrinter p, Operation op, String... elided) {
        printAttrDict(p, op, elided.length == 0 ? Set.of() : Set.of(elided));
    }

    /** Parses an optional {@code {...}} and files each entry as property (if inherent) or attribute. */
    public static void parseAttrDict(AsmParser p, Operation.Builder b, Set<String> inherent) {
        DictionaryAttr d = p.parseOptionalAttrDict();
        for (var e : d.asMap().entrySet()) {
            if (b.propertiesView().containsKey(e.getKey())) {
                throw p.error("'" + b.name() + "' attribute '" + e.getKey() + "' is given twice");
            }
            if (inherent.contains(e.getKey())) b.property(e.getKey(), e.getValue());
            else b.attribute(e.getKey(), e.getValue());
        }
    }

    // ---- types ------------------------------------------------------------------------------------

    /** custom&lt;SameOperandsAndResultType&gt;: one type when all agree, else the functional type. */
    public static void printSameOperandsAndResultType(AsmPrinter p, Operation op) {
        Type result = op.result().type();
        boolean same = true;
        for (Value v : op.operands()) same &= v.type().equals(result);
        if (same) p.printType(result);
        else p.printFunctionalType(op.operandTypes(), op.resultTypes());
    }

    /** Reads a type or a functional type and resolves {@code refs} against it; adds the result type. */
    public static void parseSameOperandsAndResultType(AsmParser p, List<OperandRef> refs, Operation.Builder b) {
        Type t = p.parseType();
        if (t instanceof FunctionType f) {
            resolveFunctional(p, refs, f, b);
            return;
        }
        for (OperandRef r : refs) b.operand(p.resolve(r, t));
        b.resultType(t);
    }

    /** {@code : (T1, T2) -> R} (the leading ':' already consumed) resolving {@code refs}. */
    public static void parseFunctionalType(AsmParser p, List<OperandRef> refs, Operation.Builder b) {
        resolveFunctional(p, refs, p.parseFunctionType(), b);
    }

    private static void resolveFunctional(AsmParser p, List<OperandRef> refs, FunctionType f, Operation.Builder b) {
        if (f.inputs().size() != refs.size()) {
            throw p.error(refs.size() + " operands present, but expected " + f.inputs().size());
        }
        b.operands(p.resolve(refs, f.inputs()));
        b.resultTypes(f.results());
    }

    /** {@code  : (T1, T2) -> R}. */
    public static void printColonFunctionalType(AsmPrinter p, Operation op) {
        p.print(" : ").printFunctionalType(op.operandTypes(), op.resultTypes());
    }

    /** {@code  : T} or {@code  : (T1, T2) -> R} following the SameOperandsAndResultType rule. */
    public static void printColonSameType(AsmPrinter p, Operation op) {
        p.print(" : ");
        printSameOperandsAndResultType(p, op);
    }

    // ---- operand lists ----------------------------------------------------------------------------

    /** {@code  %a, %b} (leading space; nothing when empty). */
    public static void printOperands(AsmPrinter p, List<? extends Value> vs) {
        if (!vs.isEmpty()) p.print(" ").printOperands(vs);
    }

    /** One or more comma-separated operands; an empty list is an error naming the op. */
    public static List<OperandRef> parseOperands(AsmParser p, Operation.Builder b, int atLeast) {
        List<OperandRef> refs = p.parseOperandList();
        if (refs.size() < atLeast) throw p.error("'" + b.name() + "' expects at least " + atLeast + " operand(s)");
        return refs;
    }

    /** custom&lt;VariadicOperandWithAttribute&gt;: operands each followed by ',' until a non-operand. */
    public static List<OperandRef> parseOperandsEachWithComma(AsmParser p) {
        List<OperandRef> refs = new ArrayList<>();
        while (p.peekOperand()) {
            refs.add(p.parseOperand());
            p.expect(",");
        }
        return refs;
    }

    // ---- attribute values -------------------------------------------------------------------------

    /** {@code [0, 1]} for an {@code array<i64: ...>}. */
    public static String i64List(DenseArrayAttr a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(a.getLong(i));
        }
        return sb.append(']').toString();
    }

    /** Parses {@code [0, 1]} into {@code array<i64: 0, 1>}. */
    public static DenseArrayAttr parseI64List(AsmParser p) {
        p.expect("[");
        List<Long> vs = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do vs.add(p.parseInteger()); while (p.consumeIf(","));
            p.expect("]");
        }
        long[] l = new long[vs.size()];
        for (int i = 0; i < l.length; i++) l[i] = vs.get(i);
        return DenseArrayAttr.ofI64(l);
    }

    /** The i64 array property {@code name}, printed as {@code [..]}; errors if missing or of the wrong kind. */
    public static DenseArrayAttr i64Array(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof DenseArrayAttr d && !d.isFloat()) return d;
        throw new IllegalStateException("'" + op.name() + "' has no array<i64> attribute '" + name + "' (found " + a + ")");
    }

    /** An integer attribute's value (for printing {@code dim = 1}). */
    public static long intValue(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof IntegerAttr i) return i.value();
        throw new IllegalStateException("'" + op.name() + "' has no integer attribute '" + name + "' (found " + a + ")");
    }

    public static IntegerAttr i64(long v) { return new IntegerAttr(v, IntegerType.I64); }

    /** {@code key = } where key is a bare keyword. */
    public static void expectKeyEquals(AsmParser p, String key) {
        p.expectKeyword(key);
        p.expect("=");
    }

    /** Names of the given attributes plus those listed, as a set for eliding. */
    public static Set<String> names(String... names) { return new HashSet<>(List.of(names)); }
}
