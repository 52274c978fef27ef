package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.dialect.stablehlo.CollectiveMode;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * Collectives across the simulated devices of a {@link ProcessGrid}, with replica_groups, channel_handle and
 * use_global_device_ids as the spec defines them, plus partition_id/replica_id.
 */
final class CollectiveKernels {
    private CollectiveKernels() {}

    static void register() {
        Kernels.put("stablehlo.partition_id", (op, a, f) -> List.of(Tensor.scalarInt(IntegerType.UI32, f.process().partition())));
        Kernels.put("stablehlo.replica_id", (op, a, f) -> List.of(Tensor.scalarInt(IntegerType.UI32, f.process().replica())));
        Kernels.put("stablehlo.all_gather", CollectiveKernels::allGather);
        Kernels.put("stablehlo.all_reduce", CollectiveKernels::allReduce);
        Kernels.put("stablehlo.reduce_scatter", CollectiveKernels::reduceScatter);
        Kernels.put("stablehlo.collective_reduce", CollectiveKernels::collectiveReduce);
        Kernels.put("stablehlo.all_to_all", CollectiveKernels::allToAll);
        Kernels.put("stablehlo.collective_permute", CollectiveKernels::collectivePermute);
        Kernels.put("stablehlo.collective_broadcast", CollectiveKernels::collectiveBroadcast);
        Kernels.put("interpreter.run_parallel", RunParallel::eval);
        ControlKernels.CUSTOM_CALLS.put("ragged_all_to_all", RaggedAllToAll::eval);
    }

    static long channel(Operation op) {
        return op.attr("channel_handle") == null ? 0
                : Attrs.typed(op, "channel_handle", io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle.class).handle();
    }

    /** The op's process-group mode from its channel handle and use_global_device_ids ({@link CollectiveMode}). */
    static CollectiveMode mode(Operation op) {
        return ProcessGrid.modeOf(op, op.name(), channel(op), Attrs.flag(op, "use_global_device_ids"));
    }

    static List<Tensor> tensors(List<RtValue> args) {
        List<Tensor> out = new ArrayList<>(args.size());
        for (RtValue v : args) out.add((Tensor) v);
        return out;
    }

    /** Exchanges within the caller's group, failing if members disagree on types. */
    static List<List<Tensor>> exchange(Operation op, Frame f, List<Process> group, List<Tensor> mine) {
        List<List<Tensor>> all = f.process().grid().rendezvous().exchange(op, f.process(), group, channel(op), mine, f.interpreter());
        for (int g = 0; g < all.size(); g++) {
            List<Tensor> other = all.get(g);
            for (int k = 0; k < mine.size(); k++) {
                if (other.size() != mine.size() || !other.get(k).type.equals(mine.get(k).type)) {
                    throw InterpreterException.at(op, "operand shapes disagree across devices: " + f.process() + " has "
                            + mine.get(k).type + ", " + group.get(g) + " has " + (k < other.size() ? other.get(k).type : "nothing"));
                }
            }
        }
        return all;
    }

    /** Tells the grid's listener (if any) that {@code op} ran on this device; {@code movedIn/Out} -1 unless point-to-point. */
    static void report(Operation op, Frame f, List<Process> group, List<RtValue> args, List<RtValue> out, long movedIn, long movedOut) {
        CollectiveListener l = f.process().grid().listener();
        if (l == null) return;
        List<TensorType> in = new ArrayList<>(), res = new ArrayList<>();
        for (RtValue v : args) if (v instanceof Tensor t) in.add(t.type);
        for (RtValue v : out) if (v instanceof Tensor t) res.add(t.type);
        l.executed(new CollectiveListener.Event(op, f.process(), group, in, res, movedIn, movedOut));
    }

    static long bytes(Tensor t) { return (long) t.size * t.elementType.storageBytes(); }

    private static List<Process> gatherGroup(Operation op, Frame f, boolean allowPadding) {
        CollectiveMode mode = mode(op);
        List<Process> g = f.process().grid().groupOf(op, f.process(), Attrs.matrix(op, "replica_groups"), mode, allowPadding);
        if (g == null) throw InterpreterException.at(op, f.process() + " is in no replica group");
        return g;
    }

