package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code dump FILE} (the explicit program, its default) of a per-device program written before {@code dump --emit
 * explicit} marked it {@code hlo4j.per_device_program} (today's dump with the mark removed by hand): the module reads as
 * a global program, and the partitioner refuses its all_reduce (a collective outside a manual computation). The refusal
 * now says what the module likely is, as {@code run --spmd}'s does ({@link RunChecks#perDeviceHint}; RunUnmarkedPerDeviceTest).
 * A global module whose mesh is used keeps the partitioner's refusal as it was, and the marked dump its own refusal.
 */
class DumpUnmarkedPerDeviceTest {
    @TempDir Path dir;

    private static final String REFUSED = "'stablehlo.all_reduce' is a collective outside a manual computation; a global program names "
            + "collectives only inside sdy.manual_computation";

    @Test
    void anUnmarkedExplicitDumpIsRefusedWithTheHint() throws IOException {
        Path exp = dir.resolve("exp.mlir"), old = dir.resolve("old.mlir");
        Cli.Run d = Cli.run("dump", "mlp-regression", "--mesh", "dp=2", "--emit", "explicit", "-o", exp.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        String text = Files.readString(exp);
        assertThat(text).contains("hlo4j.per_device_program, ");
        Files.writeString(old, text.replace("hlo4j.per_device_program, ", ""));
        int line = text.lines().toList().indexOf(text.lines().filter(l -> l.contains("\"stablehlo.all_reduce\"")).findFirst().orElseThrow()) + 1;

        Cli.Run r = Cli.run("dump", old.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hlo4j: " + old + ":" + line + ":5: " + REFUSED + "; its sdy.mesh @mesh is used by nothing in it, and it "
                + "talks across devices: it looks like a per-device program written by 'hlo4j dump --emit explicit' before dumps carried the mark "
                + "hlo4j.per_device_program, so it is partitioned already. Run it with --devices 2 and each device's blocks, or dump it again "
                + "('hlo4j dump ... --mesh ... --emit explicit' marks it)\n");
        // the same with --emit explicit said
        assertThat(Cli.run("dump", old.toString(), "--emit", "explicit").err()).isEqualTo(r.err());

        // the marked dump: its own refusal, unchanged
        Cli.Run m = Cli.run("dump", exp.toString());
        assertThat(m.code()).isEqualTo(1);
        assertThat(m.err()).isEqualTo("hlo4j: " + exp + ":2:3: a per-device program (dump --emit explicit): its sdy.mesh @mesh is used by no "
                + "sdy.sharding, so there is nothing to partition; run it with --devices 2\n");
    }

    @Test
    void aGlobalModuleWithACollectiveKeepsThePlainRefusal() throws IOException {
        // the mesh is used (x split over it): a global program, whose collective outside a manual computation is refused as before
        Path g = Files.writeString(dir.resolve("global.mlir"), """
                module {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<4xf32> {
                    %0 = "stablehlo.all_reduce"(%a) <{replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>}> ({
                    ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                      %s = stablehlo.add %x, %y : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) : (tensor<4xf32>) -> tensor<4xf32>
                    return %0 : tensor<4xf32>
                  }
                }
                """);
        Cli.Run r = Cli.run("dump", g.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + g + ":4:5: " + REFUSED + "\n");
    }
}
