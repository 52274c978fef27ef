package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where a diagnostic says an op is, for every form of location MLIR allows: the first file:line:col it holds (as MLIR's
 * diagnostics show one), the name in front; a location with no file parsed from text adds where it was written; one
 * built with no file and no text is shown as MLIR prints it ({@code "x"}). Printing keeps each location as written.
 * Lines and columns are counted by hand in {@link #TEXT}.
 */
class NamedLocationTest {
    static final String TEXT = """
            module {
              func.func @main(%a: tensor<f32>) -> tensor<f32> {
                %0 = stablehlo.add %a, %a : tensor<f32> loc("x")
                %1 = stablehlo.add %0, %a : tensor<f32> loc("y"("m.py":3:4))
                %2 = stablehlo.add %1, %a : tensor<f32> loc(callsite("f"("a.py":1:2) at "b.py":5:6))
                %3 = stablehlo.add %2, %a : tensor<f32> loc(callsite(unknown at "b.py":7:8))
                %4 = stablehlo.add %3, %a : tensor<f32> loc(fused[unknown, "c.py":9:10, "d.py":1:1])
                %5 = stablehlo.add %4, %a : tensor<f32> loc(fused<"meta">["n"])
                %6 = stablehlo.add %5, %a : tensor<f32> loc("outer"("inner"))
                %7 = stablehlo.add %6, %a : tensor<f32> loc(#named)
                return %7 : tensor<f32>
              }
            }
            #named = loc("aliased")
            """;

    private static List<Operation> adds(Module m) {
        return m.functions().get(0).region(0).entry().operations().stream().filter(o -> o.name().equals("stablehlo.add")).toList();
    }

    @Test void eachFormSaysWhereTheOpIs() {
        List<String> got = adds(MlirParser.parseModule(TEXT, "t.mlir")).stream().map(o -> o.location().describe()).toList();
        assertThat(got).containsExactly(
                "x at t.mlir:3:5",                         // a name alone: the name, where it was written
                "y at m.py:3:4",                           // a name and its child's place
                "f at a.py:1:2 called from b.py:5:6",      // callee, then caller
                "called from b.py:7:8",                    // an unknown callee: the caller
                "c.py:9:10",                               // the first member with a file
                "n at t.mlir:8:5",                         // no file in the fusion: its first member, where written
                "outer at inner at t.mlir:9:5",            // nested names
                "aliased at t.mlir:10:5");                 // through an alias, as written at the op
    }

    @Test void aLocationBuiltWithoutTextIsShownAsMlirPrintsIt() {
        assertThat(new Location.Named("hlo4j.builtin.mlp", Location.UNKNOWN).describe()).isEqualTo("\"hlo4j.builtin.mlp\"");
        assertThat(new Location.Named("a\"b", Location.UNKNOWN).describe()).isEqualTo("\"a\\\"b\"");
        assertThat(new Location.Named("outer", new Location.Named("inner", Location.UNKNOWN)).describe()).isEqualTo("\"outer\"(\"inner\")");
        assertThat(new Location.CallSite(Location.UNKNOWN, Location.UNKNOWN).isPlaced()).isFalse();
        assertThat(new Location.Fused(List.of(Location.UNKNOWN), null).isPlaced()).isFalse();
        assertThat(new Location.Fused(List.of(new Location.Named("n", Location.UNKNOWN)), null).describe()).isEqualTo("\"n\"");
    }

    @Test void aRefusalNamesTheNamedOpsPlace() {
        // %0's result type is wrong (i32 from f32 operands), and %1 no longer uses it
        String bad = TEXT.replace("%0 = stablehlo.add %a, %a : tensor<f32>", "%0 = stablehlo.add %a, %a : (tensor<f32>, tensor<f32>) -> tensor<i32>")
                .replace("%1 = stablehlo.add %0, %a : tensor<f32>", "%1 = stablehlo.add %a, %a : tensor<f32>");
        Module m = MlirParser.parseModule(bad, "t.mlir");
        assertThatThrownBy(() -> ModuleVerifier.verify(m)).isInstanceOfSatisfying(VerificationException.class,
                e -> assertThat(e.format()).startsWith("x at t.mlir:3:5: 'stablehlo.add' op "));
    }

    @Test void printingKeepsEachLocationAsWritten() {
        Module m = MlirParser.parseModule(TEXT, "t.mlir");
        String printed = MlirPrinter.print(m, new PrintOptions(false, true));
        for (String loc : List.of("loc(\"x\")", "loc(\"y\"(\"m.py\":3:4))", "loc(callsite(\"f\"(\"a.py\":1:2) at \"b.py\":5:6))",
                "loc(callsite(unknown at \"b.py\":7:8))", "loc(fused[unknown, \"c.py\":9:10, \"d.py\":1:1])", "loc(fused<\"meta\">[\"n\"])",
                "loc(\"outer\"(\"inner\"))", "loc(\"aliased\")")) {
            assertThat(printed).contains(loc);
        }
        Module again = MlirParser.parseModule(printed, "printed.mlir");
        assertThat(MlirPrinter.print(again, new PrintOptions(false, true))).isEqualTo(printed);
        assertThat(adds(again).stream().map(Operation::location).toList()).isEqualTo(adds(m).stream().map(Operation::location).toList());
    }

    /** A name over a call site whose callee is unknown: the name, then where it was called from (no "at called from"). */
    @Test void aNameOverACallSiteOfAnUnknownCallee() {
        Module m = MlirParser.parseModule("""
                module {
                  func.func @main(%a: tensor<f32>) -> tensor<f32> {
                    %0 = stablehlo.add %a, %a : tensor<f32> loc("n"(callsite(unknown at "b.py":1:1)))
                    %1 = stablehlo.add %0, %a : tensor<f32> loc("o"(callsite("f"("a.py":2:3) at "b.py":4:5)))
                    return %1 : tensor<f32>
                  }
                }
                """, "t.mlir");
        assertThat(adds(m).stream().map(o -> o.location().describe()).toList())
                .containsExactly("n called from b.py:1:1", "o at f at a.py:2:3 called from b.py:4:5");
        assertThat(new Location.Named("n", new Location.CallSite(Location.UNKNOWN, new Location.FileLineCol("b.py", 1, 1))).describe())
                .isEqualTo("n called from b.py:1:1");
    }

    /**
     * {@code fused[]} is {@code loc(unknown)}, as MLIR's FusedLoc::get makes it (mlir-opt 22 prints {@code loc(unknown)}),
     * so a diagnostic names where it was written; {@code fused<"m">[]} becomes {@code fused<"m">[unknown]} (mlir-opt's form
     * too), placed the same way.
     */
    @Test void anEmptyFusionIsUnknownWhereItWasWritten() {
        String text = """
                module {
                  func.func @main(%a: tensor<f32>) -> tensor<f32> {
                    %0 = stablehlo.add %a, %a : tensor<f32> loc(fused[])
                    %1 = stablehlo.add %0, %a : tensor<f32> loc(fused<"m">[])
                    return %1 : tensor<f32>
                  }
                }
                """;
        Module m = MlirParser.parseModule(text, "t.mlir");
        List<Operation> ops = adds(m);
        assertThat(ops.get(0).location()).isEqualTo(Location.UNKNOWN);
        assertThat(ops.stream().map(o -> o.location().describe()).toList()).containsExactly("t.mlir:3:5", "t.mlir:4:5");
        String printed = MlirPrinter.print(m, new PrintOptions(false, true));
        assertThat(printed).contains("%0 = stablehlo.add %arg0, %arg0 : tensor<f32> loc(unknown)\n")
                .contains("%1 = stablehlo.add %0, %arg0 : tensor<f32> loc(fused<\"m\">[unknown])\n");
        Module bad = MlirParser.parseModule(text.replace("%0 = stablehlo.add %a, %a : tensor<f32>",
                "%0 = stablehlo.add %a, %a : (tensor<f32>, tensor<f32>) -> tensor<i32>").replace("%1 = stablehlo.add %0, %a", "%1 = stablehlo.add %a, %a"), "t.mlir");
        assertThatThrownBy(() -> ModuleVerifier.verify(bad)).isInstanceOfSatisfying(VerificationException.class,
                e -> assertThat(e.format()).startsWith("t.mlir:3:5: 'stablehlo.add' op "));
    }
}
