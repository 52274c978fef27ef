package io.hlo4j.mlir.dialect.interpreter;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.mlir.dialect.check.OpSupport.fail;

/**
 * The decoded attributes of an {@code interpreter.run_parallel}: {@code programs[replica][partition]} are
 * function names, {@code infeed} the names of functions that fill the infeed queue (empty when absent).
 */
public record RunParallelPrograms(List<List<String>> programs, List<String> infeed) {
    public RunParallelPrograms {
        programs = programs.stream().map(List::copyOf).toList();
        infeed = List.copyOf(infeed);
    }

    public int numReplicas() { return programs.size(); }
    public int numPartitions() { return programs.isEmpty() ? 0 : programs.get(0).size(); }

    /** Reads a verified op's attributes. */
    public static RunParallelPrograms of(Operation op) {
        if (!op.name().equals(InterpreterOps.RUN_PARALLEL)) throw new IllegalArgumentException("not a run_parallel: " + op.name());
        List<List<String>> grid = new ArrayList<>();
        if (!(op.attr("programs") instanceof ArrayAttr rows)) throw fail(op, "requires attribute 'programs'");
        for (Attribute row : rows.elements()) {
            if (!(row instanceof ArrayAttr r)) throw fail(op, "`programs` must be an array of arrays, got " + row);
            List<String> names = new ArrayList<>();
            for (Attribute a : r.elements()) names.add(symbol(op, a));
            grid.add(names);
        }
        List<String> infeed = new ArrayList<>();
        if (op.attr("infeed") instanceof ArrayAttr q) for (Attribute a : q.elements()) infeed.add(symbol(op, a));
        return new RunParallelPrograms(grid, infeed);
    }

    private static String symbol(Operation op, Attribute a) {
        if (a instanceof SymbolRefAttr s && s.nested().isEmpty()) return s.root();
        throw fail(op, "expects flat symbol references, got " + a);
    }
}
