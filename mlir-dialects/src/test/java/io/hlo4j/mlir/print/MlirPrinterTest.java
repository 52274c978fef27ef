package io.hlo4j.mlir.print;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Printing hand-built IR. The generic-form expectations are LLVM 22 mlir-opt's output for the same module
 * ({@code mlir-opt --allow-unregistered-dialect --mlir-print-op-generic}); the pretty-form naming cases follow
 * the conformance files (sibling regions reuse names, {@code %cst, %cst_0, %c, %c_1} share one counter).
 */
class MlirPrinterTest {
    static final TensorType F = TensorType.scalar(FloatType.F32);

    /** Test ops in a dialect of their own ("ptest"), registered once in the global registry. */
    @BeforeAll static void registerTestOps() {
        OpRegistry r = OpRegistry.global();
        if (r.lookup("ptest.cst") != null) return;
        // %cst = ptest.cst 1 : tensor<f32>-like pretty form: " <value> : <type>"
        r.register(OpDef.builder("ptest.cst").syntax(new PrettyOnly() {
            @Override public void print(Operation op, AsmPrinter p) {
                p.print(" ").printAttributeWithoutType(op.attr("value")).print(" : ").printType(op.result().type());
            }
        }).verifier(op -> {}).resultNamer(op -> new String[] {op.attr("value") instanceof IntegerAttr ? "c" : "cst"}).build());
        r.register(OpDef.builder("ptest.broken").syntax(new PrettyOnly() {
            @Override public void print(Operation op, AsmPrinter p) { p.printAttribute(op.attr("missing")); }
        }).verifier(op -> {}).build());
        r.register(OpDef.builder("ptest.add").syntax(new PrettyOnly() {
            @Override public void print(Operation op, AsmPrinter p) {
                p.print(" ").printOperands(op.operands()).print(" : ").printType(op.result().type());
            }
        }).verifier(op -> {}).build());
        r.register(OpDef.builder("ptest.pair").syntax(OpSyntax.GENERIC).verifier(op -> {})
                .resultNamer(op -> new String[] {"values", "indices"}).build());
        r.register(OpDef.builder("ptest.loop").syntax(new PrettyOnly() {
            @Override public void print(Operation op, AsmPrinter p) {
                p.print("(").printOperands(op.operands()).print(")");
                p.newline().print(" cond ").printRegion(op.region(0), false);
                p.print(" do ").printRegion(op.region(1), false);
            }
        }).verifier(op -> {}).blockArgumentNamer((op, region) -> new String[] {"iterArg", "iterArg"}).build());
    }

