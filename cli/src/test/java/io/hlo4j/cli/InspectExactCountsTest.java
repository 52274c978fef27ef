package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code inspect} on programs at the edges: collective_reduce's modes, and counts that do not fit in 64 bits. */
class InspectExactCountsTest {
    @TempDir Path dir;

    Cli.Run inspect(String mlir) throws IOException {
        Path f = dir.resolve("m.mlir");
        Files.writeString(f, mlir);
        return InspectCommandTest.run("inspect", f.toString());
    }

    /** Refused: exit 1, one line on stderr, naming what overflowed. */
    static void refusedInOneLine(Cli.Run r, String... names) {
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.FAILED);
        assertThat(r.err().strip().lines().count()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).startsWith("hlo4j: ").contains(names).doesNotContain("Exception");
    }

    /** 2 replicas x 2 partitions, flattened groups {0,3} and {1,2}: group size 2, half of 16 B received. */
    @Test void collectiveReduceWithGlobalDeviceIdsIsCounted() throws IOException {
        Cli.Run r = inspect("""
                module @c attributes {mhlo.num_replicas = 2 : i32, mhlo.num_partitions = 2 : i32} {
                  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
                    %r = "stablehlo.collective_reduce"(%x) ({
                    ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                      %s = stablehlo.add %a, %b : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) {replica_groups = dense<[[0, 3], [1, 2]]> : tensor<2x2xi64>,
                        channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<4xf32>) -> tensor<4xf32>
                    return %r : tensor<4xf32>
                  }
                }""");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("stablehlo.collective_reduce in @main", "group size 2, 8 B received per device");
    }
}
