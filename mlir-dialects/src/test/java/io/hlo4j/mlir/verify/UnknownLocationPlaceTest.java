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
import io.hlo4j.mlir.testing.JaxStyle;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JAX writes {@code loc(unknown)} (often through {@code #loc1 = loc(unknown)}) on returns, constants and functions; an
 * op parsed under it keeps where in the text it was parsed, so that its refusal names file:line:col of that op (not
 * the enclosing function's, not nothing), while the location stays unknown for printing and comparison. Lines and
 * columns are counted by hand in {@link JaxStyle}'s texts.
 */
class UnknownLocationPlaceTest {
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
        refusedAt(JaxStyle.RETURN, "func.return", "jax.mlir:5:5");
    }

    @Test void aBadConstantNamesItsLine() {
        refusedAt(JaxStyle.CONSTANT, "stablehlo.constant", "jax.mlir:4:5");
    }

    @Test void aBadOpInANestedRegionNamesItsLine() {
        refusedAt(JaxStyle.NESTED, "stablehlo.sine", "jax.mlir:8:7");
    }

    @Test void theLocationStaysUnknownForPrintingAndComparison() {
        String ok = JaxStyle.RETURN.replace("tensor<8xf32>", "tensor<4xf32>");
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
