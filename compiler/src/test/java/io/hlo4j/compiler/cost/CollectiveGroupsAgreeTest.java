package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.interp.CollectiveListener;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;
import io.hlo4j.runtime.interp.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group size the cost model gives each collective of StableHLO's own interpreter tests equals the largest
 * group the interpreter actually formed for it when the case runs on its replicas x partitions grid: both derive the
 * process groups from {@link io.hlo4j.mlir.dialect.stablehlo.CollectiveMode}, and this checks they read it the same
 * way on every mode the conformance files exercise (cross_replica, cross_partition, cross_replica_and_partition,
 * flattened_ids, padded and partial groups). collective_permute has pairs, not groups, and is left out.
 */
class CollectiveGroupsAgreeTest {
    static final List<String> FILES = List.of("all_gather", "all_reduce", "all_to_all", "collective_broadcast", "collective_reduce",
            "reduce_scatter");

    @Test void interpreterGroupsMatchTheCostModelOnTheConformanceFiles() throws Exception {
        Map<String, Integer> checkedPerKind = new TreeMap<>();
        for (String file : FILES) {
            Path p = CostAnalysisTest.conformance().resolve("interpret").resolve(file + ".mlir");
            String[] cases = Files.readString(p).split("// -----");
            for (int c = 0; c < cases.length; c++) {
                String where = file + ".mlir case " + c;
                Module m = MlirParser.parseModule(cases[c], file + ".mlir");
                Operation run = find(m, "interpreter.run_parallel");
                assertThat(run).as(where).isNotNull();
                ArrayAttr rows = (ArrayAttr) run.attr("programs");
                int replicas = rows.size(), partitions = ((ArrayAttr) rows.get(0)).size();
                String fn = ((SymbolRefAttr) ((ArrayAttr) rows.get(0)).get(0)).root();
                Operation f = m.symbols().lookup(fn);
                int args = f.region(0).entry().arguments().size();
                List<List<RtValue>> inputs = new ArrayList<>();
                for (int d = 0; d < replicas * partitions; d++) {
                    List<RtValue> mine = new ArrayList<>();
                    for (int a = 0; a < args; a++) mine.add(constant(run.operand(d * args + a), where));
                    inputs.add(mine);
                }
                Map<Operation, Integer> largest = Collections.synchronizedMap(new IdentityHashMap<>());
                CollectiveListener l = e -> largest.merge(e.op(), e.group().size(), Math::max);
                new Interpreter(m).runParallel(fn, replicas, partitions, inputs, l);
                CollectiveTraffic.Processes procs = new CollectiveTraffic.Processes(replicas, partitions);
                List<Operation> collectives = new ArrayList<>();
                Walker.walk(f, op -> { if (op.name().equals("stablehlo." + file)) collectives.add(op); });
                assertThat(collectives).as(where).isNotEmpty();
                for (Operation op : collectives) {
                    List<List<Long>> groups = op.attr("replica_groups") instanceof DenseElementsAttr d ? CollectiveInfo.rows(d) : List.of();
                    long model = CollectiveTraffic.groupSize(op, groups, procs);
                    int ran = largest.getOrDefault(op, 0);
                    // collective_broadcast reports no members for a group of one (nobody receives)
                    if (file.equals("collective_broadcast") && ran == 0) ran = 1;
                    assertThat(model).as(where + ": " + op.name() + " with groups " + groups + " on " + replicas + "x" + partitions)
                            .isEqualTo(ran);
                    checkedPerKind.merge(file, 1, Integer::sum);
                }
            }
        }
        // every case of every file: 5 all_gather, 5 all_reduce, 5 all_to_all, 10 collective_broadcast, 1 collective_reduce,
        // 3 reduce_scatter collectives
        assertThat(checkedPerKind).containsEntry("all_gather", 5).containsEntry("all_reduce", 5).containsEntry("all_to_all", 5)
                .containsEntry("collective_broadcast", 10).containsEntry("collective_reduce", 1).containsEntry("reduce_scatter", 3);
    }

    private static Operation find(Module m, String name) {
        Operation[] out = {null};
        Walker.walk(m.op(), op -> { if (out[0] == null && op.name().equals(name)) out[0] = op; });
        return out[0];
    }

    private static RtValue constant(Value v, String where) {
        Operation def = v instanceof io.hlo4j.mlir.ir.OpResult r ? r.owner() : null;
        assertThat(def).as(where + ": a run_parallel input that is not a constant").isNotNull();
        assertThat(def.name()).as(where).isEqualTo("stablehlo.constant");
        return Tensor.fromDense((DenseElementsAttr) def.attr("value"));
    }
}
