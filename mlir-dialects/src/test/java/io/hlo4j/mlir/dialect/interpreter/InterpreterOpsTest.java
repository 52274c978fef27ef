package io.hlo4j.mlir.dialect.interpreter;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.rejects;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.squash;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.verify;
import static org.assertj.core.api.Assertions.assertThat;

/** interpreter.run_parallel / probe / print as interpret/*.mlir use them. */
class InterpreterOpsTest {
    private static final Type I64_2x2 = MlirParser.parseType("tensor<2x2xi64>");
    private static final Type I64_2x4 = MlirParser.parseType("tensor<2x4xi64>");

    /** A func.func declaration with just what run_parallel's verifier reads: sym_name and function_type. */
    private static Operation func(String name, List<Type> in, List<Type> out) {
        Block.Builder b = Block.builder();
        for (Type t : in) b.addArgument(t);
        return Operation.builder("func.func").property("sym_name", new StringAttr(name))
                .property("function_type", new TypeAttr(new FunctionType(in, out))).region(Region.of(b.build())).build();
    }

    private static ArrayAttr grid(String[][] names) {
        List<Attribute> rows = new ArrayList<>();
        for (String[] row : names) {
            List<Attribute> r = new ArrayList<>();
            for (String n : row) r.add(SymbolRefAttr.of(n));
            rows.add(new ArrayAttr(r));
        }
        return new ArrayAttr(rows);
    }

    /** Builds main's run_parallel (all_gather.mlir's first case: 2 replicas x 1 partition) inside a module. */
    private static Operation runParallelInModule(ArrayAttr programs, int inputs, int results, Attribute infeed) {
        Block.Builder mainBody = Block.builder();
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputs; i++) ins.add(mainBody.addArgument(I64_2x2));
        Operation.Builder rp = Operation.builder("interpreter.run_parallel").operands(ins).property("programs", programs);
        for (int i = 0; i < results; i++) rp.resultType(I64_2x4);
        if (infeed != null) rp.property("infeed", infeed);
        Operation op = mainBody.append(rp.build());
        Operation main = Operation.builder("func.func").property("sym_name", new StringAttr("main"))
                .property("function_type", new TypeAttr(new FunctionType(List.of(), List.of()))).region(Region.of(mainBody.build())).build();
        Module.of(null, null, List.of(func("all_gather", List.of(I64_2x2), List.of(I64_2x4)),
                func("queue", List.of(), List.of(I64_2x2)), main), null);
        return op;
    }

    @Test
    void acceptsTheGridOfAllGatherMlir() {
        Operation op = runParallelInModule(grid(new String[][] {{"all_gather"}, {"all_gather"}}), 2, 2, null);
        verify(op);
        RunParallelPrograms p = RunParallelPrograms.of(op);
        assertThat(p.numReplicas()).isEqualTo(2);
        assertThat(p.numPartitions()).isEqualTo(1);
        assertThat(p.programs()).containsExactly(List.of("all_gather"), List.of("all_gather"));
        assertThat(p.infeed()).isEmpty();
    }

    @Test
    void rejectsRaggedGridsAndCountMismatches() {
        rejects(runParallelInModule(grid(new String[][] {{"all_gather", "all_gather"}, {"all_gather"}}), 3, 3, null),
                "Sizes of second dimension of `programs` should all match 2 but got 1");
        rejects(runParallelInModule(grid(new String[][] {{"all_gather"}, {"all_gather"}}), 1, 2, null),
                "Number of inputs (1) should match the sum of the number of inputs of all programs (2)");
        rejects(runParallelInModule(grid(new String[][] {{"all_gather"}, {"all_gather"}}), 2, 3, null),
                "Number of results (3) should match the sum of the number of results of all programs (2)");
        rejects(runParallelInModule(grid(new String[][] {{"missing"}}), 0, 0, null), "Function missing not found");
        rejects(runParallelInModule(new ArrayAttr(List.of()), 0, 0, null), "`programs` attribute cannot be empty");
    }

    @Test
    void checksInfeedQueues() {
        ArrayAttr programs = grid(new String[][] {{"all_gather"}});
        verify(runParallelInModule(programs, 1, 1, ArrayAttr.of(SymbolRefAttr.of("queue"))));
        rejects(runParallelInModule(programs, 1, 1, new ArrayAttr(List.of())), "infeed attribute is optional or should not be empty");
        rejects(runParallelInModule(programs, 1, 1, ArrayAttr.of(SymbolRefAttr.of("nope"))), "Function nope not found");
        rejects(runParallelInModule(programs, 1, 1, ArrayAttr.of(SymbolRefAttr.of("main"))),
                "Function main should return 1 tensor but returns 0");
        RunParallelPrograms p = RunParallelPrograms.of(runParallelInModule(programs, 1, 1, ArrayAttr.of(SymbolRefAttr.of("queue"))));
        assertThat(p.infeed()).containsExactly("queue");
    }

    @Test
    void runParallelHasNoPrettyForm() {
        assertThat(new io.hlo4j.mlir.dialect.interpreter.InterpreterDialect().namespace()).isEqualTo("interpreter");
        assertThat(io.hlo4j.mlir.registry.OpRegistry.global().lookup("interpreter.run_parallel").hasPrettySyntax()).isFalse();
    }

    @Test
    void probeRoundTripsAndKeepsItsType() {
        OpSnippet s = OpSnippet.parse("%3 = interpreter.probe %2, probe_id = \"probe_i1\" : tensor<3x1xi1>");
        Operation op = s.op();
        verify(op);
        assertThat(op.result(0).type()).isEqualTo(op.operand(0).type());
        assertThat(op.properties().get("probe_id")).isEqualTo(new StringAttr("probe_i1"));
        assertThat(squash(s.print()))
                .isEqualTo("%3 = interpreter.probe %2, probe_id = \"probe_i1\" : tensor<3x1xi1>");
        Operation bad = Operation.builder("interpreter.probe").operand(op.operand(0)).resultType(MlirParser.parseType("tensor<3x1xi8>"))
                .property("probe_id", new StringAttr("p")).build();
        rejects(bad, "SameOperandsAndResultType");
    }

    @Test
    void printRoundTrips() {
        OpSnippet s = OpSnippet.parse("interpreter.print %0 : tensor<2xi32>");
        verify(s.op());
        assertThat(squash(s.print())).isEqualTo("interpreter.print %0 : tensor<2xi32>");
    }
}
