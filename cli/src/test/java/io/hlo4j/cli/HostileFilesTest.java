package io.hlo4j.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Every command family fed hostile files: binary garbage as a module, a truncated optimized program, dimensions whose
 * element count or cost overflows 64 bits, broken .npy inputs. Each must refuse in one line that names the file (and
 * the op or line where there is one), exit 1 or 2, print no stack trace, write nothing to stdout, and return promptly.
 */
class HostileFilesTest {
    private static final Path MOE = Path.of("..", "docs", "examples", "moe").toAbsolutePath().normalize();
    @TempDir Path dir;
    Path garbage, truncatedPb, huge, overflowDot, overflowBytes, one;

    @BeforeEach void files() throws IOException {
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        garbage = Files.write(dir.resolve("garbage.mlir"), noise);
        byte[] pb = Files.readAllBytes(Path.of("../runtime/src/test/resources/io/hlo4j/runtime/hlo/spmd.pb"));
        truncatedPb = Files.write(dir.resolve("truncated.pb"), Arrays.copyOf(pb, pb.length / 3));
        huge = Files.writeString(dir.resolve("huge.mlir"), """
                func.func @main(%a: tensor<99999999999x99999999999xf32>) -> tensor<99999999999x99999999999xf32> {
                  %0 = stablehlo.add %a, %a : tensor<99999999999x99999999999xf32>
                  return %0 : tensor<99999999999x99999999999xf32>
                }
                """);
        // each tensor holds 1e16 elements (fits), but the dot's 2 x 1e8^3 FLOPs do not fit in 64 bits
        overflowDot = Files.writeString(dir.resolve("dot.mlir"), """
                func.func @main(%a: tensor<99999999x99999999xf32>, %b: tensor<99999999x99999999xf32>) -> tensor<99999999x99999999xf32> {
                  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<99999999x99999999xf32>, tensor<99999999x99999999xf32>) -> tensor<99999999x99999999xf32>
                  return %0 : tensor<99999999x99999999xf32>
                }
                """);
        // 2^63 - 1 elements fit; their 4-byte floats do not
        overflowBytes = Files.writeString(dir.resolve("max.mlir"), """
                func.func @main(%a: tensor<9223372036854775807xf32>) -> tensor<9223372036854775807xf32> {
                  return %a : tensor<9223372036854775807xf32>
                }
                """);
        one = Files.writeString(dir.resolve("one.mlir"), """
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %a, %a : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """);
    }