    private abstract static class PrettyOnly implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser parser, String opName) { throw new UnsupportedOperationException(); }
    }

    static Operation op(String name, List<? extends Value> operands, List<Type> results) {
        return Operation.builder(name).operands(operands).resultTypes(results).build();
    }

    static Operation func(String name, String visibility, List<Type> inputs, List<Type> results,
                          java.util.function.Function<Block.Builder, List<Operation>> body) {
        Block.Builder b = Block.builder();
        for (Type t : inputs) b.addArgument(t);
        for (Operation o : body.apply(b)) b.append(o);
        return Operation.builder("func.func")
                .property("function_type", new TypeAttr(new FunctionType(inputs, results)))
                .property("sym_name", new StringAttr(name))
                .property("sym_visibility", new StringAttr(visibility))
                .region(Region.of(b.build())).build();
    }

    static Region region(List<Type> args, java.util.function.Function<List<BlockArgument>, List<Operation>> body) {
        Block.Builder b = Block.builder();
        for (Type t : args) b.addArgument(t);
        for (Operation o : body.apply(b.arguments())) b.append(o);
        return Region.of(b.build());
    }

    /** The module of /tmp/t4.mlir in the test notes: nested regions, a two-result op, an empty block. */
    static Module nestedModule() {
        Operation main = func("main", "public", List.of(F, F), List.of(F), fb -> {
            BlockArgument a = fb.arguments().get(0), b = fb.arguments().get(1);
            Operation add = op("t.add", List.of(a, b), List.of(F));
            Operation reduce = Operation.builder("t.reduce").operands(add.result(), b).resultTypes(F, F)
                    .property("dimensions", DenseArrayAttr.ofI64(0))
                    .region(region(List.of(F, F), args -> {
                        Operation s = op("t.add", args, List.of(F));
                        return List.of(s, op("t.return", List.of(s.result()), List.of()));
                    }))
                    .region(region(List.of(F), args -> {
                        Operation s = op("t.neg", args, List.of(F));
                        return List.of(s, op("t.return", List.of(s.result()), List.of()));
                    }))
                    .attribute("x.y", IntegerAttr.i32(1)).build();
            Operation empty = Operation.builder("t.empty").resultTypes(F).region(region(List.of(), args -> List.of())).build();
            Operation after = op("t.after", List.of(reduce.result(1)), List.of(F));
            return List.of(add, reduce, empty, after, op("func.return", List.of(after.result()), List.of()));
        });
        Operation g = func("g", "private", List.of(), List.of(), fb ->
                List.of(op("t.c", List.of(), List.of(F)), op("func.return", List.of(), List.of())));
        return Module.of("m", DictionaryAttr.of(Map.of("mhlo.num_partitions", IntegerAttr.i32(1))), List.of(main, g), Location.UNKNOWN);
    }

    @Test void genericFormMatchesMlirOpt() {
        String expected = """
                "builtin.module"() <{sym_name = "m"}> ({
                  "func.func"() <{function_type = (tensor<f32>, tensor<f32>) -> tensor<f32>, sym_name = "main", sym_visibility = "public"}> ({
                  ^bb0(%arg0: tensor<f32>, %arg1: tensor<f32>):
                    %1 = "t.add"(%arg0, %arg1) : (tensor<f32>, tensor<f32>) -> tensor<f32>
                    %2:2 = "t.reduce"(%1, %arg1) <{dimensions = array<i64: 0>}> ({
                    ^bb0(%arg3: tensor<f32>, %arg4: tensor<f32>):
                      %6 = "t.add"(%arg3, %arg4) : (tensor<f32>, tensor<f32>) -> tensor<f32>
                      "t.return"(%6) : (tensor<f32>) -> ()
                    }, {
                    ^bb0(%arg2: tensor<f32>):
                      %5 = "t.neg"(%arg2) : (tensor<f32>) -> tensor<f32>
                      "t.return"(%5) : (tensor<f32>) -> ()
                    }) {x.y = 1 : i32} : (tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
                    %3 = "t.empty"() ({
                    ^bb0:
                    }) : () -> tensor<f32>
                    %4 = "t.after"(%2#1) : (tensor<f32>) -> tensor<f32>
                    "func.return"(%4) : (tensor<f32>) -> ()
                  }) : () -> ()
                  "func.func"() <{function_type = () -> (), sym_name = "g", sym_visibility = "private"}> ({
                    %0 = "t.c"() : () -> tensor<f32>
                    "func.return"() : () -> ()
                  }) : () -> ()
                }) {mhlo.num_partitions = 1 : i32} : () -> ()
                """;
        assertThat(MlirPrinter.print(nestedModule(), PrintOptions.GENERIC)).isEqualTo(expected);
    }

    @Test void prettyNumberingRestartsPerFunctionAndSiblingRegion() {
        // mlir-opt's default print of the same module, except func.func (not registered in this test
        // setting, so generic) : values restart per function, sibling regions share the counters' state.
        String printed = MlirPrinter.print(nestedModule());
        assertThat(printed).startsWith("module @m attributes {mhlo.num_partitions = 1 : i32} {\n");
        assertThat(printed).contains("""
                    %0 = "t.add"(%arg0, %arg1) : (tensor<f32>, tensor<f32>) -> tensor<f32>
                    %1:2 = "t.reduce"(%0, %arg1) <{dimensions = array<i64: 0>}> ({
                    ^bb0(%arg2: tensor<f32>, %arg3: tensor<f32>):
                      %4 = "t.add"(%arg2, %arg3) : (tensor<f32>, tensor<f32>) -> tensor<f32>
                      "t.return"(%4) : (tensor<f32>) -> ()
                    }, {
                    ^bb0(%arg2: tensor<f32>):
                      %4 = "t.neg"(%arg2) : (tensor<f32>) -> tensor<f32>
                      "t.return"(%4) : (tensor<f32>) -> ()
                    }) {x.y = 1 : i32} : (tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
                    %2 = "t.empty"() ({
                    ^bb0:
                    }) : () -> tensor<f32>
                    %3 = "t.after"(%1#1) : (tensor<f32>) -> tensor<f32>
                """);
        assertThat(printed).contains("""
                    %0 = "t.c"() : () -> tensor<f32>
                """);
        assertThat(printed).endsWith("}\n");
    }

    @Test void namedResultsShareOneConflictCounterPerScope() {
        Operation f = func("main", "public", List.of(), List.of(), fb -> {
            Operation c1 = Operation.builder("ptest.cst").property("value", IntegerAttr.i32(1)).resultTypes(F).build();
            Operation f1 = Operation.builder("ptest.cst").property("value", new io.hlo4j.mlir.attr.FloatAttr(1, FloatType.F32)).resultTypes(F).build();
            Operation f2 = Operation.builder("ptest.cst").property("value", new io.hlo4j.mlir.attr.FloatAttr(2, FloatType.F32)).resultTypes(F).build();
            Operation c2 = Operation.builder("ptest.cst").property("value", IntegerAttr.i32(2)).resultTypes(F).build();
            Operation add = op("ptest.add", List.of(c1.result(), f1.result()), List.of(F));
            Operation pair = op("ptest.pair", List.of(add.result()), List.of(F, F));
            Operation use = op("t.use", List.of(pair.result(1), f2.result(), c2.result()), List.of(F, F, F));
            Operation use2 = op("t.use2", List.of(use.result(2)), List.of());
            return List.of(c1, f1, f2, c2, add, pair, use, use2);
        });
        String printed = MlirPrinter.print(Module.of(null, null, List.of(f), Location.UNKNOWN));
        assertThat(printed).contains("""
                    %c = ptest.cst 1 : tensor<f32>
                    %cst = ptest.cst 1.000000e+00 : tensor<f32>
                    %cst_0 = ptest.cst 2.000000e+00 : tensor<f32>
                    %c_1 = ptest.cst 2 : tensor<f32>
                    %0 = ptest.add %c, %cst : tensor<f32>
                    %values, %indices = "ptest.pair"(%0) : (tensor<f32>) -> (tensor<f32>, tensor<f32>)
                    %1:3 = "t.use"(%indices, %cst_0, %c_1) : (tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<f32>)
                    "t.use2"(%1#2) : (tensor<f32>) -> ()
                """);
        assertThat(printed).startsWith("module {\n");
    }

    @Test void blockArgumentStemsAndSiblingRegionsRestartTheConflictCounter() {
        Operation f = func("main", "public", List.of(F, F), List.of(), fb -> {
            Operation outer = Operation.builder("ptest.cst").property("value", new io.hlo4j.mlir.attr.FloatAttr(1, FloatType.F32)).resultTypes(F).build();
            Operation loop = Operation.builder("ptest.loop").operands(fb.arguments()).resultTypes(F, F)
                    .region(region(List.of(F, F), args -> {
                        Operation c = Operation.builder("ptest.cst").property("value", new io.hlo4j.mlir.attr.FloatAttr(2, FloatType.F32)).resultTypes(F).build();
                        return List.of(c, op("t.ret", List.of(args.get(1), c.result()), List.of()));
                    }))
                    .region(region(List.of(F, F), args -> {
                        Operation c = Operation.builder("ptest.cst").property("value", new io.hlo4j.mlir.attr.FloatAttr(3, FloatType.F32)).resultTypes(F).build();
                        Operation s = op("ptest.add", List.of(args.get(0), c.result()), List.of(F));
                        return List.of(c, s, op("t.ret", List.of(s.result(), outer.result()), List.of()));
                    })).build();
            return List.of(outer, loop, op("t.ret", List.of(loop.result(1)), List.of()));
        });
        String printed = MlirPrinter.print(Module.of(null, null, List.of(f), Location.UNKNOWN));
        assertThat(printed).contains("""
                    %cst = ptest.cst 1.000000e+00 : tensor<f32>
                    %0:2 = ptest.loop(%arg0, %arg1)
                     cond {
                      %cst_1 = ptest.cst 2.000000e+00 : tensor<f32>
                      "t.ret"(%iterArg_0, %cst_1) : (tensor<f32>, tensor<f32>) -> ()
                    } do {
                      %cst_1 = ptest.cst 3.000000e+00 : tensor<f32>
                      %1 = ptest.add %iterArg, %cst_1 : tensor<f32>
                      "t.ret"(%1, %cst) : (tensor<f32>, tensor<f32>) -> ()
                    }
                    "t.ret"(%0#1) : (tensor<f32>) -> ()
                """);
    }

    @Test void laterBlocksAreLabelledAndTheirArgumentsNumbered() {
        Block.Builder b0 = Block.builder();
        Operation a = op("t.a", List.of(), List.of(io.hlo4j.mlir.types.IntegerType.I32));
        b0.append(a);
        b0.append(op("t.br", List.of(), List.of()));
        Block.Builder b1 = Block.builder();
        BlockArgument x = b1.addArgument(io.hlo4j.mlir.types.IntegerType.I32);
        b1.addArgument(io.hlo4j.mlir.types.IntegerType.I32);
        Operation bop = op("t.b", List.of(x, a.result()), List.of(io.hlo4j.mlir.types.IntegerType.I32));
        b1.append(bop);
        b1.append(op("t.ret", List.of(bop.result()), List.of()));
        Region second = region(List.of(io.hlo4j.mlir.types.IntegerType.I32), args -> List.of(op("t.ret", args, List.of())));
        Operation f = Operation.builder("t.f").region(new Region(List.of(b0.build(), b1.build()))).region(second).build();
        // mlir-opt --allow-unregistered-dialect (default and generic print alike)
        String expected = """
                module {
                  "t.f"() ({
                    %0 = "t.a"() : () -> i32
                    "t.br"() : () -> ()
                  ^bb1(%1: i32, %2: i32):  // no predecessors
                    %3 = "t.b"(%1, %0) : (i32, i32) -> i32
                    "t.ret"(%3) : (i32) -> ()
                  }, {
                  ^bb0(%arg0: i32):
                    "t.ret"(%arg0) : (i32) -> ()
                  }) : () -> ()
                }
                """;
        assertThat(MlirPrinter.print(Module.of(null, null, List.of(f), Location.UNKNOWN))).isEqualTo(expected);
    }

    @Test void locationsInline() {
        Block.Builder b = Block.builder();
        b.addArgument(F, new Location.FileLineCol("x.py", 3, 1));
        b.append(Operation.builder("t.ret").operand(b.arguments().get(0)).location(new Location.Named("n", Location.UNKNOWN)).build());
        Operation g = Operation.builder("t.g").region(Region.of(b.build())).location(new Location.FileLineCol("a.mlir", 1, 2)).build();
        String printed = MlirPrinter.print(g, PrintOptions.DEFAULT.withLocations(true));
        assertThat(printed).isEqualTo("""
                "t.g"() ({
                ^bb0(%arg0: tensor<f32> loc("x.py":3:1)):
                  "t.ret"(%arg0) : (tensor<f32>) -> () loc("n")
                }) : () -> () loc("a.mlir":1:2)
                """);
    }

    @Test void everyLocationKindPrintsAsMlirOptDoes() {
        // mlir-opt -mlir-print-debuginfo -mlir-print-local-scope on the same locations
        Location fa = new Location.FileLineCol("f.py", 1, 2);
        Location ga = new Location.FileLineCol("g.py", 3, 4);
        List<Location> locs = List.of(new Location.FileLineCol("f.py", 1, 2, 3, 4), new Location.FileLineCol("f.py", 1, 2, 0, 4),
                new Location.Named("nm", fa), new Location.CallSite(fa, ga), new Location.Fused(List.of(fa, ga), null),
                new Location.Fused(List.of(fa), new StringAttr("meta")), new Location.Named("only", Location.UNKNOWN),
                Location.UNKNOWN);
        List<String> expected = List.of("loc(\"f.py\":1:2 to 3:4)", "loc(\"f.py\":1:2 to :4)", "loc(\"nm\"(\"f.py\":1:2))",
                "loc(callsite(\"f.py\":1:2 at \"g.py\":3:4))", "loc(fused[\"f.py\":1:2, \"g.py\":3:4])",
                "loc(fused<\"meta\">[\"f.py\":1:2])", "loc(\"only\")", "loc(unknown)");
        for (int i = 0; i < locs.size(); i++) {
            Operation o = Operation.builder("a.b").location(locs.get(i)).build();
            assertThat(MlirPrinter.print(o, PrintOptions.DEFAULT.withLocations(true)))
                    .isEqualTo("\"a.b\"() : () -> () " + expected.get(i) + "\n");
        }
    }

    @Test void valuesFromOutsideASingleOpPrintAsUnknown() {
        Block.Builder b = Block.builder();
        BlockArgument a = b.addArgument(F);
        Operation use = op("t.use", List.of(a), List.of());
        b.append(use);
        b.build();
        assertThat(MlirPrinter.print(use, PrintOptions.DEFAULT)).isEqualTo("\"t.use\"(<<UNKNOWN SSA VALUE>>) : (tensor<f32>) -> ()\n");
    }

    @Test void aFailingPrettyPrinterIsNamed() {
        Operation broken = Operation.builder("ptest.broken").location(new Location.FileLineCol("b.mlir", 4, 2)).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MlirPrinter.print(broken, PrintOptions.DEFAULT))
                .isInstanceOf(io.hlo4j.mlir.ir.Hlo4jException.class)
                .hasMessageStartingWith("cannot print 'ptest.broken' in its pretty form: java.lang.NullPointerException")
                .satisfies(e -> assertThat(((io.hlo4j.mlir.ir.Hlo4jException) e).format()).startsWith("b.mlir:4:2: "));
        // The generic form needs no syntax.
        assertThat(MlirPrinter.print(broken, PrintOptions.GENERIC)).isEqualTo("\"ptest.broken\"() : () -> ()\n");
    }

    @Test void sanitizesNameStems() {
        assertThat(SsaNames.sanitize("cst")).isEqualTo("cst");
        assertThat(SsaNames.sanitize("0x")).isEqualTo("_0x");
        assertThat(SsaNames.sanitize("a b")).isEqualTo("a_b");
        assertThat(SsaNames.sanitize("a/b")).isEqualTo("a2Fb");
    }
}
