package io.hlo4j.compiler.spmd.userjourney;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Inline meshes ({@code #sdy.sharding<mesh<["x"=2, "y"=2]>, [...]>}): one equal to a declared mesh (same axes, same
 * device order) is that mesh; another is a mesh of its own over the same devices; one over a different number of
 * devices is refused by name. Each runs on 4 simulated devices against the global program, bit for bit.
 */
class InlineMeshTest {
    private static final String T = "tensor<8x16xf32>";
    private static final String NEGATE = "    %0 = stablehlo.negate %arg0 : " + T + "\n    return %0 : " + T;

    private static String module(String meshDecl, String arg, String result) {
        return "module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {\n" + meshDecl
                + "  func.func public @main(%arg0: " + T + " {sdy.sharding = #sdy.sharding<" + arg + ">}) -> (" + T
                + " {sdy.sharding = #sdy.sharding<" + result + ">}) {\n" + NEGATE + "\n  }\n}\n";
    }

    private static final String DECLARED = "  sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n";

    private static SpmdRun runAgainstGlobal(PartitionedProgram p, String text) {
        HostArray x = UnreducedShardingTest.ints(8, 16, 3);
        assertThat(MlirPrinter.print(p.module())).doesNotContain("sdy.");
        SpmdRun run = SpmdRunner.run(p.module(), p.meshes(), List.of(x), p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(text, "oracle.mlir")).runHost("main", List.of(x)).get(0);
        assertThat(run.results().get(0).allClose(want, 0, 0)).as("bit-exact against the global program").isTrue();
        return run;
    }

    @Test
    void anInlineMeshEqualToTheDeclaredOneIsThatMesh() {
        String text = module(DECLARED, "mesh<[\"x\"=2, \"y\"=2]>, [{\"x\"}, {\"y\"}]", "@mesh, [{\"x\"}, {\"y\"}]");
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(p.meshes()).containsOnlyKeys("mesh");
        assertThat(p.argShardings().get(0).meshName()).isEqualTo("mesh");
        // same mesh, same layout: nothing moves
        assertThat(runAgainstGlobal(p, text).log()).isEmpty();
    }

    @Test
    void anInlineMeshWithAnotherDeviceOrderIsAMeshOfItsOwn() {
        // device_ids reversed: the block device d holds on the inline mesh is the one device 3-d holds on @mesh
        String text = module(DECLARED, "mesh<[\"x\"=2, \"y\"=2], device_ids=[3, 2, 1, 0]>, [{\"x\"}, {\"y\"}]", "@mesh, [{\"x\"}, {\"y\"}]");
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(p.meshes()).hasSize(2).containsKey("mesh");
        SpmdRun run = runAgainstGlobal(p, text);
        // every device's [4,8] f32 block (128 B) comes from another device
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(128, 128, 128, 128);
        assertThat(run.log()).extracting(CollectiveRecord::op).containsOnly("stablehlo.collective_permute");
    }

    @Test
    void aModuleWithOnlyInlineMeshesRuns() {
        String mesh = "mesh<[\"x\"=2, \"y\"=2]>";
        String text = module("", mesh + ", [{\"x\"}, {}]", mesh + ", [{}, {\"y\"}]");
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        assertThat(p.meshes()).hasSize(1);
        SpmdRun run = runAgainstGlobal(p, text);
        // x leaves dim 0 and y joins dim 1: one all_to_all or gather-and-slice, never more than the [8,16] f32 whole
        assertThat(run.maxBytesReceived(4)).isPositive().isLessThanOrEqualTo(512);
    }

    @Test
    void anInlineMeshOverOtherDevicesIsRefusedByName() {
        String text = module(DECLARED, "mesh<[\"x\"=2, \"y\"=4]>, [{\"x\"}, {\"y\"}]", "@mesh, [{\"x\"}, {\"y\"}]");
        Module m = MlirParser.parseModule(text, "f.mlir");
        assertThatThrownBy(() -> Spmd.explicit(m)).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("inline mesh").hasMessageContaining("8 devices").hasMessageContaining("@mesh has 4");
    }

    @Test
    void inlineMeshShardingsPrintAndParseBack() {
        String text = module(DECLARED, "mesh<[\"x\"=2, \"y\"=2], device_ids=[3, 2, 1, 0]>, [{\"x\"}, {\"y\"}]", "@mesh, [{\"x\"}, {\"y\"}]");
        String printed = MlirPrinter.print(MlirParser.parseModule(text, "f.mlir"));
        assertThat(printed).contains("#sdy.sharding<mesh<[\"x\"=2, \"y\"=2], device_ids=[3, 2, 1, 0]>, [{\"x\"}, {\"y\"}]>");
        assertThat(MlirPrinter.print(MlirParser.parseModule(printed, "again.mlir"))).isEqualTo(printed);
    }
}
