package io.hlo4j.dsl.grad;

import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The functions a differentiated trace calls (checkpointed bodies, custom-VJP forward and backward passes). A
 * {@link Grad} transform opens a scope while it traces; {@link Checkpointing} registers callees in the innermost
 * one. With no scope open (a plain jit) there is nothing to differentiate, so those helpers call the user's
 * function inline instead of emitting a {@code func.call}.
 */
final class SideFunctions {
    private static final ThreadLocal<Deque<SideFunctions>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Map<String, Operation> byName = new LinkedHashMap<>();
    private int counter;

    static SideFunctions current() { return STACK.get().peek(); }

    static <R> R within(SideFunctions s, java.util.function.Supplier<R> body) {
        STACK.get().push(s);
        try {
            return body.get();
        } finally {
            STACK.get().pop();
        }
    }

    String freshName(String prefix) { return "hlo4j_" + prefix + "_" + counter++; }

    void add(String name, Operation func) { byName.put(name, func); }

    Operation lookup(String name) { return byName.get(name); }

    Iterable<Operation> all() { return byName.values(); }
}
