package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * slice, pad, reduce_window, convolution, select_and_scatter and concatenate inside a partially manual
 * {@code sdy.manual_computation}, split along the dimension they read across over a free axis: halos (or pieces) from
 * the neighbours on the same manual coordinate (collective_permute) instead of a gather. Each case runs partitioned on simulated devices and is compared with the
 * global meaning run on one device: the input cut into its manual blocks (rows, over "x"), the body's op applied to
 * each, the results joined again. Self-contained: its own inputs, oracle and counters.
 */
class PartialManualHaloTest {
    /** The body's op as text over input {@code %IN} (block type {@code IN_T}); its result is {@code %rSFX}. */
    record BodyOp(long inCols, long outCols, Function<String, String> text) {
        /** The op's lines with input {@code in} and names suffixed {@code sfx}, indented by {@code indent}. */
        String lines(String in, String sfx, String indent) {
            String body = text.apply(sfx).replace("%IN", in).replace("IN_T", "tensor<ROWSx" + inCols + "xf32>")
                    .replace("OUT_T", "tensor<ROWSx" + outCols + "xf32>");
            StringBuilder sb = new StringBuilder();
            for (String line : body.strip().split("\n")) sb.append(indent).append(line.strip()).append('\n');
            return sb.toString();
        }
    }

    static final String ADD = "({\n^bb0(%p: tensor<f32>, %q: tensor<f32>):\n%s = stablehlo.add %p, %q : tensor<f32>\nstablehlo.return %s : tensor<f32>\n})";

    /** reduce_window (add) along dimension 1: window, padding low + high, stride 1. */
    static BodyOp window(long cols, long window, long lo, long hi) {
        long out = cols + lo + hi - window + 1;
        return new BodyOp(cols, out, s -> "%z" + s + " = stablehlo.constant dense<0.0> : tensor<f32>\n"
                + "%r" + s + " = \"stablehlo.reduce_window\"(%IN, %z" + s + ") <{window_dimensions = array<i64: 1, " + window
                + ">, padding = dense<[[0, 0], [" + lo + ", " + hi + "]]> : tensor<2x2xi64>}> " + ADD + " : (IN_T, tensor<f32>) -> OUT_T");
    }

    /** slice [start:limit:stride] of dimension 1. */
    static BodyOp slice(long cols, long start, long limit, long stride) {
        long out = Math.ceilDiv(limit - start, stride);
        return new BodyOp(cols, out, s -> "%r" + s + " = stablehlo.slice %IN [0:ROWS, " + start + ":" + limit + ":" + stride + "] : (IN_T) -> OUT_T");
    }

    /** pad of dimension 1 with -0.5: edge low/high, interior. */
    static BodyOp pad(long cols, long lo, long hi, long interior) {
        long out = cols + lo + hi + Math.max(0, cols - 1) * interior;
        return new BodyOp(cols, out, s -> "%v" + s + " = stablehlo.constant dense<-0.5> : tensor<f32>\n"
                + "%r" + s + " = stablehlo.pad %IN, %v" + s + ", low = [0, " + lo + "], high = [0, " + hi + "], interior = [0, " + interior
                + "] : (IN_T, tensor<f32>) -> OUT_T");
    }

