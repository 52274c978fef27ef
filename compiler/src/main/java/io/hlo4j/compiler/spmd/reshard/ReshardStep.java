package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;

/**
 * One step of a {@link ReshardPlan}, on local (per-device) values: its input and output block types, the bytes each
 * device receives from others (indexed by partition id; the definitions of the runtime's collectives log), and what
 * the emitter needs (groups as partition ids in chunk order, permutation pairs, slice offsets).
 */
public sealed interface ReshardStep {
    TensorType input();
    TensorType output();
    long[] bytesPerDevice();

    default long maxBytes() { return Arrays.stream(bytesPerDevice()).max().orElse(0); }

    /** Collectives this step emits: none for a local slice, one per round for an exchange, else one. */
    default int collectives() { return 1; }

    /**
     * The busiest device's bytes summed over this step's collectives (what {@link ReshardCost} divides by the
     * bandwidth): {@link #maxBytes()} for a single collective; for an exchange, per round the cell of a device that
     * receives one from another device.
     */
    default long busiestBytesPerCollective() { return maxBytes(); }

    /**
     * Free: each device keeps the sub-block of its block given by its coordinates on the added axes
     * ({@code added.get(d)} are appended, minor-most, to dimension d). {@code starts[device][d]} is the offset.
     */
    record LocalSlice(List<List<AxisRef>> added, TensorType input, TensorType output, long[][] starts, long[] bytesPerDevice)
            implements ReshardStep {
        @Override public int collectives() { return 0; }
        @Override public String toString() { return "local_slice " + added + " " + input + " -> " + output; }
    }

    /** Removes {@code axes}, the minor-most axes of dimension {@code dim}: all_gather along dim over them. */
    record AllGather(int dim, List<AxisRef> axes, TensorType input, TensorType output, long[][] groups, long[] bytesPerDevice)
            implements ReshardStep {
        @Override public String toString() { return "all_gather dim " + dim + " over " + axes + " " + input + " -> " + output; }
    }

    /**
     * Moves {@code axes}, the minor-most axes of {@code fromDim}, to the minor end of {@code toDim}: all_to_all with
     * split_dimension = toDim, concat_dimension = fromDim.
     */
    record AllToAll(int fromDim, int toDim, List<AxisRef> axes, TensorType input, TensorType output, long[][] groups,
                    long[] bytesPerDevice) implements ReshardStep {
        @Override public String toString() { return "all_to_all " + axes + " dim " + fromDim + " -> " + toDim + " " + input + " -> " + output; }
    }

    /** Moves whole blocks between devices ({source, target} partition ids; self-pairs keep their block). */
    record CollectivePermute(TensorType input, long[][] pairs, long[] bytesPerDevice) implements ReshardStep {
        @Override public TensorType output() { return input; }
        @Override public String toString() {
            long moved = Arrays.stream(pairs).filter(p -> p[0] != p[1]).count();
            return "collective_permute " + input + " (" + moved + " of " + pairs.length + " devices receive)";
        }
    }

    /**
     * Direct exchange of equal cells (the common refinement of the two tilings): in each round every device slices
     * one cell of its block, a collective_permute moves it (self-pairs are local copies), and the receiver writes it
     * into its new block (a device that receives nothing in a round writes back the cell it already holds there, so no buffer
     * exceeds the output block).
     * Every device receives exactly the cells of its target block it did not hold: the lower bound, per device. The
     * rounds that move cells between devices are as few as possible (see {@code CellExchange}); a round of self-pairs
     * only is a local copy, with no collective.
     */
    record Exchange(TensorType input, TensorType output, long[] cell, List<Round> rounds, long[] bytesPerDevice)
            implements ReshardStep {
        /** One round: the {source, target} pairs and, per device, where its outgoing cell starts in its old block and where its incoming cell goes in its new block. */
        public record Round(long[][] pairs, long[][] sendStarts, long[][] recvStarts) {
            /** Whether some cell goes to another device (else the round is local copies only, and emits no collective). */
            public boolean moves() { return Arrays.stream(pairs).anyMatch(p -> p[0] != p[1]); }
        }

        /** Rounds that move a cell between devices: each is one collective_permute (a round of self-pairs only is local). */
        @Override public int collectives() { return (int) rounds.stream().filter(Round::moves).count(); }

        @Override public long busiestBytesPerCollective() {
            long cellBytes = input.elementType().storageBytes();
            for (long c : cell) cellBytes *= c;
            return collectives() * cellBytes;
        }

        @Override public String toString() {
            return "exchange " + input + " -> " + output + " in " + collectives() + " rounds of " + Arrays.toString(cell) + " cells"
                    + (rounds.size() > collectives() ? " (+ " + (rounds.size() - collectives()) + " local)" : "");
        }
    }

    /** Finishes the pending reduction over unreduced {@code axes}. */
    record AllReduce(List<AxisRef> axes, String reduction, TensorType input, long[][] groups, long[] bytesPerDevice)
            implements ReshardStep {
        @Override public TensorType output() { return input; }
        @Override public String toString() { return "all_reduce(" + reduction + ") over " + axes + " " + input; }
    }

    /** Finishes the pending reduction over unreduced {@code axes} and shards dimension {@code dim} over them (minor end). */
    record ReduceScatter(int dim, List<AxisRef> axes, String reduction, TensorType input, TensorType output, long[][] groups,
                         long[] bytesPerDevice) implements ReshardStep {
        @Override public String toString() { return "reduce_scatter(" + reduction + ") dim " + dim + " over " + axes + " " + input + " -> " + output; }
    }
}
