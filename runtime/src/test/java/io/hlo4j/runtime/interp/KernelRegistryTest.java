package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the op registry: every op either has an interpreter kernel attached to its OpDef or is listed below.
 * The list may only shrink: an op that gains a kernel must leave it, and an op that loses its kernel fails.
 */
class KernelRegistryTest {
    /** Ops the interpreter does not run (yet); evaluating one fails with "not supported by the interpreter". */
    static final Set<String> WITHOUT_KERNEL = Set.of(
            // structure, not evaluated as ops (the evaluator walks these itself)
            "builtin.module", "func.func", "func.return", "stablehlo.return", "sdy.return",
            "builtin.unrealized_conversion_cast",
            // Shardy ops: the SPMD partitioner lowers these before execution
            "sdy.manual_computation", "sdy.mesh", "sdy.sharding_group");

    @Test
    void everyOpHasAKernelOrIsListed() {
        Kernels.init();
        Set<String> missing = new TreeSet<>();
        Set<String> listedButRunnable = new TreeSet<>();
        for (OpDef d : OpRegistry.global().all()) {
            boolean has = d.extension(Kernel.class) != null;
            if (!has && !WITHOUT_KERNEL.contains(d.name())) missing.add(d.name());
            if (has && WITHOUT_KERNEL.contains(d.name())) listedButRunnable.add(d.name());
        }
        assertThat(missing).as("ops that lost (or never had) a kernel and are not listed").isEmpty();
        assertThat(listedButRunnable).as("ops that have a kernel now: remove them from WITHOUT_KERNEL").isEmpty();
    }

    @Test
    void everyKernelBelongsToADeclaredOp() {
        Kernels.init();
        List<String> undeclared = new ArrayList<>();
        for (String name : Kernels.all().keySet()) if (OpRegistry.global().lookup(name) == null) undeclared.add(name);
        assertThat(undeclared).as("kernels for ops no dialect declares").isEmpty();
    }

    @Test
    void theMoeAndCollectiveOpsAllHaveKernels() {
        Kernels.init();
        for (String op : List.of("stablehlo.dot_general", "stablehlo.gather", "stablehlo.scatter", "stablehlo.sort",
                "stablehlo.reduce", "stablehlo.reduce_window", "stablehlo.while", "stablehlo.case", "stablehlo.if",
                "func.call", "chlo.top_k", "chlo.ragged_dot", "stablehlo.all_to_all", "stablehlo.all_gather",
                "stablehlo.all_reduce", "stablehlo.reduce_scatter", "stablehlo.collective_permute",
                "stablehlo.collective_broadcast", "stablehlo.partition_id", "stablehlo.replica_id",
                "interpreter.run_parallel", "stablehlo.custom_call", "stablehlo.optimization_barrier")) {
            assertThat(OpRegistry.global().lookup(op).extension(Kernel.class)).as(op).isNotNull();
        }
    }
}
