package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JAX writes {@code loc(unknown)} (often through {@code #loc1 = loc(unknown)}) on returns, constants and functions; an
 * op parsed under it keeps where in the text it was parsed, so that its refusal names file:line:col of that op (not
 * the enclosing function's, not nothing), while the location stays unknown for printing and comparison. Lines and
 * columns below are counted by hand in the texts (the op's first token: its result name, or the op name).
 */
class UnknownLocationPlaceTest {
    /** A JAX-style module: every op, the function and the module under #loc1 = loc(unknown). */
    static final String RETURN = """
            #loc1 = loc(unknown)
            module @jit_f attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4xf32> loc(unknown)) -> (tensor<8xf32>) {
                %0 = stablehlo.add %arg0, %arg0 : tensor<4xf32> loc(#loc1)
                return %0 : tensor<4xf32> loc(#loc1)
              } loc(#loc1)
            } loc(#loc1)
            """;

    static final String CONSTANT = """
            #loc1 = loc(unknown)
            module @jit_f {
              func.func public @main() -> (tensor<4xf64>) {
                %c = "stablehlo.constant"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf64> loc(#loc1)
                return %c : tensor<4xf64> loc(#loc1)
              } loc(#loc1)
            } loc(#loc1)
            """;

    static final String NESTED = """
            #loc1 = loc(unknown)
            module @jit_f {
              func.func public @main(%arg0: tensor<4xi32> loc(unknown)) -> (tensor<i32>) {
                %cst = stablehlo.constant dense<0> : tensor<i32> loc(#loc1)
                %0 = stablehlo.reduce(%arg0 init: %cst) across dimensions = [0] : (tensor<4xi32>, tensor<i32>) -> tensor<i32>
                 reducer(%a: tensor<i32> loc(unknown), %b: tensor<i32> loc(unknown))  {
                  %s = stablehlo.add %a, %b : tensor<i32> loc(#loc1)
                  %t = stablehlo.sine %s : tensor<i32> loc(#loc1)
                  stablehlo.return %t : tensor<i32> loc(#loc1)
                } loc(#loc1)
                return %0 : tensor<i32> loc(#loc1)
              } loc(#loc1)
            } loc(#loc1)
            """;

    private static void refusedAt(String text, String op, String place) {
        Module m = MlirParser.parseModule(text, "jax.mlir");
        assertThatThrownBy(() -> ModuleVerifier.verify(m)).isInstanceOfSatisfying(VerificationException.class, e -> {
            assertThat(e.opName()).isEqualTo(op);
            assertThat(e.location()).isInstanceOf(Location.Unknown.class);   // still unknown: only the place is added
            assertThat(e.location().describe()).isEqualTo(place);
            assertThat(e.format()).startsWith(place + ": '" + op + "' op ");
        });
    }

    @Test void aBadReturnNamesItsLine() {
        refusedAt(RETURN, "func.return", "jax.mlir:5:5");
    }

    @Test void aBadConstantNamesItsLine() {
        refusedAt(CONSTANT, "stablehlo.constant", "jax.mlir:4:5");
    }

    @Test void aBadOpInANestedRegionNamesItsLine() {
        refusedAt(NESTED, "stablehlo.sine", "jax.mlir:8:7");
    }

    @Test void theLocationStaysUnknownForPrintingAndComparison() {
        String ok = RETURN.replace("tensor<8xf32>", "tensor<4xf32>");
        Module m = MlirParser.parseModule(ok, "jax.mlir");
        ModuleVerifier.verify(m);
        List<Operation> ops = new ArrayList<>();
        Walker.walk(m.op(), ops::add);
        for (Operation op : ops) {
            assertThat(op.location()).isEqualTo(Location.UNKNOWN).hasSameHashCodeAs(Location.UNKNOWN);
            assertThat(op.location().text()).isEqualTo("loc(unknown)");
        }
        assertThat(ops.stream().map(o -> o.name() + "@" + o.location().describe()).toList())
                .containsExactly("builtin.module@jax.mlir:2:1", "func.func@jax.mlir:3:3", "stablehlo.add@jax.mlir:4:5", "func.return@jax.mlir:5:5");
        String printed = MlirPrinter.print(m, PrintOptions.DEFAULT.withLocations(true));
        assertThat(printed).contains("return %0 : tensor<4xf32> loc(unknown)").doesNotContain("jax.mlir");
    }

    @Test void anUnparsedUnknownLocationNamesNoPlace() {
        assertThat(Location.UNKNOWN.isPlaced()).isFalse();
        assertThat(new Hlo4jException("m", Location.UNKNOWN).format()).isEqualTo("m");
        Location placed = new Location.Unknown(new Location.FileLineCol("f.mlir", 3, 7));
        assertThat(placed.isPlaced()).isTrue();
        assertThat(new Hlo4jException("m", placed).format()).isEqualTo("f.mlir:3:7: m");
    }
}
