package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The combiner a short-form reduce ({@code applies stablehlo.add}) stands for carries the reduce's location. */
class ReduceShortFormLocationTest {
    static Operation reduce(Module m) {
        return m.functions().get(0).regions().get(0).blocks().get(0).operations().stream()
                .filter(o -> o.name().equals("stablehlo.reduce")).findFirst().orElseThrow();
    }

    /** Every location in the reduce's region: block arguments and ops. */
    static List<Location> bodyLocations(Operation reduce) {
        List<Location> out = new ArrayList<>();
        Block b = reduce.regions().get(0).blocks().get(0);
        for (BlockArgument a : b.arguments()) out.add(a.location());
        for (Operation o : b.operations()) out.add(o.location());
        return out;
    }

    static String module(String reduceLoc, String aliases) {
        return aliases + "func.func @main(%arg0: tensor<4x8xf32>, %arg1: tensor<f32>) -> tensor<4xf32> {\n"
                + "  %0 = stablehlo.reduce(%arg0 init: %arg1) applies stablehlo.maximum across dimensions = [1]"
                + " : (tensor<4x8xf32>, tensor<f32>) -> tensor<4xf32>" + reduceLoc + "\n"
                + "  return %0 : tensor<4xf32>\n}\n";
    }

    @Test
    void anAliasedLocReachesEveryOpAndArgumentOfTheCombiner() {
        Operation r = reduce(MlirParser.parseModule(module(" loc(#loc3)", "#loc3 = loc(\"Model.java\":42:0)\n"), "m.mlir"));
        Location want = new Location.FileLineCol("Model.java", 42, 0);
        assertThat(r.location()).isEqualTo(want);
        List<Location> body = bodyLocations(r);
        assertThat(body).hasSize(4).containsOnly(want);       // two arguments, maximum, return
        assertThat(r.regions().get(0).blocks().get(0).operations().get(0).name()).isEqualTo("stablehlo.maximum");
    }

    @Test
    void anInlineLocToo() {
        Operation r = reduce(MlirParser.parseModule(module(" loc(\"Loss.java\":7:0)", ""), "m.mlir"));
        Location want = new Location.FileLineCol("Loss.java", 7, 0);
        assertThat(r.location()).isEqualTo(want);
        assertThat(bodyLocations(r)).hasSize(4).containsOnly(want);
    }

    @Test
    void withoutALocTheCombinerSitsOnTheReducesLineOfTheSourceFile() {
        Operation r = reduce(MlirParser.parseModule(module("", ""), "m.mlir"));
        assertThat(r.location()).isInstanceOf(Location.FileLineCol.class);
        Location.FileLineCol op = (Location.FileLineCol) r.location();
        assertThat(op.file()).isEqualTo("m.mlir");
        assertThat(op.line()).isEqualTo(2);
        for (Location l : bodyLocations(r)) {
            assertThat(l).isInstanceOf(Location.FileLineCol.class);
            assertThat(((Location.FileLineCol) l).file()).isEqualTo("m.mlir");
            assertThat(((Location.FileLineCol) l).line()).isEqualTo(2);
        }
    }
}
