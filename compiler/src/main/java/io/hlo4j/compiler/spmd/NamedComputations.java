package io.hlo4j.compiler.spmd;

import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splices every {@code sdy.named_computation} (Shardy's named call, e.g. a nested {@code jax.jit}) into the block
 * holding it, as Shardy does before partitioning: the body's ops take the operands' place, the results are what the
 * body returns. Its {@code in_shardings} / {@code out_shardings} become {@code sdy.sharding_constraint}s on the
 * operands / results, so the shardings the user asked for are still honoured. Without this the partitioner has no
 * rule for the op and computes it replicated. The splicing is {@link Calls#splice}, the inliner of func.call.
 */
final class NamedComputations {
    private NamedComputations() {}

    static Module inline(Module module) {
        boolean[] found = {false};
        Walker.walk(module.op(), op -> { if (op.name().equals(SdyOps.NAMED_COMPUTATION)) found[0] = true; });
        if (!found[0]) return module;
        Calls.Splice named = new Calls.Splice() {
            @Override public Block body(Operation op) {
                return op.name().equals(SdyOps.NAMED_COMPUTATION) ? op.region(0).entry() : null;
            }

            @Override public Value operand(Block.Builder nb, Operation op, int i, Value v) {
                return op.attr("in_shardings") instanceof TensorShardingPerValue in ? constrain(nb, v, in, i, op) : v;
            }

            @Override public Value result(Block.Builder nb, Operation op, int i, Value v) {
                return op.attr("out_shardings") instanceof TensorShardingPerValue out ? constrain(nb, v, out, i, op) : v;
            }
        };
        Map<Value, Value> map = new IdentityHashMap<>();
        List<Operation> body = new ArrayList<>();
        for (Operation o : module.operations()) body.add(Calls.splice(o, map, named));
        return Module.of(module.name(), module.attributes(), body, module.op().location());
    }

    private static Value constrain(Block.Builder nb, Value v, TensorShardingPerValue shardings, int i, Operation at) {
        return nb.append(Operation.builder(SdyOps.SHARDING_CONSTRAINT).location(at.location()).property("sharding", shardings.get(i))
                .operand(v).resultType(v.type()).build()).result(0);
    }
}
