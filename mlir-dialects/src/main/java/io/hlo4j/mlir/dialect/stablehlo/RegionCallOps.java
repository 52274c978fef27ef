package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.OpaqueType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.types.Type;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.fail;

/**
 * {@code custom_call} (an implementation-defined call; its has_side_effect attribute, not a trait, says whether
 * it may be removed when unused) and {@code composite} (an op defined by a decomposition function).
 */
final class RegionCallOps {
    private RegionCallOps() {}

    private static final Set<String> CUSTOM_CALL_ATTRS = Set.of("call_target_name", "has_side_effect", "backend_config",
            "api_version", "called_computations", "operand_layouts", "result_layouts", "output_operand_aliases", "result_tilings");
    private static final Set<String> COMPOSITE_ATTRS = Set.of("name", "composite_attributes", "decomposition", "version");
    private static final Pattern COMPOSITE_NAME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9_]*([.][a-zA-Z0-9_$]+)+$");

    static void register(OpRegistry registry) {
        registry.register(OpDef.builder("stablehlo.custom_call").summary("CustomCall operation")
                .inherent(CUSTOM_CALL_ATTRS.toArray(String[]::new)).syntax(MiscSyntax.customCall(CUSTOM_CALL_ATTRS))
                .verifier(RegionCallOps::verifyCustomCall).build());
        registry.register(OpDef.builder("stablehlo.composite").summary("Composite operation")
                .inherent(COMPOSITE_ATTRS.toArray(String[]::new)).syntax(MiscSyntax.composite(COMPOSITE_ATTRS))
                .verifier(RegionCallOps::verifyComposite).build());
    }

    // ---- custom_call -------------------------------------------------------------------------

    private static void verifyCustomCall(Operation op) {
        if (!(op.attr("call_target_name") instanceof StringAttr)) {
            throw fail(op, "custom_call_i2", "requires a string attribute 'call_target_name', but got " + op.attr("call_target_name"));
        }
        RegionChecks.bool(op, "has_side_effect", "custom_call_i3");
        long apiVersion = RegionChecks.integer(op, "api_version", 1, "custom_call_i5");
        if (apiVersion < 0 || apiVersion > 4) {
            throw fail(op, "custom_call_i5", "api_version must be one of 0..4 (API_VERSION_UNSPECIFIED..API_VERSION_TYPED_FFI), but got "
                    + apiVersion);
        }
        Attribute config = op.attr("backend_config");
        if (config != null) {
            if (apiVersion == 4 && !(config instanceof DictionaryAttr)) {
                throw fail(op, "custom_call_i4", "backend_config for api_version API_VERSION_TYPED_FFI must be a dictionary attribute.");
            }
            if (apiVersion != 4 && !(config instanceof StringAttr)) {
                throw fail(op, "custom_call_i4", "backend_config for api_version " + apiName(apiVersion)
                        + " must be a string attribute.");
            }
        }
        Attribute called = op.attr("called_computations");
        if (called != null) {
            if (!(called instanceof ArrayAttr arr) || !arr.elements().stream().allMatch(e -> e instanceof SymbolRefAttr)) {
                throw fail(op, "custom_call_i6", "called_computations must be an array of symbol references, but got " + called);
            }
        }
        verifyLayouts(op);
        verifyAliases(op);
        verifyBufferTargets(op, ((StringAttr) op.attr("call_target_name")).value());
    }

    private static boolean isMemref(Type t) { return t instanceof OpaqueType o && o.text().startsWith("memref<"); }

    /**
     * The spec's buffer targets: CreateBuffer () -> memref, Pin tensor -> memref, Unpin memref -> tensor. (Element
     * type and shape agreement is not checked: memref types are kept opaque.)
     */
    private static void verifyBufferTargets(Operation op, String target) {
        String rule = "custom_call_buffers";
        switch (target) {
            case "CreateBuffer" -> {
                if (op.numOperands() != 0) throw fail(op, rule, "CreateBuffer custom_call shouldn't have any inputs");
                if (op.numResults() != 1) throw fail(op, rule, "CreateBuffer custom_call should have one result");
                if (!isMemref(op.resultTypes().get(0))) throw fail(op, rule, "CreateBuffer custom_call should have a memref result");
            }
            case "Pin" -> {
                if (op.numOperands() != 1) throw fail(op, rule, "Pin custom_call should have one input");
                if (!(op.operand(0).type() instanceof TensorType)) throw fail(op, rule, "Pin custom_call should have a tensor input");
                if (op.numResults() != 1) throw fail(op, rule, "Pin custom_call should have one output");
                if (!isMemref(op.resultTypes().get(0))) throw fail(op, rule, "Pin custom_call should have a memref output");
            }
            case "Unpin" -> {
                if (op.numOperands() != 1) throw fail(op, rule, "Unpin custom_call should have one input");
                if (!isMemref(op.operand(0).type())) throw fail(op, rule, "Unpin custom_call should have a memref input");
                if (op.numResults() != 1) throw fail(op, rule, "Unpin custom_call should have one output");
                if (!(op.resultTypes().get(0) instanceof TensorType)) throw fail(op, rule, "Unpin custom_call should have a tensor output");
            }
            default -> { }
        }
    }

    private static String apiName(long v) {
        return switch ((int) v) {
            case 0 -> "API_VERSION_UNSPECIFIED";
            case 1 -> "API_VERSION_ORIGINAL";
            case 2 -> "API_VERSION_STATUS_RETURNING";
            case 3 -> "API_VERSION_STATUS_RETURNING_UNIFIED";
            default -> "API_VERSION_TYPED_FFI";
        };
    }

    /** operand_layouts / result_layouts: both or neither, one permutation of [0, rank) per value. */
    private static void verifyLayouts(Operation op) {
        Attribute ol = op.attr("operand_layouts");
        Attribute rl = op.attr("result_layouts");
        if (ol == null && rl == null) return;
        if ((ol == null) != (rl == null)) {
            throw fail(op, "custom_call_layouts", "Layout attributes should be specified for either both operands and results or none.");
        }
        List<Type> results = op.numResults() == 1 && op.resultTypes().get(0) instanceof TupleType t ? t.types() : op.resultTypes();
        checkLayouts(op, op.operandTypes(), ol, "operand");
        checkLayouts(op, results, rl, "result");
    }

    private static void checkLayouts(Operation op, List<Type> types, Attribute layouts, String what) {
        if (!(layouts instanceof ArrayAttr arr)) throw fail(op, "custom_call_layouts", what + "_layouts must be an array, but got " + layouts);
        if (arr.size() != types.size()) {
            throw fail(op, "custom_call_layouts", "Number of " + what + "s must match the number of " + what + " layouts, "
                    + types.size() + " != " + arr.size());
        }
        for (int i = 0; i < types.size(); i++) {
            RegionChecks.DenseInts ints = arr.get(i) instanceof DenseElementsAttr e ? RegionChecks.denseIndices(e) : null;
            if (ints == null) {
                throw fail(op, "custom_call_layouts", what + " layout #" + i + " must be an index dense<...> attribute, but got " + arr.get(i));
            }
            DenseElementsAttr d = (DenseElementsAttr) arr.get(i);
            long[] layout = ints.values();
            Type t = types.get(i);
            if (t instanceof TupleType) {
                throw fail(op, "custom_call_layouts", "Tuple types are not fully supported with layout constraints yet");
            }
            if (!(t instanceof TensorType tt)) {
                if (layout.length == 0) continue;
                throw fail(op, "custom_call_layouts", "Only tensor types can have non-empty layout: " + what + " #" + i
                        + " of type " + t + " has layout " + d);
            }
            long[] sorted = layout.clone();
            Arrays.sort(sorted);
            boolean permutation = sorted.length == tt.rank();
            for (int k = 0; permutation && k < sorted.length; k++) permutation = sorted[k] == k;
            if (!permutation) {
                throw fail(op, "custom_call_layouts", "incorrect layout " + d + " for type " + t
                        + ", layout must be a permutation of [0, " + tt.rank() + ")");
            }
        }
    }

    /** output_operand_aliases: operand index in range, tuple indices in range, aliased parts of equal type. */
    private static void verifyAliases(Operation op) {
        Attribute a = op.attr("output_operand_aliases");
        if (a == null) return;
        if (!(a instanceof ArrayAttr arr)) throw fail(op, "custom_call_aliases", "output_operand_aliases must be an array, but got " + a);
        for (Attribute e : arr.elements()) {
            Map<String, String> f = RegionChecks.structFields(e.toString(), "#stablehlo.output_operand_alias<");
            if (f == null || !f.containsKey("operand_index")) {
                throw fail(op, "custom_call_aliases", "expects #stablehlo.output_operand_alias<...> entries, but got " + e);
            }
            long operandIndex = Long.parseLong(f.get("operand_index"));
            if (operandIndex < 0 || operandIndex >= op.numOperands()) {
                throw fail(op, "custom_call_aliases", "expects operandIndex in the output_operand_alias attribute to be in range [0, "
                        + op.numOperands() + "); got: " + operandIndex + ".");
            }
            Type operandPart = op.operand((int) operandIndex).type();
            for (long i : RegionChecks.intList(f.get("operand_tuple_indices"))) {
                if (!(operandPart instanceof TupleType t) || i < 0 || i >= t.types().size()) {
                    throw fail(op, "custom_call_aliases", "operand_tuple_indices in the output_operand_alias attribute out of bounds");
                }
                operandPart = t.types().get((int) i);
            }
            Type outputPart = op.numResults() > 1 ? new TupleType(op.resultTypes())
                    : op.numResults() == 1 ? op.resultTypes().get(0) : new TupleType(List.of());
            for (long i : RegionChecks.intList(f.get("output_tuple_indices"))) {
                if (!(outputPart instanceof TupleType t) || i < 0 || i >= t.types().size()) {
                    throw fail(op, "custom_call_aliases", "output_tuple_indices in the output_operand_alias attribute out of bounds");
                }
                outputPart = t.types().get((int) i);
            }
            if (!operandPart.equals(outputPart)) {
                throw fail(op, "custom_call_aliases", "shapes mismatch in the output_operand_alias attribute: operand part has type "
                        + operandPart + " and output part has type " + outputPart);
            }
        }
    }

    // ---- composite ---------------------------------------------------------------------------

    private static void verifyComposite(Operation op) {
        if (!(op.attr("name") instanceof StringAttr name)) throw fail(op, "composite_i2", "requires a string attribute 'name'");
        if (!COMPOSITE_NAME.matcher(name.value()).matches()) {
            throw fail(op, "composite_c1", "name must be a valid namespaced op name, i.e. it must match the following regular"
                    + " expression: " + COMPOSITE_NAME.pattern() + " e.g. \"my_namespace.my_op\"");
        }
        Attribute ca = op.attr("composite_attributes");
        if (ca != null && !(ca instanceof DictionaryAttr)) throw fail(op, "composite_i3", "composite_attributes must be a dictionary");
        if (!(op.attr("decomposition") instanceof SymbolRefAttr decomp) || !decomp.nested().isEmpty()) {
            throw fail(op, "composite_i4", "requires a flat symbol reference 'decomposition', but got " + op.attr("decomposition"));
        }
        Attribute version = op.attr("version");
        if (version != null && !(version instanceof IntegerAttr)) throw fail(op, "composite_i5", "version must be an i32 integer");
        // An op being built (not yet inside a module) cannot see its decomposition; the module verifier checks it.
        if (!insideModule(op)) return;
        FunctionType fn = lookupFunction(op, decomp.root());
        if (fn == null) throw fail(op, "composite_c2", "'" + decomp.root() + "' does not reference a valid function");
        List<Type> types = op.operandTypes();
        if (types.size() != fn.inputs().size()) {
            throw fail(op, "composite_c3", "has " + types.size() + " operand(s), but decomposition has " + fn.inputs().size());
        }
        for (int i = 0; i < types.size(); i++) {
            if (!types.get(i).equals(fn.inputs().get(i))) {
                throw fail(op, "composite_c3", "operand at index " + i + " has type " + types.get(i)
                        + ", but decomposition has type " + fn.inputs().get(i));
            }
        }
        List<Type> res = op.resultTypes();
        if (res.size() != fn.results().size()) {
            throw fail(op, "composite_c4", "has " + res.size() + " result(s), but decomposition has " + fn.results().size());
        }
        for (int i = 0; i < res.size(); i++) {
            if (!res.get(i).equals(fn.results().get(i))) {
                throw fail(op, "composite_c4", "result at index " + i + " has type " + res.get(i)
                        + ", but decomposition has type " + fn.results().get(i));
            }
        }
    }

    /** The type of the nearest enclosing symbol table's {@code func.func @name}, or null. */
    private static FunctionType lookupFunction(Operation op, String name) {
        Operation scope = enclosing(op);
        while (scope != null) {
            Operation f = SymbolTable.of(scope).lookup(name);
            if (f != null) {
                return f.name().equals("func.func") && f.attr("function_type") instanceof TypeAttr t
                        && t.value() instanceof FunctionType fn ? fn : null;
            }
            scope = enclosing(scope);
        }
        return null;
    }

    private static boolean insideModule(Operation op) {
        for (Operation s = enclosing(op); s != null; s = enclosing(s)) if (s.name().equals("builtin.module")) return true;
        return false;
    }

    private static Operation enclosing(Operation op) {
        Block b = op.parent();
        if (b == null || b.parent() == null) return null;
        return b.parent().parent();
    }
}
