package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j run --pjrt-plugin}: the runtime's C mock plugin gives what the interpreter gives. */
class RunCommandPjrtTest {
    private static final String DOT = """
            func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<2x2xf32> {
              %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
              return %0 : tensor<2x2xf32>
            }
            """;

    /** Built by the runtime module's Maven build; absent only when runtime was not built, which CI never allows. */
    private static Path mock() { return MockPlugin.path(); }

    private static String[] args(Path dir, String... more) throws Exception {
        Path f = dir.resolve("dot.mlir");
        Files.writeString(f, DOT);
        Npy.write(dir.resolve("a.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 1, 2, 3, 4, 5, 6));
        Npy.write(dir.resolve("b.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 3, 2), 7, 8, 9, 10, 11, 12));
        List<String> a = new java.util.ArrayList<>(List.of("run", f.toString(), "--input", dir.resolve("a.npy").toString(),
                "--input", dir.resolve("b.npy").toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void theMockPluginAndTheInterpreterGiveTheSameDot(@TempDir Path dir) throws Exception {
        Path plugin = mock();
        Cli.Run interp = Cli.run(args(dir, "-o", dir.resolve("interp").toString()));
        Cli.Run pjrt = Cli.run(args(dir, "-o", dir.resolve("pjrt").toString(), "--pjrt-plugin", plugin.toString(),
                "--pjrt-option", "num_devices=1"));
        assertThat(interp.code()).as(interp.toString()).isZero();
        assertThat(pjrt.code()).as(pjrt.toString()).isZero();
        assertThat(pjrt.out()).contains("result0: tensor<2x2xf32> min 58.0000 max 154.000 mean 103.750").contains("on pjrt:mock");
        double[] want = Npy.read(dir.resolve("interp/result0.npy")).toDoubleArray();
        assertThat(want).containsExactly(58, 64, 139, 154);   // [[1,2,3],[4,5,6]] . [[7,8],[9,10],[11,12]]
        assertThat(Npy.read(dir.resolve("pjrt/result0.npy")).toDoubleArray()).containsExactly(want);
    }

    @Test
    void aMissingPluginIsOneLineAndExitOne(@TempDir Path dir) throws Exception {
        Cli.Run r = Cli.run(args(dir, "--pjrt-plugin", dir.resolve("nope.so").toString()));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        // checked before the loader is asked
        assertThat(r.err()).isEqualTo("hlo4j: " + dir.resolve("nope.so") + ": no such file (--pjrt-plugin)\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anUnknownCreateOptionIsRefusedByThePluginByName(@TempDir Path dir) throws Exception {
        Cli.Run r = Cli.run(args(dir, "--pjrt-plugin", mock().toString(), "--pjrt-option", "bogus=3"));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("bogus");
    }

    @Test
    void optionValuesAreTyped() {
        assertThat(PjrtFlags.parse(List.of("a=3", "b=0.5", "c=true", "d=gpu")))
                .isEqualTo(Map.of("a", 3L, "b", 0.5, "c", true, "d", "gpu"));
    }

    @Test
    void devicesNRunsOnTheFirstNDevicesOfThePlugin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("add.mlir");
        Files.writeString(f, """
                func.func public @main(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>) -> tensor<3xf32> {
                  %0 = stablehlo.add %arg0, %arg1 : tensor<3xf32>
                  return %0 : tensor<3xf32>
                }
                """);
        List<String> a = new java.util.ArrayList<>(List.of("run", f.toString(), "--devices", "2"));
        float[][] in = {{1, 2, 3}, {10, 20, 30}, {-1, -2, -3}, {5, 5, 5}};   // device 0: x, y; device 1: x, y
        for (int i = 0; i < in.length; i++) {
            Path p = dir.resolve("in" + i + ".npy");
            Npy.write(p, HostArray.fromFloats(TensorType.of(FloatType.F32, 3), in[i]));
            a.addAll(List.of("--input", p.toString()));
        }
        Cli.Run interp = Cli.run(concat(a, "-o", dir.resolve("interp").toString()));
        Cli.Run pjrt = Cli.run(concat(a, "-o", dir.resolve("pjrt").toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=2"));
        assertThat(interp.code()).as(interp.toString()).isZero();
        assertThat(pjrt.code()).as(pjrt.toString()).isZero();
        assertThat(pjrt.out()).contains("on pjrt:mock (2 devices)");
        for (int d = 0; d < 2; d++) {
            double[] want = Npy.read(dir.resolve("interp/device" + d + "/result0.npy")).toDoubleArray();
            assertThat(Npy.read(dir.resolve("pjrt/device" + d + "/result0.npy")).toDoubleArray()).as("device %d", d).containsExactly(want);
        }
        assertThat(Npy.read(dir.resolve("pjrt/device1/result0.npy")).toDoubleArray()).containsExactly(4, 3, 2);
        Cli.Run tooMany = Cli.run(concat(a, "--pjrt-plugin", mock().toString()));
        assertThat(tooMany.code()).as(tooMany.toString()).isEqualTo(1);
        assertThat(tooMany.err()).contains("needs 2 partitions but PJRT plugin libpjrt_mock.so has 1 addressable device").hasLineCount(1);
    }

    @Test
    void devicesMustMatchTheModulesPartitionCount(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("add2.mlir");
        Files.writeString(f, """
                module @m attributes {mhlo.num_partitions = 2 : i32} {
                  func.func public @main(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>) -> tensor<3xf32> {
                    %0 = stablehlo.add %arg0, %arg1 : tensor<3xf32>
                    return %0 : tensor<3xf32>
                  }
                }
                """);
        Path x = dir.resolve("x.npy");
        Npy.write(x, HostArray.fromFloats(TensorType.of(FloatType.F32, 3), 1, 2, 3));
        Cli.Run r = Cli.run("run", f.toString(), "--input", x.toString(), "--input", x.toString(), "--pjrt-plugin", mock().toString(),
                "--pjrt-option", "num_devices=2");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("--devices 1 but the module declares mhlo.num_partitions = 2").hasLineCount(1);
    }

    private static final String GLOBAL_DOT = """
            module @g attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2, "y"=2], device_ids=[2, 0, 3, 1]>
              func.func public @main(%arg0: tensor<4x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>},
                                     %arg1: tensor<3x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>})
                  -> (tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) {
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<4x3xf32>, tensor<3x4xf32>) -> tensor<4x4xf32>
                return %0 : tensor<4x4xf32>
              }
            }
            """;

    @Test
    void anAnnotatedModuleTakesGlobalInputsAndGivesGlobalResults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gdot.mlir");
        Files.writeString(f, GLOBAL_DOT);
        float[] a = new float[12], b = new float[12];
        for (int i = 0; i < 12; i++) { a[i] = i - 3; b[i] = 0.5f * i + 1; }
        Npy.write(dir.resolve("a.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 3), a));
        Npy.write(dir.resolve("b.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 3, 4), b));
        List<String> base = List.of("run", f.toString(), "--input", dir.resolve("a.npy").toString(), "--input", dir.resolve("b.npy").toString());
        // Oracle: the interpreter runs the global program as written.
        Cli.Run interp = Cli.run(concat(base, "-o", dir.resolve("interp").toString()));
        Cli.Run pjrt = Cli.run(concat(base, "-o", dir.resolve("pjrt").toString(), "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=4"));
        assertThat(interp.code()).as(interp.toString()).isZero();
        assertThat(pjrt.code()).as(pjrt.toString()).isZero();
        assertThat(pjrt.out()).contains("result0: tensor<4x4xf32>").contains("on pjrt:mock (4 devices; global arrays split and assembled");
        double[] want = Npy.read(dir.resolve("interp/result0.npy")).toDoubleArray();
        assertThat(want[0]).isEqualTo(-3 * 1 + -2 * 3 + -1 * 5);   // row 0 of a . column 0 of b
        assertThat(Npy.read(dir.resolve("pjrt/result0.npy")).toDoubleArray()).containsExactly(want);
        assertThat(dir.resolve("pjrt/device0")).doesNotExist();
        // --devices N is the same run; per-device inputs are refused for an annotated entry.
        Cli.Run same = Cli.run(concat(base, "--devices", "4", "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=4"));
        assertThat(same.code()).as(same.toString()).isZero();
        List<String> eight = new java.util.ArrayList<>(List.of("run", f.toString(), "--devices", "4"));
        for (int i = 0; i < 4; i++) eight.addAll(List.of("--input", dir.resolve("a.npy").toString(), "--input", dir.resolve("b.npy").toString()));
        Cli.Run perDevice = Cli.run(concat(eight, "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=4"));
        assertThat(perDevice.code()).as(perDevice.toString()).isEqualTo(1);
        assertThat(perDevice.err()).contains("give its 2 global arguments as --input files (got 8)").hasLineCount(1);
        Cli.Run wrongDevices = Cli.run(concat(base, "--devices", "2", "--pjrt-plugin", mock().toString(), "--pjrt-option", "num_devices=4"));
        assertThat(wrongDevices.err()).contains("--devices 2 but the module declares mhlo.num_partitions = 4").hasLineCount(1);
    }

    @Test
    void aGlobalInputThatDoesNotDivideIsOneLineNamingTheArgument(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gadd.mlir");
        Files.writeString(f, """
                module @g attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func public @main(%arg0: tensor<3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>},
                                         %arg1: tensor<3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>})
                      -> (tensor<3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) {
                    %0 = stablehlo.add %arg0, %arg1 : tensor<3xf32>
                    return %0 : tensor<3xf32>
                  }
                }
                """);
        Path x = dir.resolve("x.npy");
        Npy.write(x, HostArray.fromFloats(TensorType.of(FloatType.F32, 3), 1, 2, 3));
        Cli.Run r = Cli.run("run", f.toString(), "--input", x.toString(), "--input", x.toString(), "--pjrt-plugin", mock().toString(),
                "--pjrt-option", "num_devices=2");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("argument #0 (tensor<3xf32>) of @main").hasLineCount(1);
    }

    private static String[] concat(List<String> a, String... more) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
