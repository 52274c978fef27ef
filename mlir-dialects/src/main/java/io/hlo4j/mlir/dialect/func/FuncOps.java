package io.hlo4j.mlir.dialect.func;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;

/** Names, accessors and verifiers of the func ops (their text forms are in {@link FuncSyntax}). */
public final class FuncOps {
    private FuncOps() {}

    public static final String FUNC = "func.func";
    public static final String CALL = "func.call";
    public static final String RETURN = "func.return";

    static final Set<String> FUNC_INHERENT = Set.of("sym_name", "function_type", "sym_visibility", "arg_attrs", "res_attrs", "no_inline");
    static final Set<String> CALL_INHERENT = Set.of("callee", "arg_attrs", "res_attrs", "no_inline");

    /** The signature of a {@code func.func}, or null when its function_type is missing or not a function type. */
    public static FunctionType signature(Operation func) {
        return func.attr("function_type") instanceof TypeAttr t && t.value() instanceof FunctionType f ? f : null;
    }

    /** Argument {@code i}'s attributes (empty when none were written). */
    public static DictionaryAttr argAttrs(Operation func, int i) { return entry(func.attr("arg_attrs"), i); }

    /** Result {@code i}'s attributes (empty when none were written). */
    public static DictionaryAttr resultAttrs(Operation func, int i) { return entry(func.attr("res_attrs"), i); }

    private static DictionaryAttr entry(Attribute a, int i) {
        if (a instanceof ArrayAttr arr && i < arr.size() && arr.get(i) instanceof DictionaryAttr d) return d;
        return DictionaryAttr.EMPTY;
    }

    static void verifyFunc(Operation op) {
        if (!(op.attr("sym_name") instanceof StringAttr)) fail(op, "requires a string 'sym_name'");
        FunctionType ft = signature(op);
        if (ft == null) fail(op, "requires a 'function_type' attribute of function type, got " + op.attr("function_type"));
        Attribute vis = op.attr("sym_visibility");
        if (vis != null && !(vis instanceof StringAttr s && Set.of("public", "private", "nested").contains(s.value()))) {
            fail(op, "'sym_visibility' must be \"public\", \"private\" or \"nested\", got " + vis);
        }
        checkAttrArray(op, "arg_attrs", ft.inputs().size());
        checkAttrArray(op, "res_attrs", ft.results().size());
        if (op.regions().size() != 1) fail(op, "requires exactly one region, got " + op.regions().size());
        Region body = op.region(0);
        if (body.isEmpty()) {
            if (vis == null || !((StringAttr) vis).value().equals("private")) {
                fail(op, "external function @" + name(op) + " (no body) must be private");
            }
            return;
        }
        Block entry = body.entry();
        if (entry.arguments().size() != ft.inputs().size()) {
            fail(op, "entry block of @" + name(op) + " has " + entry.arguments().size() + " arguments but the function type has "
                    + ft.inputs().size() + " inputs");
        }
        for (int i = 0; i < ft.inputs().size(); i++) {
            Type got = entry.argument(i).type();
            if (!got.equals(ft.inputs().get(i))) {
                fail(op, "type of entry block argument #" + i + " (" + got + ") of @" + name(op)
                        + " must match the type of the function input (" + ft.inputs().get(i) + ")");
            }
        }
        for (Block b : body.blocks()) {
            Operation t = b.terminator();
            if (t == null || !t.name().equals(RETURN)) {
                fail(op, "block of @" + name(op) + " must end with func.return, not " + (t == null ? "nothing" : t.name()));
            }
        }
    }

    private static void checkAttrArray(Operation op, String key, int n) {
        Attribute a = op.attr(key);
        if (a == null) return;
        if (!(a instanceof ArrayAttr arr) || arr.size() != n) fail(op, "'" + key + "' must be an array of " + n + " dictionaries, got " + a);
        for (Attribute e : ((ArrayAttr) a).elements()) {
            if (!(e instanceof DictionaryAttr)) fail(op, "'" + key + "' entries must be dictionaries, got " + e);
        }
    }

    static void verifyReturn(Operation op) {
        Operation func = enclosingOp(op);
        if (func == null) return; // detached: nothing to compare with
        if (!func.name().equals(FUNC)) fail(op, "must be inside func.func, not " + func.name());
        FunctionType ft = signature(func);
        if (ft == null) return; // the function's own verifier reports it
        List<Type> got = op.operandTypes();
        if (got.size() != ft.results().size()) {
            fail(op, "has " + got.size() + " operands, but enclosing function @" + name(func) + " returns " + ft.results().size());
        }
        for (int i = 0; i < got.size(); i++) {
            if (!got.get(i).equals(ft.results().get(i))) {
                fail(op, "type of return operand #" + i + " (" + got.get(i) + ") doesn't match function @" + name(func)
                        + " result type (" + ft.results().get(i) + ")");
            }
        }
    }

    /** What can be checked without the symbol table: the callee attribute's presence and kind. */
    static void verifyCallLocal(Operation op) {
        if (!(op.attr("callee") instanceof SymbolRefAttr)) fail(op, "requires a symbol reference 'callee', got " + op.attr("callee"));
    }

    /**
     * Checks a {@code func.call} against the module's symbols: the callee exists, is a func.func, and the call's
     * operand and result types are its signature. For the module verifier.
     */
    public static void verifyCall(Operation call, SymbolTable symbols) {
        verifyCallLocal(call);
        SymbolRefAttr ref = (SymbolRefAttr) call.attr("callee");
        if (!ref.nested().isEmpty()) fail(call, "nested callee references are not supported: " + ref);
        Operation callee = symbols.lookup(ref.root());
        if (callee == null) fail(call, "'callee' refers to @" + ref.root() + ", which is not defined in the module");
        if (!callee.name().equals(FUNC)) fail(call, "'callee' @" + ref.root() + " is a " + callee.name() + ", not a func.func");
        FunctionType ft = signature(callee);
        if (ft == null) fail(call, "callee @" + ref.root() + " has no valid function_type");
        List<Type> in = call.operandTypes();
        if (in.size() != ft.inputs().size()) {
            fail(call, "passes " + in.size() + " operands but @" + ref.root() + " takes " + ft.inputs().size());
        }
        for (int i = 0; i < in.size(); i++) {
            if (!in.get(i).equals(ft.inputs().get(i))) {
                fail(call, "operand #" + i + " has type " + in.get(i) + " but @" + ref.root() + " expects " + ft.inputs().get(i));
            }
        }
        List<Type> out = call.resultTypes();
        if (out.size() != ft.results().size()) {
            fail(call, "has " + out.size() + " results but @" + ref.root() + " returns " + ft.results().size());
        }
        for (int i = 0; i < out.size(); i++) {
            if (!out.get(i).equals(ft.results().get(i))) {
                fail(call, "result #" + i + " has type " + out.get(i) + " but @" + ref.root() + " returns " + ft.results().get(i));
            }
        }
    }

    private static Operation enclosingOp(Operation op) {
        Block b = op.parent();
        if (b == null || b.parent() == null) return null;
        return b.parent().parent();
    }

    static String name(Operation func) {
        return func.attr("sym_name") instanceof StringAttr s ? s.value() : "?";
    }

    private static void fail(Operation op, String message) {
        throw new VerificationException(op.name(), message, op.location());
    }
}
