package io.hlo4j.cli.shardingjourney;

import static io.hlo4j.cli.shardingjourney.MoeBlock.*;

import io.hlo4j.dsl.shard.SimulatedRun;
import org.junit.jupiter.api.Test;

class TmpDumpCollectivesTest {
    @Test
    void dump() throws Exception {
        SimulatedRun run = MoeBlock5dJourneyTest.gradJit(mesh(1, 2, 2, 2, 1)).callSimulated(params(11), input(12));
        StringBuilder sb = new StringBuilder();
        for (MoeBlock5dJourneyTest.Coll c : MoeBlock5dJourneyTest.collectives(run)) sb.append(c.kind()).append(' ').append(c.loc()).append(' ').append(c.axes()).append(' ').append(c.bytes()).append('\n');
        sb.append("report ").append(run.program().report()).append('\n');
        java.nio.file.Files.writeString(java.nio.file.Path.of("/tmp/dce/colls.txt"), sb.toString());
        java.nio.file.Files.writeString(java.nio.file.Path.of("/tmp/dce/device.mlir"), io.hlo4j.mlir.print.MlirPrinter.print(run.program().module()));
    }
}
