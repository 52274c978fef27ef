package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * The batching rule of one op, attached to its {@link io.hlo4j.mlir.registry.OpDef} with
 * {@code def.attach(BatchRule.class, rule)} (see {@link BatchRules}). {@code op} is the op of the unbatched
 * function; {@code args} holds its operands in the batched program, each with its batch dimension or none (at least
 * one input is batched, else the op is copied without asking the rule). The rule emits the batched op through
 * {@code b} and returns one {@link Batched} per result.
 */
@FunctionalInterface
public interface BatchRule {
    List<Batched> batch(Batcher b, Operation op, List<Batched> args);

    /**
     * The rule of an op that is deliberately not batched (I/O, tuples, test ops): a batched input is refused by name
     * with {@code why}. Kept apart from real rules so the coverage report can tell the two apart.
     */
    record Refusal(String why) implements BatchRule {
        @Override public List<Batched> batch(Batcher b, Operation op, List<Batched> args) { throw b.refuse(op, args, why); }
    }
}