    private static Cli.Run within30s(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(args));
    }

    /** Exit 1 or 2, one line on stderr that starts as {@code start} and contains {@code says}, nothing on stdout, no trace. */
    private static void refused(String start, String says, String... args) {
        Cli.Run r = within30s(args);
        assertThat(r.code()).as(r.toString()).isBetween(1, 2);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).hasLineCount(1).startsWith(start).contains(says)
                .doesNotContain("internal error").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test void garbageAsAModuleIsNamedByEveryCommand() {
        String start = "hlo4j: " + garbage + ": ";
        for (List<String> cmd : List.of(List.of("run"), List.of("run", "--spmd"), List.of("inspect"), List.of("shardings"),
                List.of("dump"), List.of("print"), List.of("verify"), List.of("graph"))) {
            String[] args = new String[cmd.size() + 1];
            for (int i = 0; i < cmd.size(); i++) args[i] = cmd.get(i);
            args[cmd.size()] = garbage.toString();
            refused(start, "not valid UTF-8 text", args);
        }
        refused(start, "not valid UTF-8 text", "diff", garbage.toString(), one.toString());
        refused(start, "not valid UTF-8 text", "diff", one.toString(), garbage.toString());
        // compile needs a plugin before it reads anything: a usage error, exit 2
        refused("hlo4j compile: no PJRT plugin", "give --pjrt-plugin PATH or set HLO4J_PJRT_PLUGIN", "compile", garbage.toString());
    }

    /** A user who swaps the module and an input array (`hlo4j inspect x.npy`) is told it is a .npy array. */
    @Test void aNpyArrayAsAModuleIsNamedAsOne() throws IOException {
        Path npy = dir.resolve("x.npy");
        io.hlo4j.runtime.io.Npy.write(npy, io.hlo4j.runtime.array.HostArray.fromDoubles(
                io.hlo4j.dsl.Spec.of(io.hlo4j.dsl.DType.F32, 2).tensorType(), 1, 2));
        String says = "not valid UTF-8 text (byte 0x93 at offset 0); it is a .npy array (it starts with \\x93NUMPY), not text";
        for (String c : List.of("run", "inspect", "verify", "print", "shardings", "dump"))
            refused("hlo4j: " + npy + ": ", says, c, npy.toString());
    }

    @Test void aTruncatedOptimizedProgramIsNamed() {
        refused("hlo4j: " + truncatedPb + ": ", "bytes are not a protobuf message, so not a valid HloModuleProto, HloProto or HloModuleProtoWithConfig",
                "inspect", truncatedPb.toString());
        refused("hlo4j: " + truncatedPb + ": ", "not valid UTF-8 text", "run", truncatedPb.toString());
    }

    @Test void aShapeWhoseElementCountOverflowsIsRefusedAtItsLine() {
        String says = "tensor shape is too large: dimension 99999999999 makes the element count overflow 64 bits";
        for (String c : List.of("run", "inspect", "shardings", "verify", "graph", "dump", "print"))
            refused("hlo4j: " + huge + ":1:", says, c, huge.toString());
        refused("hlo4j: " + huge + ":1:", says, "diff", huge.toString(), one.toString());
    }

    @Test void inspectRefusesCostsThatOverflowInsteadOfWrappingAround() {
        refused("hlo4j: " + overflowDot + ":2:3: ", "cost of stablehlo.dot_general (operands [tensor<99999999x99999999xf32>, "
                + "tensor<99999999x99999999xf32>], results [tensor<99999999x99999999xf32>]) in @main does not fit in 64 bits", "inspect", overflowDot.toString());
        refused("hlo4j: " + overflowBytes + ":1:1: ", "cost of the arguments and values [tensor<9223372036854775807xf32>] in @main does not fit in 64 bits",
                "inspect", overflowBytes.toString());
        // the interpreter refuses them by size, naming the op
        refused("hlo4j: " + overflowDot + ":2:3: ", "the interpreter holds at most", "run", overflowDot.toString());
    }

    @Test void brokenNpyInputsAreNamed() throws IOException {
        Path trunc = Files.write(dir.resolve("trunc.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff});
        byte[] noise = new byte[300];
        new Random(3).nextBytes(noise);
        Path junk = Files.write(dir.resolve("junk.npy"), noise);
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000,), }";
        header = header + " ".repeat(118 - header.length()) + "\n";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] big = new byte[10 + h.length + 16];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length, 0}, 0, big, 0, 10);
        System.arraycopy(h, 0, big, 10, h.length);
        Path huge = Files.write(dir.resolve("huge.npy"), big);
        String[][] says = {{trunc.toString(), "too short for a .npy file (9 bytes)"}, {junk.toString(), "not a .npy file (bad magic)"},
                {huge.toString(), "shape [100000000000] x 4 bytes needs 400000000000 bytes of data, the file has 16"}};
        for (String[] s : says) {
            refused("hlo4j: " + s[0] + ": ", s[1], "run", one.toString(), "--input", s[0]);
            refused("hlo4j: " + s[0] + ": ", s[1], "moe", "run", "--config", MOE.resolve("config.json").toString(), "--weights", MOE.toString(),
                    "--input", s[0], "-o", dir.resolve("out").toString());
        }
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** A mesh of 4096 x 4096 devices: shardings would list 16.7 million devices in its cells; it refuses at once instead. */
    @Test void shardingsRefusesAMeshTooLargeToDraw() throws IOException {
        Path big = Files.writeString(dir.resolve("bigmesh.mlir"), """
                module @m {
                  sdy.mesh @mesh = <["x"=4096, "y"=4096]>
                  func.func @main(%a: tensor<8192xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<8192xf32> {
                    return %a : tensor<8192xf32>
                  }
                }
                """);
        refused("hlo4j: " + big + ":2:3: ", "sdy.mesh @mesh #sdy.mesh<[\"x\"=4096, \"y\"=4096]> has 16777216 devices; shardings draws at most 65536",
                "shardings", big.toString());
    }
}
