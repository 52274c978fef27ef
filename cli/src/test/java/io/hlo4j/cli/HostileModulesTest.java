package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * verify, print, run, inspect and dump on hostile modules: an empty or blank file, Latin-1 text, a folder, a tensor
 * claiming 2 GB, a hex blob shorter than its type, and run --spmd on a module whose stated partition count disagrees
 * with its mesh. Each either works (an empty module is a valid one) or exits 1 with one line naming the file and the
 * problem, with no stack trace, promptly.
 */
class HostileModulesTest {
    private static final List<String> COMMANDS = List.of("verify", "print", "run", "inspect", "dump");
    @TempDir Path dir;

    private static Cli.Run within(int seconds, String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(seconds), () -> Cli.run(args));
    }

    private static void refused(Cli.Run r, String err) {
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).isEqualTo(err);
    }

    private static void noTrace(Cli.Run r) {
        assertThat(r.err()).as(r.toString()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("internal error");
    }

    /** An empty module is valid MLIR (mlir-opt accepts it too): verify, print and inspect succeed; run and dump say what is missing. */
    @Test void emptyAndBlankFiles() throws IOException {
        for (String text : List.of("", "\n  \n\t\n")) {
            Path f = Files.writeString(dir.resolve("e" + text.length() + ".mlir"), text);
            Cli.Run v = within(20, "verify", f.toString());
            assertThat(v.code()).as(v.toString()).isZero();
            assertThat(v.out()).isEqualTo("OK " + f + "\n");
            Cli.Run p = within(20, "print", f.toString());
            assertThat(p.code()).as(p.toString()).isZero();
            assertThat(p.out()).isEqualTo("module {\n}\n");
            Cli.Run i = within(20, "inspect", f.toString());
            assertThat(i.code()).as(i.toString()).isZero();
            assertThat(i.out()).startsWith("module (unnamed)").contains("collectives: none");
            refused(within(20, "run", f.toString()), "hlo4j: " + f + ":1:1: no @main and not exactly one function in the module\n");
            refused(within(20, "dump", f.toString()), "hlo4j: " + f + ":1:1: the partitioner needs a func.func @main\n");
        }
    }

    @Test void latin1TextIsNamedAsNotUtf8() throws IOException {
        Path f = Files.write(dir.resolve("latin1.mlir"),
                "// caf\u00e9\nfunc.func @main() {\n  return\n}\n".getBytes(StandardCharsets.ISO_8859_1));
        for (String c : COMMANDS) refused(within(20, c, f.toString()), "hlo4j: " + f + ": not valid UTF-8 text (byte 0xE9 at offset 6)\n");
    }

    @Test void aFolderIsNamed() throws IOException {
        Path d = Files.createDirectory(dir.resolve("m.mlir"));
        for (String c : COMMANDS) refused(within(20, c, d.toString()), "hlo4j: " + d + ": is a directory\n");
    }

    /**
     * A splat claiming 2 GB (2^31 i8 elements) costs nothing to read, check, print or cost; run refuses it by op and
     * line before allocating; a hex blob shorter than the tensor it claims is a parse error at its line.
     */
    @Test void aTwoGigabyteTensorIsNeverAllocated() throws IOException {
        Path f = Files.writeString(dir.resolve("big.mlir"), """
                func.func @main() -> tensor<2147483648xi8> {
                  %0 = stablehlo.constant dense<1> : tensor<2147483648xi8>
                  return %0 : tensor<2147483648xi8>
                }
                """);
        assertThat(within(20, "verify", f.toString()).code()).isZero();
        Cli.Run p = within(20, "print", f.toString());
        assertThat(p.code()).isZero();
        assertThat(p.out()).contains("dense<1> : tensor<2147483648xi8>").hasLineCount(6);
        Cli.Run i = within(20, "inspect", f.toString());
        assertThat(i.code()).as(i.toString()).isZero();
        refused(within(20, "run", f.toString()), "hlo4j: " + f + ":2:3: stablehlo.constant: result #0 tensor<2147483648xi8> has 2147483648 "
                + "elements; the interpreter holds at most 1073741807 per tensor\n");
        Path blob = Files.writeString(dir.resolve("blob.mlir"), """
                func.func @main() -> tensor<2147483648xi8> {
                  %0 = stablehlo.constant dense<"0x0102"> : tensor<2147483648xi8>
                  return %0 : tensor<2147483648xi8>
                }
                """);
        for (String c : COMMANDS) {
            Cli.Run r = within(20, c, blob.toString());
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).startsWith("hlo4j: " + blob + ":2:").contains("hex blob of 2 bytes does not match tensor<2147483648xi8>")
                    .hasLineCount(1);
            noTrace(r);
        }
    }

    /**
     * The stated partition count is checked against the mesh before partitioning: this module's argument (3 elements
     * over 4 devices) cannot be partitioned, and the mismatch is what is reported, not the partitioner's refusal.
     */
    @Test void runSpmdChecksThePartitionCountBeforePartitioning() throws IOException {
        Path f = Files.writeString(dir.resolve("np.mlir"), """
                module @m attributes {mhlo.num_partitions = 2 : i32} {
                  sdy.mesh @mesh = <["x"=4]>
                  func.func @main(%a: tensor<3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<3xf32> {
                    return %a : tensor<3xf32>
                  }
                }
                """);
        Path a = dir.resolve("a.npy");
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 3), 1f, 2f, 3f));
        refused(within(20, "run", "--spmd", f.toString(), "--input", a.toString()), "hlo4j: " + f + ":1:1: module @m has mhlo.num_partitions = 2 "
                + "but sdy.mesh @mesh #sdy.mesh<[\"x\"=4]> has 4 devices: run --spmd runs one device per mesh device, so the two must agree\n");
    }

    /**
     * Found by the sharded fuzz: a sharding of the wrong rank, or naming a mesh the module lost, reached the cost
     * analysis, which threw an IllegalArgumentException without a line. inspect now checks the annotations first.
     */
    @Test void inspectNamesABadShardingAtItsLine() throws IOException {
        Path rank = Files.writeString(dir.resolve("rank.mlir"), """
                module @m {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a: tensor<2x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<2x4xf32> {
                    return %a : tensor<2x4xf32>
                  }
                }
                """);
        refused(within(20, "inspect", rank.toString()), "hlo4j: " + rank + ":3:3: 'func.func' op argument #0 sdy.sharding has 1 dimension "
                + "shardings but the tensor tensor<2x4xf32> has rank 2\n");
        Path mesh = Files.writeString(dir.resolve("mesh.mlir"), """
                module @m {
                  func.func @main(%a: tensor<2x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<2x4xf32> {
                    return %a : tensor<2x4xf32>
                  }
                }
                """);
        refused(within(20, "inspect", mesh.toString()), "hlo4j: " + mesh + ":2:3: 'func.func' op argument #0 sdy.sharding refers to unknown mesh @mesh\n");
    }

    /** dump partitioned a mesh of 2^40 devices and failed with "internal error: ArithmeticException"; it is refused by name. */
    @Test void dumpRefusesAMeshTooLargeToPartitionFor() throws IOException {
        Path f = Files.writeString(dir.resolve("huge-mesh.mlir"), """
                module @m {
                  sdy.mesh @mesh = <["x"=1099511627776]>
                  func.func @main(%a: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) -> tensor<8xf32> {
                    return %a : tensor<8xf32>
                  }
                }
                """);
        refused(within(20, "dump", f.toString()), "hlo4j: " + f + ":2:3: sdy.mesh @mesh #sdy.mesh<[\"x\"=1099511627776]> has 1099511627776 devices; "
                + "hlo4j partitions for at most 1048576 devices\n");
    }

    private Path inlineMesh(String name, String axes) throws IOException {
        return Files.writeString(dir.resolve(name), """
                module @m {
                  func.func @main(%a: tensor<8xf32> {sdy.sharding = #sdy.sharding<mesh<[AXES]>, [{}]>}) -> tensor<8xf32> {
                    return %a : tensor<8xf32>
                  }
                }
                """.replace("AXES", axes));
    }

    /**
     * An inline mesh passed the device limits (only sdy.mesh ops were looked at): run --spmd hung building 2^20 device
     * tables, and 2^40 failed with "internal error: ArithmeticException" in run --spmd and dump. Refused by name now.
     */
    @Test void inlineMeshesAreHeldToTheDeviceLimits() throws IOException {
        Path a = dir.resolve("a.npy");
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 8), new float[8]));
        Path m20 = inlineMesh("inline20.mlir", "\"x\"=2, \"y\"=524288");
        refused(within(20, "run", "--spmd", m20.toString(), "--input", a.toString()), "hlo4j: " + m20 + ":2:3: the inline mesh "
                + "#sdy.mesh<[\"x\"=2, \"y\"=524288]> in func.func attribute arg_attrs has 1048576 devices; hlo4j simulates at most 4096 (one thread each)\n");
        Path m40 = inlineMesh("inline40.mlir", "\"x\"=2, \"y\"=549755813888");
        refused(within(20, "run", "--spmd", m40.toString(), "--input", a.toString()), "hlo4j: " + m40 + ":2:3: the inline mesh "
                + "#sdy.mesh<[\"x\"=2, \"y\"=549755813888]> in func.func attribute arg_attrs has 1099511627776 devices; hlo4j simulates at most 4096 (one thread each)\n");
        refused(within(20, "dump", m40.toString()), "hlo4j: " + m40 + ":2:3: the inline mesh "
                + "#sdy.mesh<[\"x\"=2, \"y\"=549755813888]> in func.func attribute arg_attrs has 1099511627776 devices; hlo4j partitions for at most 1048576 devices\n");
    }

    /**
     * shardings built a list of every device before checking the mesh's size: 2^30 and 2^40 hung, past 2^63 it failed
     * with "long overflow", 2^20 was refused after 13 s without a line. Each is refused by name and line at once.
     */
    @Test void shardingsRefusesLargeMeshesByName() throws IOException {
        for (String[] c : new String[][] {{"1048576", "1048576"}, {"1099511627776", "1099511627776"},
                {"1180591620717411303424", "more than 2^63"}}) {
            Path f = Files.writeString(dir.resolve("s" + c[0] + ".mlir"), """
                    module @m {
                      sdy.mesh @mesh = <["x"=N]>
                      func.func @main(%a: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) -> tensor<8xf32> {
                        return %a : tensor<8xf32>
                      }
                    }
                    """.replace("N", c[0]));
            Cli.Run r = within(20, "shardings", f.toString());
            if (c[0].length() > 19) { // 2^70 does not fit an i64 axis size: the parser's refusal, by line, is what is wanted
                assertThat(r.code()).as(r.toString()).isEqualTo(1);
                assertThat(r.err()).as(r.toString()).startsWith("hlo4j: " + f + ":2:");
                noTrace(r);
                continue;
            }
            refused(r, "hlo4j: " + f + ":2:3: sdy.mesh @mesh #sdy.mesh<[\"x\"=" + c[0] + "]> has " + c[1] + " devices; shardings draws at most 65536\n");
        }
        // 2^70 as a product of axes that each fit: the overflow is caught and named
        Path f = Files.writeString(dir.resolve("s70.mlir"), """
                module @m {
                  sdy.mesh @mesh = <["x"=1073741824, "y"=1099511627776]>
                  func.func @main(%a: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) -> tensor<8xf32> {
                    return %a : tensor<8xf32>
                  }
                }
                """);
        refused(within(20, "shardings", f.toString()), "hlo4j: " + f + ":2:3: sdy.mesh @mesh #sdy.mesh<[\"x\"=1073741824, \"y\"=1099511627776]> "
                + "has more than 2^63 devices; shardings draws at most 65536\n");
    }

    /** Two meshes of different sizes and a partition count: the meshes' disagreement is named first, both by name. */
    @Test void runSpmdNamesTheMeshesThatDisagree() throws IOException {
        Path f = Files.writeString(dir.resolve("two.mlir"), """
                module @m attributes {mhlo.num_partitions = 4 : i32} {
                  sdy.mesh @small = <["x"=2]>
                  sdy.mesh @mesh = <["x"=4]>
                  func.func @main(%a: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<8xf32> {
                    return %a : tensor<8xf32>
                  }
                }
                """);
        Path a = dir.resolve("a.npy");
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 8), new float[8]));
        refused(within(20, "run", "--spmd", f.toString(), "--input", a.toString()), "hlo4j: " + f + ":3:3: sdy.mesh @mesh #sdy.mesh<[\"x\"=4]> "
                + "has 4 devices but sdy.mesh @small #sdy.mesh<[\"x\"=2]> has 2; every mesh of a module spans the same devices\n");
    }

    /** inspect's hint named dump and run --spmd for a mesh both refuse; it names the limit instead. */
    @Test void inspectDoesNotSuggestRunningAMeshPastTheLimits() throws IOException {
        Path f = Files.writeString(dir.resolve("big.mlir"), """
                module @m {
                  sdy.mesh @mesh = <["x"=8192]>
                  func.func @main(%a: tensor<8192xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<8192xf32> {
                    return %a : tensor<8192xf32>
                  }
                }
                """);
        Cli.Run r = within(20, "inspect", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("collectives: none in this global program; sdy.mesh @mesh #sdy.mesh<[\"x\"=8192]> has 8192 "
                + "devices: run --spmd simulates at most 4096\n").doesNotContain("--spmd --collectives");
    }
}