    /** A 1-D convolution over dimension 1 (batch = rows, one feature), kernel of {@code k} from the constant, padded lo + hi. */
    static BodyOp conv(long cols, long k, long lo, long hi) {
        long out = cols + lo + hi - k + 1;
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < k; i++) w.append(i == 0 ? "" : ", ").append(0.25 * (i + 1) - 0.5);
        return new BodyOp(cols, out, s -> "%k" + s + " = stablehlo.constant dense<[[[" + w.toString().replace(", ", "]], [[") + "]]]> : tensor<" + k + "x1x1xf32>\n"
                + "%i" + s + " = stablehlo.reshape %IN : (IN_T) -> tensor<ROWSx1x" + cols + "xf32>\n"
                + "%c" + s + " = stablehlo.convolution(%i" + s + ", %k" + s + ") dim_numbers = [b, f, 0]x[0, i, o]->[b, f, 0], window = {pad = [["
                + lo + ", " + hi + "]]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<ROWSx1x" + cols
                + "xf32>, tensor<" + k + "x1x1xf32>) -> tensor<ROWSx1x" + out + "xf32>\n"
                + "%r" + s + " = stablehlo.reshape %c" + s + " : (tensor<ROWSx1x" + out + "xf32>) -> OUT_T");
    }

    /** concatenate of the block with itself along dimension 1 (the result's columns split on the free axes). */
    static BodyOp concatSelf(long cols) {
        return new BodyOp(cols, 2 * cols, s -> "%r" + s + " = stablehlo.concatenate %IN, %IN, dim = 1 : (IN_T, IN_T) -> OUT_T");
    }

    /**
     * select_and_scatter (the max-pool gradient: select GE, scatter add) with window 3, stride 1, padding 1 + 1 along
     * dimension 1; its source is the block negated (one value per window, split like the block).
     */
    static BodyOp maxPoolGradient(long cols) {
        return new BodyOp(cols, cols, s -> "%z" + s + " = stablehlo.constant dense<0.0> : tensor<f32>\n"
                + "%g" + s + " = stablehlo.negate %IN : IN_T\n"
                + "%r" + s + " = \"stablehlo.select_and_scatter\"(%IN, %g" + s + ", %z" + s + ") <{window_dimensions = array<i64: 1, 3>, "
                + "window_strides = array<i64: 1, 1>, padding = dense<[[0, 0], [1, 1]]> : tensor<2x2xi64>}> ({\n"
                + "^bb0(%e1: tensor<f32>, %e2: tensor<f32>):\n%ge = stablehlo.compare GE, %e1, %e2 : (tensor<f32>, tensor<f32>) -> tensor<i1>\n"
                + "stablehlo.return %ge : tensor<i1>\n}, " + ADD.substring(1) + " : (IN_T, IN_T, tensor<f32>) -> OUT_T");
    }

    /**
     * The shard_map: f32[m * rows, cols] split [{"x"}, {FREE}] on MESH, manual on "x", the body's op on its f32[rows, cols]
     * block with the result split [{}, {FREE}] on the free axes (the op's result takes that from out_shardings).
     */
    static String program(String mesh, int devices, long m, long rows, String free, BodyOp op) {
        String in = "tensor<" + m * rows + "x" + op.inCols() + "xf32>", out = "tensor<" + m * rows + "x" + op.outCols() + "xf32>";
        String sh = "<@mesh, [{\"x\"}, {" + free + "}]>";
        return ("module @jit_f attributes {mhlo.num_partitions = " + devices + " : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = <" + mesh + ">\n"
                + "  func.func public @main(%arg0: " + in + " {sdy.sharding = #sdy.sharding" + sh + "}) -> (" + out
                + " {sdy.sharding = #sdy.sharding" + sh + "}) {\n"
                + "    %0 = sdy.manual_computation(%arg0) in_shardings=[" + sh + "] out_shardings=[" + sh + "] manual_axes={\"x\"} (%a: tensor<"
                + rows + "x" + op.inCols() + "xf32>) {\n"
                + op.lines("%a", "", "      ")
                + "      sdy.return %r : tensor<" + rows + "x" + op.outCols() + "xf32>\n"
                + "    } : (" + in + ") -> " + out + "\n"
                + "    return %0 : " + out + "\n  }\n}\n").replace("ROWS", Long.toString(rows));
    }

    /** The global meaning on one device: each manual block of rows through the op, joined again. */
    static String oracle(long m, long rows, BodyOp op) {
        StringBuilder sb = new StringBuilder("module @oracle {\n  func.func public @main(%x: tensor<" + m * rows + "x" + op.inCols()
                + "xf32>) -> tensor<" + m * rows + "x" + op.outCols() + "xf32> {\n");
        List<String> parts = new ArrayList<>();
        for (long k = 0; k < m; k++) {
            sb.append("    %b").append(k).append(" = stablehlo.slice %x [").append(k * rows).append(':').append((k + 1) * rows).append(", 0:")
                    .append(op.inCols()).append("] : (tensor<").append(m * rows).append('x').append(op.inCols()).append("xf32>) -> tensor<ROWSx")
                    .append(op.inCols()).append("xf32>\n");
            sb.append(op.lines("%b" + k, "_" + k, "    "));
            parts.add("%r_" + k);
        }
        String outT = "tensor<ROWSx" + op.outCols() + "xf32>";
        sb.append("    %all = stablehlo.concatenate ").append(String.join(", ", parts)).append(", dim = 0 : (")
                .append(String.join(", ", java.util.Collections.nCopies((int) m, outT))).append(") -> tensor<").append(m * rows).append('x')
                .append(op.outCols()).append("xf32>\n");
        sb.append("    return %all : tensor<").append(m * rows).append('x').append(op.outCols()).append("xf32>\n  }\n}\n");
        return sb.toString().replace("ROWS", Long.toString(rows));
    }

    static HostArray input(long rows, long cols, int seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) (rows * cols)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return HostArray.fromFloats(TensorType.of(FloatType.F32, rows, cols), v);
    }

    /** A partitioned run and its explicit program. */
    record Result(PartitionedProgram program, String text, SpmdRun run) {
        List<CollectiveRecord> of(String op) { return run.log().stream().filter(r -> r.op().equals("stablehlo." + op)).toList(); }
    }

    /** Partition, check the explicit module parses back, run, compare with the oracle on one device. */
    static Result run(String text, String oracle, HostArray in) {
        PartitionedProgram p = Spmd.explicit(MlirParser.parseModule(text, "f.mlir"));
        String printed = MlirPrinter.print(p.module());
        assertThat(printed).doesNotContain("sdy.");
        io.hlo4j.mlir.verify.ModuleVerifier.verify(MlirParser.parseModule(printed, "explicit.mlir"));
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), List.of(in), p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = new Interpreter(MlirParser.parseModule(oracle, "oracle.mlir")).runHost("main", List.of(in)).getFirst();
        assertThat(run.results().getFirst().allClose(want, 1e-5, 1e-5)).as("equal to the global program on one device\n%s", printed).isTrue();
        // every collective has its own channel
        Matcher h = Pattern.compile("handle = (\\d+)").matcher(printed);
        Set<String> handles = new HashSet<>();
        while (h.find()) assertThat(handles.add(h.group(1))).as("channel handle %s used once", h.group(1)).isTrue();
        return new Result(p, printed, run);
    }

    /** Every pair of every collective_permute, and every group of the other collectives, stays on one manual coordinate. */
    static void withinManualGroups(Result r, String... manual) {
        DeviceGrid grid = new DeviceGrid(r.program().mesh());
        List<AxisRef> refs = new ArrayList<>();
        for (String a : manual) refs.add(AxisRef.of(a));
        for (CollectiveRecord c : r.run().log()) {
            for (List<Integer> g : c.groups()) {
                Set<Long> coords = new HashSet<>();
                for (int d : g) coords.add(grid.index(d, refs));
                assertThat(coords).as("%s group %s on one coordinate of %s", c.op(), g, List.of(manual)).hasSize(1);
            }
        }
    }

    /** No op computed less sharded or replicated, no gather, only collective_permutes (how many given). */
    static void onlyHalos(Result r, int permutes) {
        assertThat(r.program().report().entries()).as(r.program().report().toString()).isEmpty();
        assertThat(r.run().log()).as(r.text()).allMatch(c -> c.op().equals("stablehlo.collective_permute"));
        assertThat(r.run().log()).hasSize(permutes);
    }

    /**
     * 2x2, manual on x, the body's 16 columns split on the free y (blocks of 8): a 3-wide window padded 1 + 1 takes one
     * column from each neighbour. Pairs by hand (device 2x + y, y-groups {0, 1} and {2, 3}): the left halo goes
     * 0 -> 1 and 2 -> 3, the right one 1 -> 0 and 3 -> 2; never across x (0 <-> 2 would mix the two manual blocks).
     */
    @Test
    void reduceWindowOn2x2TakesHalosWithinEachManualCoordinate() {
        BodyOp op = window(16, 3, 1, 1);
        Result r = run(program("[\"x\"=2, \"y\"=2]", 4, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 1));
        onlyHalos(r, 2);
        assertThat(r.run().log().get(0).groups()).containsExactlyInAnyOrder(List.of(0, 1), List.of(2, 3));
        assertThat(r.run().log().get(1).groups()).containsExactlyInAnyOrder(List.of(1, 0), List.of(3, 2));
        // each device receives one column of its 2 rows (f32[2, 1], 8 B) from its one neighbour
        assertThat(r.run().bytesReceivedPerDevice(4)).containsExactly(8, 8, 8, 8);
        // device_ids [2, 0, 3, 1]: positions (x, y) = (0, 0), (0, 1), (1, 0), (1, 1) hold 2, 0, 3, 1; y-groups {2, 0}, {3, 1}
        Result ids = run(program("[\"x\"=2, \"y\"=2], device_ids=[2, 0, 3, 1]", 4, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 11));
        onlyHalos(ids, 2);
        assertThat(ids.run().log().get(0).groups()).containsExactlyInAnyOrder(List.of(2, 0), List.of(3, 1));
        assertThat(ids.run().log().get(1).groups()).containsExactlyInAnyOrder(List.of(0, 2), List.of(1, 3));
    }

    /**
     * The same window on ["y"=4, "x"=2], manual on the minor x (device 2y + x: the manual coordinates interleave, so a
     * halo sent to the next device id would cross them): the free y-groups are {0, 2, 4, 6} and {1, 3, 5, 7}. Blocks
     * of 4 columns; interior devices receive a column from each side (16 B), the ends one (8 B).
     */
    @Test
    void reduceWindowOn4x2WithInterleavedManualCoordinates() {
        BodyOp op = window(16, 3, 1, 1);
        Result r = run(program("[\"y\"=4, \"x\"=2]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 2));
        onlyHalos(r, 2);
        withinManualGroups(r, "x");
        assertThat(r.run().log().get(0).groups()).containsExactlyInAnyOrder(List.of(0, 2), List.of(2, 4), List.of(4, 6),
                List.of(1, 3), List.of(3, 5), List.of(5, 7));
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(8, 8, 16, 16, 16, 16, 8, 8);
    }

    /**
     * An offset strided slice [5:21:2] of 32 columns on 2x4 (blocks of 8, output blocks of 2): y-block k reads columns
     * 5 + 4k and 7 + 4k, so block 3 reaches 7 columns into its left neighbour (17 of 24..31): one collective_permute of
     * each block's last 7 columns (f32[2, 7], 56 B) to the right, received by every device but y = 0 (device 4x + y).
     */
    @Test
    void offsetStridedSliceOn2x4() {
        BodyOp op = slice(32, 5, 21, 2);
        Result r = run(program("[\"x\"=2, \"y\"=4]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 32, 3));
        onlyHalos(r, 1);
        withinManualGroups(r, "x");
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(0, 56, 56, 56, 0, 56, 56, 56);
    }

    /**
     * The same slice on 2x2 (blocks of 16, output blocks of 4): y-block k reads columns 5 + 8k .. 11 + 8k, so block 1
     * reads 13..15 from block 0: one collective_permute of f32[2, 3] (24 B) from y = 0 to y = 1 (device 2x + y).
     */
    @Test
    void offsetStridedSliceOn2x2() {
        BodyOp op = slice(32, 5, 21, 2);
        Result r = run(program("[\"x\"=2, \"y\"=2]", 4, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 32, 14));
        onlyHalos(r, 1);
        withinManualGroups(r, "x");
        assertThat(r.run().log().getFirst().groups()).containsExactlyInAnyOrder(List.of(0, 1), List.of(2, 3));
        assertThat(r.run().bytesReceivedPerDevice(4)).containsExactly(0, 24, 0, 24);
    }

    /**
     * Edge and interior padding (low 2, high -1, interior 1: 16 columns to 32) on ["y"=4, "x"=2], manual on x: input i
     * sits at position 2 + 2i, so output block k (positions 8k..8k+7) reads inputs 4k-1..4k+2, one from the left
     * neighbour (block 0's is the padding, masked): one collective_permute of f32[2, 1] (8 B) to every device but y = 0.
     */
    @Test
    void edgeAndInteriorPadOn4x2() {
        BodyOp op = pad(16, 2, -1, 1);
        Result r = run(program("[\"y\"=4, \"x\"=2]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 4));
        onlyHalos(r, 1);
        withinManualGroups(r, "x");
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(0, 0, 8, 8, 8, 8, 8, 8);
    }

    /**
     * The same pad on 2x2 (input blocks of 8, output blocks of 16): output block 1 (positions 16..31) reads inputs 7..14,
     * input 7 from y = 0: one collective_permute of f32[2, 1] (8 B) to y = 1 (device 2x + y).
     */
    @Test
    void edgeAndInteriorPadOn2x2() {
        BodyOp op = pad(16, 2, -1, 1);
        Result r = run(program("[\"x\"=2, \"y\"=2]", 4, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 15));
        onlyHalos(r, 1);
        withinManualGroups(r, "x");
        assertThat(r.run().bytesReceivedPerDevice(4)).containsExactly(0, 8, 0, 8);
    }

    /**
     * A halo wider than a block: a window of 11 padded 5 + 5 over 16 columns in blocks of 4 needs 5 columns from each
     * side, two hops each way (a whole block from the next device, one column from the one after): four
     * collective_permutes, each pair on one manual coordinate. Also on 2x4 with the manual axis major, and on 2x2, where
     * two devices along y cannot need more than one hop (a halo wider than the other block would be the whole row, which
     * falls back): there the blocks are 8 wide and the 5 columns each side come in one hop.
     */
    @Test
    void multiHopHalos() {
        BodyOp op = window(16, 11, 5, 5);
        Result r = run(program("[\"y\"=4, \"x\"=2]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 5));
        onlyHalos(r, 4);
        withinManualGroups(r, "x");
        // f32[2, 4] (32 B) from the next device and f32[2, 1] (8 B) from the one after, each side that exists:
        // the ends (y = 0, 3) receive 40 B, the middle ones 72 B (device 2y + x)
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(40, 40, 72, 72, 72, 72, 40, 40);
        Result r2 = run(program("[\"x\"=2, \"y\"=4]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 6));
        onlyHalos(r2, 4);
        withinManualGroups(r2, "x");
        // the same counts, device 4x + y: the ends y = 0, 3 receive 32 + 8 B from their one side, the middle 72 B
        assertThat(r2.run().bytesReceivedPerDevice(8)).containsExactly(40, 72, 72, 40, 40, 72, 72, 40);
        // 2x2: f32[2, 5] (40 B) from the one neighbour, a permute each way
        Result r3 = run(program("[\"x\"=2, \"y\"=2]", 4, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 16));
        onlyHalos(r3, 2);
        withinManualGroups(r3, "x");
        assertThat(r3.run().bytesReceivedPerDevice(4)).containsExactly(40, 40, 40, 40);
    }

    /** A 3-wide convolution padded 1 + 1 along the columns split on the free y: two halos, no gather. */
    @Test
    void convolutionSpatialHalosOn2x4() {
        BodyOp op = conv(16, 3, 1, 1);
        Result r = run(program("[\"x\"=2, \"y\"=4]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 7));
        onlyHalos(r, 2);
        withinManualGroups(r, "x");
        // one element of each of the 2 rows from each neighbour that exists (f32[2, 1, 1], 8 B); device 4x + y
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(8, 16, 16, 8, 8, 16, 16, 8);
    }

    /**
     * concatenate of the 16 columns with themselves along the columns split on the free y (["y"=4, "x"=2], device 2y + x):
     * result blocks of 8 over input blocks of 4. Result block k takes positions 8k..8k+7: the first operand (at offset 0)
     * fills blocks 0 and 1, inputs 8k..8k+7, so the widest need is 8 from the right (block 1: inputs 8..15, two hops); the
     * second (offset 16) fills blocks 2 and 3, inputs 8k-16..8k-9, 8 from the left (block 2: inputs 0..7). One program
     * serves every device, so each plan moves its whole width wherever a sender exists: the first operand's pieces go
     * y+1 -> y and y+2 -> y, the second's y-1 -> y and y-2 -> y, four collective_permutes of f32[2, 4] (32 B). Received:
     * y = 0: 2 right hops (64 B); y = 1: 2 right, 1 left (96 B); y = 2: 1 right, 2 left (96 B); y = 3: 2 left (64 B).
     * (y = 0 and 3 need only one block, y = 1 and 2 two: the minimum would be 32 and 64 B; the select takes each
     * position from its own operand, so the extra pieces go unused.)
     */
    @Test
    void concatenateMovesPiecesWithinEachManualCoordinate() {
        BodyOp op = concatSelf(16);
        Result r = run(program("[\"y\"=4, \"x\"=2]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 12));
        assertThat(r.program().report().entries()).as(r.program().report().toString()).isEmpty();
        onlyHalos(r, 4);
        withinManualGroups(r, "x");
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(64, 64, 96, 96, 96, 96, 64, 64);
    }

    /**
     * select_and_scatter (max-pool gradient) along the columns split on the free y (["x"=2, "y"=4], device 4x + y),
     * blocks of 4 columns, 16 windows (window j reads operand columns j-1..j+1). The windows overlapping block k are
     * 4k-1..4k+4 clamped to 0..15: 0..4, 3..8, 7..12, 11..15, so every device runs M = 6 consecutive windows (the same
     * program for all), starting at j = min(first, 16 - 6): 0, 3, 7, 10 (the last device's run shifted left to stay
     * inside the source). Source windows j..j+5: 0..5, 3..8, 7..12, 10..15, i.e. 2 from the right (y = 0), 1 each side
     * (y = 1, 2), 2 from the left (y = 3): a source halo of 2 each side. Operand columns j-1..j+6: -1..6 (the -1 is
     * padding), 2..9, 6..13, 9..16 (the 16 is padding), i.e. 3 from the right, 2 each side, 2 each side, 3 from the left:
     * an operand halo of 3 each side. Four collective_permutes (operand and source, each way), each side that exists
     * bringing f32[2, 3] + f32[2, 2] (40 B): the ends receive 40 B, the middle 80 B.
     */
    @Test
    void selectAndScatterTakesHalosWithinEachManualCoordinate() {
        BodyOp op = maxPoolGradient(16);
        Result r = run(program("[\"x\"=2, \"y\"=4]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 13));
        onlyHalos(r, 4);
        withinManualGroups(r, "x");
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(40, 80, 80, 40, 40, 80, 80, 40);
    }

    /**
     * A cumulative sum (window 16 padded 15 + 0) needs 12 columns from the left of blocks of 4: with its own block that
     * is the whole row, so the dimension is gathered over y (within each manual coordinate) and the report says so.
     */
    @Test
    void haloSpanningTheWholeDimensionStillGathers() {
        BodyOp op = window(16, 16, 15, 0);
        Result r = run(program("[\"y\"=4, \"x\"=2]", 8, 2, 2, "\"y\"", op), oracle(2, 2, op), input(4, 16, 8));
        assertThat(r.program().report().entries()).hasSize(1);
        PartitionReport.Entry e = r.program().report().entries().getFirst();
        assertThat(e.kind()).isEqualTo(PartitionReport.Kind.COMPUTED_LESS_SHARDED);
        assertThat(e.toString()).contains("dimension 1 gathered: device blocks need 12 elements from the left and 0 from the right, over 3 hops "
                + "of blocks of 4: with its own block that is the whole dimension of 16, so one all_gather moves no more");
        assertThat(r.of("all_gather")).hasSize(1);
        assertThat(r.of("collective_permute")).isEmpty();
        withinManualGroups(r, "x");
        // the f32[2, 4] block gathered over y within each manual coordinate: 3 * 32 B on every device
        assertThat(r.of("all_gather").getFirst().groups()).containsExactlyInAnyOrder(List.of(0, 2, 4, 6), List.of(1, 3, 5, 7));
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(96, 96, 96, 96, 96, 96, 96, 96);
    }

    /**
     * Nested on x=2, y=2, z=2: the outer computation manual on x, the inner on z, y free in both; the inner body's
     * window along columns split on y takes halos among the devices sharing x and z.
     */
    @Test
    void nestedComputationTakesHalosOnItsFreeAxis() {
        BodyOp op = window(16, 3, 1, 1);
        String inner = op.lines("%b", "", "        ").replace("ROWS", "2");
        String text = """
                module @jit_f attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2, "y"=2, "z"=2]>
                  func.func public @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "z"}, {"y"}]>}) -> (tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "z"}, {"y"}]>}) {
                    %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x", "z"}, {"y"}]>] out_shardings=[<@mesh, [{"x", "z"}, {"y"}]>] manual_axes={"x"} (%a: tensor<4x16xf32>) {
                      %1 = sdy.manual_computation(%a) in_shardings=[<@mesh, [{"z"}, {"y"}]>] out_shardings=[<@mesh, [{"z"}, {"y"}]>] manual_axes={"z"} (%b: tensor<2x16xf32>) {
                INNER        sdy.return %r : tensor<2x16xf32>
                      } : (tensor<4x16xf32>) -> tensor<4x16xf32>
                      sdy.return %1 : tensor<4x16xf32>
                    } : (tensor<8x16xf32>) -> tensor<8x16xf32>
                    return %0 : tensor<8x16xf32>
                  }
                }
                """.replace("INNER", inner);
        Result r = run(text, oracle(4, 2, op), input(8, 16, 9));
        onlyHalos(r, 2);
        withinManualGroups(r, "x", "z");
        // device 4x + 2y + z: y-groups {0, 2}, {1, 3}, {4, 6}, {5, 7}; the left halo goes to the y = 1 member
        assertThat(r.run().log().get(0).groups()).containsExactlyInAnyOrder(List.of(0, 2), List.of(1, 3), List.of(4, 6), List.of(5, 7));
        assertThat(r.run().bytesReceivedPerDevice(8)).containsExactly(8, 8, 8, 8, 8, 8, 8, 8);
    }
}
