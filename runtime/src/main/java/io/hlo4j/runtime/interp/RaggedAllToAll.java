package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/**
 * {@code custom_call @ragged_all_to_all(input, output, input_offsets, send_sizes, output_offsets, recv_sizes)}
 * as XLA defines it: within a group, sender j sends rows {@code [input_offsets[i], +send_sizes[i])} of its input
 * (along dimension 0) to member i, which writes them at row {@code output_offsets[i]} of j's offsets, i.e. the
 * offset the sender computed for that receiver. The result is {@code output} with every received chunk written.
 * Chunks that overlap in one receiver's output are refused, naming both: no definition of overlapping chunks was
 * found (JAX's docstring states the receive as pseudocode and says nothing of overlap), and an answer that depends on
 * the order the transfers land in is not picked here. That the chunks are disjoint is also what bounds the bytes a
 * device receives by its output buffer (the static cost analysis, {@code CollectiveTraffic}).
 */
final class RaggedAllToAll {
    private RaggedAllToAll() {}

    static List<RtValue> eval(Operation op, List<RtValue> args, Frame f) {
        Tensor input = (Tensor) args.get(0), output = (Tensor) args.get(1);
        Tensor inOff = (Tensor) args.get(2), sendSizes = (Tensor) args.get(3), outOff = (Tensor) args.get(4);
        long[][] groups = null;
        long channel = 0;
        Attribute cfg = op.attr("backend_config");
        if (cfg instanceof DictionaryAttr d) {
            if (d.get("replica_groups") instanceof DenseElementsAttr rg) {
                Tensor t = Tensor.fromDense(rg);
                int rows = t.rank() == 2 ? (int) t.shape[0] : 0, cols = t.rank() == 2 ? (int) t.shape[1] : 0;
                groups = new long[rows][cols];
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) groups[i][j] = t.ints[i * cols + j];
            }
            if (d.get("channel_id") instanceof io.hlo4j.mlir.attr.IntegerAttr c) channel = c.value();
        }
        ProcessGrid grid = f.process().grid();
        io.hlo4j.mlir.dialect.stablehlo.CollectiveMode mode = ProcessGrid.modeOf(op, "ragged_all_to_all", channel, false);
        List<Process> group = grid.groupOf(op, f.process(), groups, mode, false);
        if (group == null) throw InterpreterException.at(op, f.process() + " is in no replica group");
        List<List<Tensor>> all = CollectiveKernels.exchange(op, f, group, List.of(input, inOff, sendSizes, outOff));
        int me = group.indexOf(f.process());
        Tensor r = output.blank();
        Layout.copy(output, 0, r, 0, output.size);
        int row = output.rank() == 0 ? 1 : output.size / (int) Math.max(1, output.shape[0]);
        int inRow = input.rank() == 0 ? 1 : input.size / (int) Math.max(1, input.shape[0]);
        if (row != inRow) throw InterpreterException.at(op, "input and output rows differ: " + input.type + " vs " + output.type);
        long[][] chunks = new long[all.size()][];   // {dst, size} per sender, for the overlap check
        for (int j = 0; j < all.size(); j++) {
            List<Tensor> sender = all.get(j);
            Tensor sin = sender.get(0);
            long off = sender.get(1).ints[me], size = sender.get(2).ints[me], dst = sender.get(3).ints[me];
            if (size == 0) continue;
            if (off < 0 || off + size > sin.shape[0] || dst < 0 || dst + size > r.shape[0]) {
                throw InterpreterException.at(op, "chunk [" + off + ", +" + size + ") to row " + dst + " is out of bounds for "
                        + sin.type + " -> " + r.type);
            }
            for (int k = 0; k < j; k++) {
                if (chunks[k] != null && dst < chunks[k][0] + chunks[k][1] && chunks[k][0] < dst + size) {
                    throw InterpreterException.at(op, "@ragged_all_to_all: output chunks overlap on " + f.process() + ": rows [" + chunks[k][0] + ", +"
                            + chunks[k][1] + ") from " + group.get(k) + " and rows [" + dst + ", +" + size + ") from " + group.get(j)
                            + "; overlapping chunks have no defined result");
                }
            }
            chunks[j] = new long[] {dst, size};
            Layout.copy(sin, (int) (off * row), r, (int) (dst * row), (int) (size * row));
        }
        if (grid.listener() != null) {
            // point-to-point traffic: the rows others sent me, and the rows I sent others
            long rowBytes = (long) row * input.elementType.storageBytes(), in = 0, sent = 0;
            for (int g = 0; g < all.size(); g++) {
                if (g == me) continue;
                in += all.get(g).get(2).ints[me] * rowBytes;
                sent += sendSizes.ints[g] * rowBytes;
            }
            CollectiveKernels.report(op, f, group, List.of(input), List.of(r), in, sent);
        }
        return List.of(r);
    }
}
