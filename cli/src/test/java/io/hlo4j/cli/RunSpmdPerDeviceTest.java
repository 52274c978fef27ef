package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A per-device program ({@code dump --emit explicit}, whose {@code sdy.mesh} nothing uses) is not partitioned again:
 * {@code run --spmd} would run one device's program on replicated inputs, and {@code dump FILE} would write it back as
 * its own per-device program. Both refuse it at the mesh's line and say to run it with {@code --devices N}; the
 * annotated module it came from still runs with --spmd, and the dump with --devices 2.
 */
class RunSpmdPerDeviceTest {
    /** a + a with a's 4 elements split over dp=2; {@code result} says how the result lies. */
    private static String annotated(String result) {
        return "module @m {\n  sdy.mesh @mesh = <[\"dp\"=2]>\n"
                + "  func.func @main(%a: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"dp\"}]>}) -> (tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, ["
                + result + "]>}) {\n"
                + "    %0 = stablehlo.add %a, %a : tensor<4xf32>\n    return %0 : tensor<4xf32>\n  }\n}\n";
    }

    private static Path dump(Path dir, String name, String annotated) throws Exception {
        Path ann = dir.resolve(name + "-ann.mlir"), dev = dir.resolve(name + ".mlir");
        Files.writeString(ann, annotated);
        Cli.Run d = Cli.run("dump", ann.toString(), "-o", dev.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        assertThat(Files.readAllLines(dev).get(1)).isEqualTo("  sdy.mesh @mesh = <[\"dp\"=2]>");
        return dev;
    }

    private static Path npy(Path dir, String name, float... v) throws Exception {
        Path f = dir.resolve(name);
        Npy.write(f, HostArray.fromFloats(TensorType.of(FloatType.F32, v.length), v));
        return f;
    }

    @Test void runSpmdRefusesADumpAndRunDevicesRunsIt(@TempDir Path dir) throws Exception {
        Path dev = dump(dir, "dev", annotated("{\"dp\"}"));
        Path half = npy(dir, "a2.npy", 1, 2);
        Cli.Run spmd = Cli.run("run", dev.toString(), "--spmd", "--input", half.toString());
        assertThat(spmd.code()).as(spmd.toString()).isEqualTo(1);
        assertThat(spmd.out()).isEmpty();
        assertThat(spmd.err()).isEqualTo("hlo4j: " + dev + ":2:3: a per-device program (dump --emit explicit): its sdy.mesh @mesh is used by no "
                + "sdy.sharding, so --spmd would run one device's program on replicated inputs; run it with --devices 2\n");

        // what it says works: each device adds its own half (device 0 [1, 2], device 1 [3, 4], by hand)
        Path other = npy(dir, "b2.npy", 3, 4);
        Cli.Run run = Cli.run("run", dev.toString(), "--devices", "2", "--input", half.toString(), "--input", other.toString(),
                "-o", dir.resolve("out").toString());
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(Npy.read(dir.resolve("out/device0/result0.npy")).toDoubleArray()).containsExactly(2, 4);
        assertThat(Npy.read(dir.resolve("out/device1/result0.npy")).toDoubleArray()).containsExactly(6, 8);

        // the annotated module it came from still runs partitioned: the global a + a
        Cli.Run global = Cli.run("run", dir.resolve("dev-ann.mlir").toString(), "--spmd", "--input", npy(dir, "a4.npy", 1, 2, 3, 4).toString(),
                "-o", dir.resolve("global").toString());
        assertThat(global.code()).as(global.toString()).isZero();
        assertThat(Npy.read(dir.resolve("global/result0.npy")).toDoubleArray()).containsExactly(2, 4, 6, 8);
    }

    /** A replicated result makes the dump all_gather: refused by the same line, before the partitioner meets its collective. */
    @Test void aDumpWithCollectivesIsRefusedTheSameWay(@TempDir Path dir) throws Exception {
        Path dev = dump(dir, "gather", annotated("{}"));
        assertThat(Files.readString(dev)).contains("stablehlo.all_gather");
        // the global input the annotated module takes is refused the same way, before it is matched against the local type
        Cli.Run spmd = Cli.run("run", dev.toString(), "--spmd", "--input", npy(dir, "a4.npy", 1, 2, 3, 4).toString());
        assertThat(spmd.code()).as(spmd.toString()).isEqualTo(1);
        assertThat(spmd.err()).isEqualTo("hlo4j: " + dev + ":2:3: a per-device program (dump --emit explicit): its sdy.mesh @mesh is used by no "
                + "sdy.sharding, so --spmd would run one device's program on replicated inputs; run it with --devices 2\n");
    }

    @Test void dumpOfADumpIsRefused(@TempDir Path dir) throws Exception {
        Path dev = dump(dir, "dev", annotated("{\"dp\"}"));
        Cli.Run again = Cli.run("dump", dev.toString(), "-o", dir.resolve("again.mlir").toString());
        assertThat(again.code()).as(again.toString()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("hlo4j: " + dev + ":2:3: a per-device program (dump --emit explicit): its sdy.mesh @mesh is used by no "
                + "sdy.sharding, so there is nothing to partition; run it with --devices 2\n");
        assertThat(dir.resolve("again.mlir")).doesNotExist();
        // its other forms are not partitioning: the module as written prints
        Cli.Run traced = Cli.run("dump", dev.toString(), "--emit", "annotated");
        assertThat(traced.code()).as(traced.toString()).isZero();
        assertThat(traced.out()).isEqualTo(Files.readString(dev));
    }
}
