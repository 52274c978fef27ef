package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link CallGraph}: which ops are calls, and the cycle search (checked against chains written out by hand). */
class CallGraphTest {
    private static CallGraph.Cycle cycle(Module m, Set<Operation> acyclic) {
        SymbolTable symbols = m.symbols(); // built once: Module.symbols() makes a new table on each call
        return CallGraph.findCycle(symbols.lookup("main"), c -> {
            Operation f = symbols.lookup(c.callee());
            return f != null && f.name().equals("func.func") ? f : null;
        }, acyclic);
    }

    private static Set<Operation> fresh() { return Collections.newSetFromMap(new IdentityHashMap<>()); }

    /** The review's case: @main names itself in a discardable attribute, twice; nothing runs it again. */
    @Test void aSymbolInAnAttributeIsNoCall() {
        Module m = MlirParser.parseModule("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @g(%a) {my.note = @main} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @g(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %a, %a {my.note = @main} : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """, "note.mlir");
        assertThat(CallGraph.in(m.symbols().lookup("main"))).extracting(CallGraph.Call::callee).containsExactly("g");
        assertThat(CallGraph.in(m.symbols().lookup("g"))).isEmpty();
        Set<Operation> acyclic = fresh();
        assertThat(cycle(m, acyclic)).isNull();
        assertThat(acyclic).containsExactlyInAnyOrder(m.symbols().lookup("main"), m.symbols().lookup("g"));
    }

    /** @main reaches @g twice (directly and through @h); @loop calls itself but nothing calls @loop. */
    @Test void aDiamondAndAnUnusedSelfRecursiveFunctionAreAccepted() {
        Module m = MlirParser.parseModule("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @g(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  %1 = func.call @h(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  return %1 : tensor<2xf32>
                }
                func.func private @h(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @g(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @g(%a: tensor<2xf32>) -> tensor<2xf32> {
                  return %a : tensor<2xf32>
                }
                func.func private @loop(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @loop(%a) : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """, "diamond.mlir");
        assertThat(cycle(m, fresh())).isNull();
        CallGraph.Cycle loop = CallGraph.findCycle(m.symbols().lookup("loop"), c -> m.symbols().lookup(c.callee()), fresh());
        assertThat(loop.describe()).isEqualTo("recursive call chain @loop -> @loop (func.call @loop in @loop); StableHLO functions cannot recurse");
    }

    /** A composite's decomposition and run_parallel's programs and infeed functions are calls; the chain is named in order. */
    @Test void compositesAndRunParallelAreCalls() {
        Module m = MlirParser.parseModule("""
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.composite "my.op" %a {decomposition = @dec} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @dec(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %t = stablehlo.after_all : !stablehlo.token
                  %r:2 = "interpreter.run_parallel"(%t) {infeed = [@feed], programs = [[@p]]} : (!stablehlo.token) -> (tensor<2xi64>, !stablehlo.token)
                  return %a : tensor<2xf32>
                }
                func.func private @p(%t: !stablehlo.token) -> (tensor<2xi64>, !stablehlo.token) {
                  %q = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
                  func.return %q, %t : tensor<2xi64>, !stablehlo.token
                }
                func.func private @feed() -> tensor<2xi64> {
                  %c = stablehlo.constant dense<1.0> : tensor<2xf32>
                  %0 = stablehlo.composite "my.op" %c {decomposition = @dec} : (tensor<2xf32>) -> tensor<2xf32>
                  %q = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
                  func.return %q : tensor<2xi64>
                }
                """, "composite.mlir");
        assertThat(CallGraph.in(m.symbols().lookup("dec"))).extracting(c -> c.attr() + " @" + c.callee())
                .containsExactly("programs @p", "infeed @feed");
        CallGraph.Cycle c = cycle(m, fresh());
        assertThat(c.describe()).isEqualTo("recursive call chain @main -> @dec -> @feed -> @dec (stablehlo.composite @dec in @feed); "
                + "StableHLO functions cannot recurse");
        assertThat(c.closing().site().location().describe()).startsWith("composite.mlir:16:");
    }

    /** A chain of 20,000 functions, each calling the next: searched without a stack overflow, each call resolved once. */
    @Test void aLongAcyclicChainIsSearchedIteratively() {
        int n = 20_000;
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String name = i == 0 ? "main" : "f" + i;
            text.append("func.func ").append(i == 0 ? "" : "private ").append('@').append(name).append("(%a: tensor<f32>) -> tensor<f32> {\n");
            if (i + 1 < n) text.append("  %0 = func.call @f").append(i + 1).append("(%a) : (tensor<f32>) -> tensor<f32>\n  return %0 : tensor<f32>\n}\n");
            else text.append("  return %a : tensor<f32>\n}\n");
        }
        Module m = MlirParser.parseModule(text.toString(), "chain.mlir");
        int[] resolved = {0};
        Set<Operation> acyclic = fresh();
        SymbolTable symbols = m.symbols();
        CallGraph.Cycle c = CallGraph.findCycle(symbols.lookup("main"), call -> { resolved[0]++; return symbols.lookup(call.callee()); }, acyclic);
        assertThat(c).isNull();
        assertThat(resolved[0]).isEqualTo(n - 1);
        assertThat(acyclic).hasSize(n);
        // closing the chain (the last calls @main) is found and named from @main, 20,001 names long
        Module closed = MlirParser.parseModule(text.toString().replace("  return %a : tensor<f32>\n}\n",
                "  %0 = func.call @main(%a) : (tensor<f32>) -> tensor<f32>\n  return %0 : tensor<f32>\n}\n"), "closed.mlir");
        CallGraph.Cycle loop = cycle(closed, fresh());
        assertThat(loop.chain()).hasSize(n + 1).startsWith("main", "f1").endsWith("f" + (n - 1), "main");
        assertThat(loop.caller()).isEqualTo("f" + (n - 1));
        assertThat(List.of(loop.closing().attr())).containsExactly("callee");
    }
}
