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
 * annotated module it came from still runs with --spmd, and the dump with --devices 2. The dump says what it is by
 * the module attribute {@code hlo4j.per_device_program}: a hand-written module that declares a mesh and shards nothing
 * (no mark) is a replicated global program, as JAX reads it, and runs with --spmd.
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
        assertThat(Files.readAllLines(dev).get(0)).isEqualTo("module @m attributes {hlo4j.per_device_program, mhlo.num_partitions = 2 : i32, "
                + "mhlo.num_replicas = 1 : i32} {");
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

    /** A JAX-style module on a mesh that shards nothing: x * y + x with a dot, no sdy.sharding anywhere. */
    private static final String REPLICATED = "module @jit_f attributes {mhlo.num_partitions = 4 : i32} {\n  sdy.mesh @mesh = <[\"x\"=2, \"y\"=2]>\n"
            + "  func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {\n"
            + "    %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>\n"
            + "    %1 = stablehlo.add %0, %0 : tensor<2x2xf32>\n    return %1 : tensor<2x2xf32>\n  }\n}\n";

    /**
     * Unmarked, its unused mesh means every value is replicated: --spmd runs it on the mesh's 4 devices and gives what the
     * unpartitioned run gives (by hand: a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [0, 1], [1, 1]], a b = [[4, 5], [10, 11]],
     * doubled), saying in its summary that nothing is sharded; {@code dump} of it writes the marked per-device program.
     */
    @Test void aHandWrittenModuleThatShardsNothingRunsReplicated(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("replicated.mlir");
        Files.writeString(f, REPLICATED);
        Path a = dir.resolve("a.npy"), b = dir.resolve("b.npy");
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), new float[]{1, 2, 3, 4, 5, 6}));
        Npy.write(b, HostArray.fromFloats(TensorType.of(FloatType.F32, 3, 2), new float[]{1, 0, 0, 1, 1, 1}));
        Cli.Run spmd = Cli.run("run", f.toString(), "--spmd", "--input", a.toString(), "--input", b.toString(), "-o", dir.resolve("spmd").toString());
        assertThat(spmd.code()).as(spmd.toString()).isZero();
        assertThat(Npy.read(dir.resolve("spmd/result0.npy")).toDoubleArray()).containsExactly(8, 10, 20, 22);
        String summary = spmd.out().lines().filter(l -> l.startsWith("partitioned @main")).findFirst().orElseThrow();
        assertThat(summary).startsWith("partitioned @main for 4 devices in ").contains(": 0 collectives, at most 0 bytes received per device")
                .endsWith("; nothing is sharded (sdy.mesh @mesh is used by no sdy.sharding: every device ran the whole program on the whole inputs)");
        Cli.Run plain = Cli.run("run", f.toString(), "--input", a.toString(), "--input", b.toString(), "-o", dir.resolve("plain").toString());
        assertThat(plain.code()).as(plain.toString()).isZero();
        assertThat(Npy.read(dir.resolve("plain/result0.npy")).toDoubleArray()).containsExactly(8, 10, 20, 22);

        // dump partitions it (each device's program is the whole one) and marks what it writes, which --spmd then refuses
        Path dev = dir.resolve("dev.mlir");
        Cli.Run d = Cli.run("dump", f.toString(), "-o", dev.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        assertThat(Files.readAllLines(dev).get(0)).contains("hlo4j.per_device_program");
        Cli.Run again = Cli.run("run", dev.toString(), "--spmd", "--input", a.toString(), "--input", b.toString());
        assertThat(again.code()).as(again.toString()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("hlo4j: " + dev + ":2:3: a per-device program (dump --emit explicit): its sdy.mesh @mesh is used by no "
                + "sdy.sharding, so --spmd would run one device's program on replicated inputs; run it with --devices 4\n");
    }

    /** The mark alone decides: a marked module with no mesh is refused at the module's line, naming the attribute. */
    @Test void theMarkWithoutAMeshIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("marked.mlir");
        Files.writeString(f, "module @m attributes {hlo4j.per_device_program, mhlo.num_partitions = 2 : i32} {\n"
                + "  func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n    return %a : tensor<2xf32>\n  }\n}\n");
        Cli.Run spmd = Cli.run("run", f.toString(), "--spmd", "--input", npy(dir, "a.npy", 1, 2).toString());
        assertThat(spmd.code()).as(spmd.toString()).isEqualTo(1);
        assertThat(spmd.err()).isEqualTo("hlo4j: " + f + ":1:1: a per-device program (dump --emit explicit): it carries hlo4j.per_device_program, "
                + "so --spmd would run one device's program on replicated inputs; run it with --devices 2\n");
        // without --spmd the attribute is inert: the interpreter runs it
        Cli.Run plain = Cli.run("run", f.toString(), "--input", npy(dir, "b.npy", 1, 2).toString());
        assertThat(plain.code()).as(plain.toString()).isZero();
    }
}