    private static List<RtValue> allGather(Operation op, List<RtValue> args, Frame f) {
        List<Process> group = gatherGroup(op, f, false);
        List<List<Tensor>> all = exchange(op, f, group, tensors(args));
        int dim = (int) Attrs.integer(op, "all_gather_dim", 0);
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) {
            List<Tensor> parts = new ArrayList<>();
            for (List<Tensor> m : all) parts.add(m.get(k));
            out.add(ShapeKernels.concatenate(parts, dim, (TensorType) op.result(k).type()));
        }
        report(op, f, group, args, out, -1, -1);
        return out;
    }

    /** Combines the members' k-th operands element-wise in group order with the region. */
    static Tensor reduceAcross(Operation op, Frame f, List<List<Tensor>> all, int k, TensorType rt) {
        Region body = op.region(0);
        Tensor first = all.get(0).get(k);
        Tensor acc = ConvertKernels.convert(first, rt);
        ScalarOp fast = ScalarOp.of(body, rt.elementType());
        Tensor[] accs = {acc};
        for (int g = 1; g < all.size(); g++) {
            Tensor x = all.get(g).get(k);
            if (fast != null && x.elementType.equals(rt.elementType())) {
                for (long i0 = 0; i0 < acc.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, acc.size); i < iEnd; i++) fast.accumulate(acc, i, x, i);
            } else {
                Tensor[] xs = {x};
                for (long i0 = 0; i0 < acc.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, acc.size); i < iEnd; i++) ReduceKernels.combine(f, body, accs, i, xs, i);
            }
        }
        return acc;
    }

    private static List<RtValue> allReduce(Operation op, List<RtValue> args, Frame f) {
        List<Process> group = gatherGroup(op, f, true);
        List<List<Tensor>> all = exchange(op, f, group, tensors(args));
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) out.add(reduceAcross(op, f, all, k, (TensorType) op.result(k).type()));
        report(op, f, group, args, out, -1, -1);
        return out;
    }

    /** Like all_reduce within each group, but only the group's first member (the root) gets the result; others get zeros. */
    private static List<RtValue> collectiveReduce(Operation op, List<RtValue> args, Frame f) {
        CollectiveMode mode = mode(op);
        List<Process> group = f.process().grid().groupOf(op, f.process(), Attrs.matrix(op, "replica_groups"), mode, false);
        if (group == null) throw InterpreterException.at(op, f.process() + " is in no replica group");
        List<List<Tensor>> all = exchange(op, f, group, tensors(args));
        boolean root = group.get(0).equals(f.process());
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) {
            TensorType rt = (TensorType) op.result(k).type();
            out.add(root ? reduceAcross(op, f, all, k, rt) : Tensor.zeros(rt));
        }
        report(op, f, group, args, out, -1, -1);
        return out;
    }

    private static List<RtValue> reduceScatter(Operation op, List<RtValue> args, Frame f) {
        List<Process> group = gatherGroup(op, f, false);
        List<List<Tensor>> all = exchange(op, f, group, tensors(args));
        int dim = (int) Attrs.integer(op, "scatter_dimension", 0);
        int me = group.indexOf(f.process());
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) {
            Tensor x = all.get(0).get(k);
            TensorType rt = (TensorType) op.result(k).type();
            Tensor sum = reduceAcross(op, f, all, k, x.type.withElementType(rt.elementType()));
            if (x.shape[dim] % group.size() != 0) {
                throw InterpreterException.at(op, "dimension " + dim + " of " + x.type + " is not divisible by the group size " + group.size());
            }
            out.add(part(sum, dim, group.size(), me, rt));
        }
        report(op, f, group, args, out, -1, -1);
        return out;
    }

    /** Part {@code i} of {@code n} equal parts of {@code x} along {@code dim}. */
    static Tensor part(Tensor x, int dim, int n, int i, TensorType rt) {
        long[] start = new long[x.rank()];
        start[dim] = x.shape[dim] / n * i;
        return ShapeKernels.slice(x, rt, start, ShapeKernels.ones(x.rank()));
    }

    private static List<RtValue> allToAll(Operation op, List<RtValue> args, Frame f) {
        CollectiveMode mode = mode(op);
        List<Process> group = f.process().grid().groupOf(op, f.process(), Attrs.matrix(op, "replica_groups"), mode, false);
        if (group == null) throw InterpreterException.at(op, f.process() + " is in no replica group");
        int split = (int) Attrs.integer(op, "split_dimension", 0), concat = (int) Attrs.integer(op, "concat_dimension", 0);
        int count = (int) Attrs.integer(op, "split_count", group.size());
        if (count != group.size()) throw InterpreterException.at(op, "split_count " + count + " differs from the group size " + group.size());
        List<List<Tensor>> all = exchange(op, f, group, tensors(args));
        int me = group.indexOf(f.process());
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) {
            Tensor x = all.get(0).get(k);
            if (x.shape[split] % count != 0) {
                throw InterpreterException.at(op, "dimension " + split + " of " + x.type + " is not divisible by split_count " + count);
            }
            long[] ps = x.shape.clone();
            ps[split] /= count;
            TensorType pt = TensorType.of(x.elementType, ps);
            List<Tensor> parts = new ArrayList<>();
            for (List<Tensor> m : all) parts.add(part(m.get(k), split, count, me, pt));
            out.add(ShapeKernels.concatenate(parts, concat, (TensorType) op.result(k).type()));
        }
        report(op, f, group, args, out, -1, -1);
        return out;
    }

    /** Every process of the caller's copy of the id space (same partition for cross_replica, same replica otherwise). */
    private static List<Process> copyOf(Frame f, CollectiveMode mode) {
        ProcessGrid g = f.process().grid();
        List<Process> out = new ArrayList<>();
        if (mode == CollectiveMode.CROSS_REPLICA) for (int r = 0; r < g.numReplicas(); r++) out.add(g.process(r, f.process().partition()));
        else for (int p = 0; p < g.numPartitions(); p++) out.add(g.process(f.process().replica(), p));
        return out;
    }

    private static int myId(Frame f, CollectiveMode mode) {
        return mode == CollectiveMode.CROSS_REPLICA ? f.process().replica() : f.process().partition();
    }

    private static List<RtValue> collectivePermute(Operation op, List<RtValue> args, Frame f) {
        CollectiveMode mode = mode(op);
        long[][] pairs = Attrs.matrix(op, "source_target_pairs");
        List<Process> copy = copyOf(f, mode);
        boolean[] src = new boolean[copy.size()], dst = new boolean[copy.size()];
        for (long[] p : pairs) {
            for (int j = 0; j < 2; j++) {
                if (p[j] < 0 || p[j] >= copy.size()) throw InterpreterException.at(op, "source_target_pairs id " + p[j] + " (pair {" + p[0] + ", " + p[1] + "}) is outside [0, " + copy.size() + ")");
            }
            if (src[(int) p[0]] || dst[(int) p[1]]) {
                throw InterpreterException.at(op, "source_target_pairs sources and targets must be unique: " + (src[(int) p[0]] ? "source " + p[0] : "target " + p[1])
                        + " appears twice (pair {" + p[0] + ", " + p[1] + "})");
            }
            src[(int) p[0]] = true;
            dst[(int) p[1]] = true;
        }
        List<List<Tensor>> all = exchange(op, f, copy, tensors(args));
        int me = myId(f, mode);
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < args.size(); k++) {
            Tensor r = Tensor.blank(op.result(k).type());
            for (long[] p : pairs) if (p[1] == me) r = all.get((int) p[0]).get(k);
            out.add(r);
        }
        if (f.process().grid().listener() != null) {
            long in = 0, sent = 0, size = 0;
            for (RtValue v : args) size += bytes((Tensor) v);
            List<Process> partners = new ArrayList<>();
            for (long[] p : pairs) {
                if (p[1] == me && p[0] != me) { in += size; partners.add(copy.get((int) p[0])); }
                if (p[0] == me && p[1] != me) sent += size;
            }
            report(op, f, partners, args, out, in, sent);
        }
        return out;
    }

    private static List<RtValue> collectiveBroadcast(Operation op, List<RtValue> args, Frame f) {
        CollectiveMode mode = mode(op);
        long[][] groups = Attrs.matrix(op, "replica_groups");
        boolean dynamicRoot = Attrs.flag(op, "has_dynamic_root");
        List<RtValue> data = dynamicRoot ? args.subList(0, args.size() - 1) : args;
        List<Process> copy = copyOf(f, mode);
        if (groups != null) {
            for (long[] g : groups) {
                for (long id : g) {
                    if (id < 0 || id >= copy.size()) throw InterpreterException.at(op, "replica_groups id " + id + " (group "
                            + java.util.Arrays.toString(g) + ") is outside [0, " + copy.size() + ")");
                }
            }
        }
        List<Tensor> mine = new ArrayList<>(tensors(data));
        if (dynamicRoot) mine.add((Tensor) args.get(args.size() - 1));
        List<List<Tensor>> all = exchange(op, f, copy, mine);
        int me = myId(f, mode);
        List<RtValue> out = new ArrayList<>();
        for (int k = 0; k < data.size(); k++) {
            Tensor r = Tensor.blank(op.result(k).type());
            if (groups != null) {
                for (long[] g : groups) {
                    for (long id : g) {
                        if (id != me) continue;
                        // the root is the first member, or the member at the index the root operand names
                        Tensor rootT = dynamicRoot ? all.get((int) g[0]).get(data.size()) : null;
                        int root = rootT == null ? 0 : (int) rootT.ints[rootT.size > 1 ? k : 0]; // one root per operand
                        if (root < 0 || root >= g.length) throw InterpreterException.at(op, "root index " + root + " is outside the group");
                        r = all.get((int) g[root]).get(k);
                    }
                }
            }
            out.add(r);
        }
        if (f.process().grid().listener() != null) {
            long size = 0, in = 0, sent = 0;
            for (RtValue v : data) size += bytes((Tensor) v);
            List<Process> members = new ArrayList<>();
            if (groups != null) {
                for (long[] g : groups) {
                    boolean member = false;
                    for (long id : g) member |= id == me;
                    if (!member || g.length < 2) continue;
                    for (long id : g) members.add(copy.get((int) id));
                    // the root (first member, or the dynamic root) sends once; everyone else receives once
                    Tensor rootT = dynamicRoot ? all.get((int) g[0]).get(data.size()) : null;
                    long root = g[rootT == null ? 0 : (int) rootT.ints[0]];
                    if (root == me) sent = size; else in = size;
                }
            }
            report(op, f, members, data, out, in, sent);
        }
        return out;
    }
}
