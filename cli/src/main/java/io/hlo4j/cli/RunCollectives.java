package io.hlo4j.cli;

import io.hlo4j.runtime.spmd.CollectiveRecord;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code run --spmd --collectives}: the collectives the per-device program executed, one line each in execution order,
 * from the run's log ({@code SpmdRunner}): the op, where it came from (the partitioner places a collective at the
 * user's op that needed it), the groups that formed (partition ids; for collective_permute the source/target pairs),
 * and what each device received.
 */
final class RunCollectives {
    private RunCollectives() {}

    static void print(PrintWriter out, List<CollectiveRecord> log) {
        out.println("collectives: " + log.size() + " executed, in order");
        for (int i = 0; i < log.size(); i++) out.println(line(i, log.get(i)));
    }

    static String line(int index, CollectiveRecord c) {
        String groups = c.groups().stream().map(g -> g.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")))
                .collect(Collectors.joining(",", "[", "]"));
        return "  #" + index + " " + CollectivesReport.shortOp(c.op()) + " at " + c.location()
                + " groups " + groups + (c.axes().isEmpty() ? "" : " axes " + String.join(",", c.axes()))
                + " received bytes per device " + Arrays.toString(c.bytesReceived());
    }
}
