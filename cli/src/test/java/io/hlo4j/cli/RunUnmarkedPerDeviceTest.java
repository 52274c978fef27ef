package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run --spmd} of a per-device program written before {@code dump --emit explicit} marked it
 * {@code hlo4j.per_device_program} (here: today's dump with the mark removed by hand): the module looks like a
 * replicated global program, so the global inputs of the annotated dump fail the input check; the refusal now says
 * why (each argument is its input's block on the mesh), naming the mark and the re-dump. A genuinely global module gets
 * the plain refusal: the annotated dump given one device's blocks (its mesh is used), a replicated module whose
 * input is no block of its argument, and one whose input is a block but which has no collective (nothing in it talks
 * across devices, so nothing says it is one device's part of a program).
 */
class RunUnmarkedPerDeviceTest {
    @TempDir Path dir;

    @Test
    void anUnmarkedExplicitDumpIsRefusedWithTheHint() throws IOException {
        Path in = dir.resolve("in"), ann = dir.resolve("ann.mlir"), exp = dir.resolve("exp.mlir"), old = dir.resolve("old.mlir");
        Cli.Run d = Cli.run("dump", "mlp-regression", "--mesh", "dp=2", "--emit", "annotated", "--inputs", in.toString(), "-o", ann.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        d = Cli.run("dump", "mlp-regression", "--mesh", "dp=2", "--emit", "explicit", "-o", exp.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        String text = Files.readString(exp);
        assertThat(text).contains("hlo4j.per_device_program, ");
        Files.writeString(old, text.replace("hlo4j.per_device_program, ", ""));

        // the batch x [64, 2] split over dp=2: argument 4 of the per-device program is x's block [32, 2]
        Cli.Run r = Cli.run("run", old.toString(), "--spmd", "--input", in.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).hasLineCount(1).startsWith("hlo4j: " + in.resolve("arg4.npy") + ": --input for argument 4 of @main ("
                        + old + ":3:114) is tensor<64x2xf32>, but the argument is tensor<32x2xf32>; its arguments are its inputs' blocks on sdy.mesh @mesh, which nothing in it uses: "
                        + "it looks like a per-device program written by 'hlo4j dump --emit explicit' before dumps carried the mark hlo4j.per_device_program. "
                        + "Dump it again ('hlo4j dump ... --mesh ... --emit explicit' marks it) and run that with --devices 2 and each device's blocks, "
                        + "or run the annotated dump (--emit annotated) with --spmd");

        // the annotated dump runs on those inputs; given the per-device blocks (x's first rows) it is refused without the hint
        assertThat(Cli.run("run", ann.toString(), "--spmd", "--input", in.toString()).code()).isZero();
        Path blocks = Files.createDirectory(dir.resolve("blocks"));
        for (int i = 0; i < 6; i++) {
            HostArray a = Npy.read(in.resolve("arg" + i + ".npy"));
            if (i >= 4) a = HostArray.fromFloats(TensorType.of(FloatType.F32, 32, a.shape()[1]), java.util.Arrays.copyOf(a.toFloatArray(), 32 * (int) a.shape()[1]));
            Npy.write(blocks.resolve("arg" + i + ".npy"), a);
        }
        Cli.Run g = Cli.run("run", ann.toString(), "--spmd", "--input", blocks.toString());
        assertThat(g.code()).as(g.toString()).isEqualTo(1);
        assertThat(g.err()).hasLineCount(1).endsWith("is tensor<64x2xf32>\n").doesNotContain("per_device_program");
    }

    @Test
    void aReplicatedModuleWhoseInputIsNoBlockGetsNoHint() throws IOException {
        Path m = dir.resolve("rep.mlir"), a = dir.resolve("a.npy");
        Files.writeString(m, """
                module attributes {mhlo.num_partitions = 2 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                    %0 = stablehlo.add %a, %a : tensor<4xf32>
                    return %0 : tensor<4xf32>
                  }
                }
                """);
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 6), 1, 2, 3, 4, 5, 6));   // 6 is no 4 times axes' sizes
        Cli.Run r = Cli.run("run", m.toString(), "--spmd", "--input", a.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + a + ": --input for argument 0 of @main (" + m + ":3:19) is tensor<6xf32>, but the argument is tensor<4xf32>\n");
        // 8 = 4 x 2 would be x's block, but nothing in the module talks across devices: as likely a global program given a
        // wrong input, so no hint (it used to get one)
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 8), 1, 2, 3, 4, 5, 6, 7, 8));
        Cli.Run r8 = Cli.run("run", m.toString(), "--spmd", "--input", a.toString());
        assertThat(r8.code()).as(r8.toString()).isEqualTo(1);
        assertThat(r8.err()).isEqualTo("hlo4j: " + a + ": --input for argument 0 of @main (" + m + ":3:19) is tensor<8xf32>, but the argument is tensor<4xf32>\n");
        // with a collective over x's two devices (what a partitioned program has and a replicated global one has not): the hint
        Files.writeString(m, """
                module attributes {mhlo.num_partitions = 2 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                    %0 = "stablehlo.all_reduce"(%a) ({
                    ^bb0(%p: tensor<f32>, %q: tensor<f32>):
                      %s = stablehlo.add %p, %q : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) {replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<4xf32>) -> tensor<4xf32>
                    return %0 : tensor<4xf32>
                  }
                }
                """);
        assertThat(Cli.run("run", m.toString(), "--spmd", "--input", a.toString()).err()).contains("hlo4j.per_device_program").contains("--devices 2");
    }
}
