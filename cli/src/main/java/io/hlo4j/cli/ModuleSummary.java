package io.hlo4j.cli;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A short description of a module: its functions' signatures and how often each op occurs. */
record ModuleSummary(String moduleName, List<String> signatures, Map<String, Integer> histogram) {

    static ModuleSummary of(Module module) {
        List<String> sigs = new ArrayList<>();
        for (Operation f : module.functions()) sigs.add(signature(f));
        Map<String, Integer> hist = new TreeMap<>();
        // Every op, nested ones (reducer bodies, returns) included; not the module itself.
        Walker.walk(module.op(), op -> { if (op != module.op()) hist.merge(op.name(), 1, Integer::sum); });
        return new ModuleSummary(module.name(), sigs, hist);
    }

    int opCount() { return histogram.values().stream().mapToInt(Integer::intValue).sum(); }

    /** Ops by count, most frequent first, then by name. */
    List<Map.Entry<String, Integer>> byCount() {
        return histogram.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .toList();
    }

    String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("module ").append(moduleName == null ? "(unnamed)" : "@" + moduleName).append(": ")
                .append(signatures.size()).append(signatures.size() == 1 ? " function, " : " functions, ")
                .append(opCount()).append(" ops\n");
        for (String s : signatures) sb.append("  ").append(s).append('\n');
        sb.append("op histogram:\n");
        int width = histogram.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, Integer> e : byCount()) {
            sb.append("  ").append(e.getKey()).append(" ".repeat(width - e.getKey().length() + 2))
                    .append(String.format("%4d", e.getValue())).append('\n');
        }
        return sb.toString();
    }

    /** {@code @main(tensor<...>, ...) -> (tensor<...>, ...)}, from {@code function_type} or else the entry block. */
    static String signature(Operation func) {
        String name = func.attr("sym_name") instanceof StringAttr s ? s.value() : "?";
        String visibility = func.attr("sym_visibility") instanceof StringAttr v ? v.value() + " " : "";
        List<Type> inputs;
        List<Type> results;
        Attribute ft = func.attr("function_type");
        if (ft instanceof TypeAttr(FunctionType t)) {
            inputs = t.inputs();
            results = t.results();
        } else {
            Region body = func.regions().isEmpty() ? null : func.region(0);
            inputs = body == null || body.isEmpty() ? List.of()
                    : body.entry().arguments().stream().map(Value::type).toList();
            Operation term = body == null || body.isEmpty() ? null : body.entry().terminator();
            results = term == null ? List.of() : term.operandTypes();
        }
        return visibility + "@" + name + join(inputs) + " -> " + join(results);
    }

    private static String join(List<Type> types) {
        return types.stream().map(Object::toString).collect(Collectors.joining(", ", "(", ")"));
    }

}
