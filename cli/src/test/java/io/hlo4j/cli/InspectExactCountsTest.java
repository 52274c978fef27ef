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

    /** 2^58 f32 = 2^60 B; four negates read 2^62 and write 2^62: the total, 2^63, does not fit. */
    @Test void bytesReadPlusWrittenPast64BitsAreRefused() throws IOException {
        String t = "tensor<288230376151711744xf32>";
        Cli.Run r = inspect("""
                module @m {
                  func.func @main(%x: T) -> T {
                    %0 = stablehlo.negate %x : T
                    %1 = stablehlo.negate %0 : T
                    %2 = stablehlo.negate %1 : T
                    %3 = stablehlo.negate %2 : T
                    return %3 : T
                  }
                }""".replace("T", t));
        refusedInOneLine(r, "@main", "does not fit in 64 bits", "read (4611686018427387904)", "written (4611686018427387904)");
    }

    /** 2^59 f32 = 2^61 B all-reduced over 4: 2 x 3/4 x 2^61 received, but 6 x 2^61 on the way passes 64 bits. */
    @Test void ringBytesPast64BitsAreRefusedByOpName() throws IOException {
        Cli.Run r = inspect("""
                module @m attributes {mhlo.num_partitions = 4 : i32} {
                  func.func @main(%x: tensor<576460752303423488xf32>) -> tensor<576460752303423488xf32> {
                    %0 = "stablehlo.all_reduce"(%x) ({
                    ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                      %s = stablehlo.add %a, %b : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                    }) {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>,
                        channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<576460752303423488xf32>) -> tensor<576460752303423488xf32>
                    return %0 : tensor<576460752303423488xf32>
                  }
                }""");
        refusedInOneLine(r, "stablehlo.all_reduce", "@main", "does not fit in 64 bits");
    }

    static String raggedDot(String groupSizes, int groups, String lhs) {
        return """
                module @m {
                  func.func @main(%x: LHS, %w: tensor<Gx16x4xf32>) -> RES {
                    %gs = stablehlo.constant dense<SIZES> : tensor<Gxi64>
                    %y = "chlo.ragged_dot"(%x, %w, %gs) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>} : (LHS, tensor<Gx16x4xf32>, tensor<Gxi64>) -> RES
                    return %y : RES
                  }
                }""".replace("LHS", lhs).replace("RES", lhs.replace("x16x", "x4x")).replace("SIZES", groupSizes).replace("G", Integer.toString(groups));
    }

    /** Four groups of 2^62 rows: their total wraps to 0 in 64 bits, which would count no FLOPs; refused instead. */
    @Test void groupSizesWhoseTotalOverflowsAreRefused() throws IOException {
        long q = 1L << 62;
        Cli.Run r = inspect(raggedDot("[" + q + ", " + q + ", " + q + ", " + q + "]", 4, "tensor<8x16xf32>"));
        refusedInOneLine(r, "chlo.ragged_dot", "@main", "does not fit in 64 bits");
    }

    /** A negative group size is refused by name rather than clamped (it would count FLOPs for a program no run accepts). */
    @Test void negativeGroupSizesAreRefused() throws IOException {
        Cli.Run r = inspect(raggedDot("[-1, 9]", 2, "tensor<8x16xf32>"));
        refusedInOneLine(r, "chlo.ragged_dot", "group size 0 is negative (-1)", "[-1, 9]");
    }

    /** A ragged_dot over 0 rows is valid and costs 0 FLOPs (it used to divide by the 0 rows and call that an overflow). */
    @Test void raggedDotOverNoRowsIsZeroFlops() throws IOException {
        Path f = dir.resolve("r.mlir");
        Files.writeString(f, raggedDot("[0, 0]", 2, "tensor<0x16xf32>"));
        Cli.Run r = InspectCommandTest.run("inspect", "--json", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        var main = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("functions").get(0);
        assertThat(main.get("flops").asLong()).isZero();
        assertThat(main.get("ops").get("chlo.ragged_dot").asInt()).isEqualTo(1);
    }
}
