package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * Told about every collective a simulated device executes (see {@link ProcessGrid#listen}); called on the device's
 * own thread, in its program order, after the collective completed. Used for communication accounting.
 */
@FunctionalInterface
public interface CollectiveListener {
    void executed(Event e);

    /**
     * One device's view of one executed collective. {@code group} is its group in group order (for
     * collective_permute: the device it received from, when another one). {@code movedIn}/{@code movedOut} are the
     * bytes received from / sent to other devices for ops whose traffic depends on the data or the pairs
     * (collective_permute, collective_broadcast, ragged_all_to_all), and -1 for ops whose traffic follows from the
     * group size and operand types.
     */
    record Event(Operation op, Process self, List<Process> group, List<TensorType> operandTypes, List<TensorType> resultTypes,
                 long movedIn, long movedOut) {
        public Event {
            group = List.copyOf(group);
            operandTypes = List.copyOf(operandTypes);
            resultTypes = List.copyOf(resultTypes);
        }
    }
}
