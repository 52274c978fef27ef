package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code send}/{@code recv} (a FIFO per channel id, shared by the devices of a grid), {@code infeed} (values
 * queued by {@code interpreter.run_parallel}'s {@code infeed} functions) and {@code outfeed} (collected on the
 * grid). A {@code recv} or {@code infeed} waits, like a collective, for a device still computing; it fails, naming the
 * op, once every device of the run has been blocked or finished for the collective timeout (nothing can arrive).
 */
final class HostTransferKernels {
    private HostTransferKernels() {}

    static void register() {
        Kernels.put("stablehlo.send", (op, args, f) -> {
            f.process().grid().channel(CollectiveKernels.channel(op)).add(data(args));
            return List.of(RtValue.Token.INSTANCE);
        });
        Kernels.put("stablehlo.recv", (op, args, f) ->
                withToken(take(op, f, f.process().grid().channel(CollectiveKernels.channel(op)), "channel " + CollectiveKernels.channel(op))));
        Kernels.put("stablehlo.infeed", (op, args, f) -> withToken(take(op, f, f.process().grid().infeed(), "the infeed queue")));
        Kernels.put("stablehlo.outfeed", (op, args, f) -> {
            f.process().grid().outfeed().add(data(args));
            return List.of(RtValue.Token.INSTANCE);
        });
    }

    /** Every operand but the trailing token. */
    private static List<Tensor> data(List<RtValue> args) {
        List<Tensor> out = new ArrayList<>();
        for (RtValue v : args) if (v instanceof Tensor t) out.add(t);
        return out;
    }

    private static List<RtValue> withToken(List<Tensor> values) {
        List<RtValue> out = new ArrayList<>(values);
        out.add(RtValue.Token.INSTANCE);
        return out;
    }

    /**
     * The next entry of {@code q}, waited for in slices so the run's deadline or abort stops the wait
     * (Interpreter.checkStop). A sender that is merely slow is waited for (a fixed limit here failed a recv whose
     * sender computed longer than the timeout); the wait gives up only when no device of the run can make progress.
     */
    private static List<Tensor> take(Operation op, Frame f, java.util.concurrent.BlockingQueue<List<Tensor>> q, String what) {
        Rendezvous rv = f.process().grid().rendezvous();
        long stuckSince = -1;
        rv.waitingForTransfer(f.process(), true);
        try {
            while (true) {
                List<Tensor> v = q.poll(20, TimeUnit.MILLISECONDS);
                if (v != null) return v;
                f.interpreter().checkStop(op, f.process(), true);
                long now = System.nanoTime();
                if (!rv.nobodyCanProgress()) stuckSince = -1;
                else if (stuckSince < 0) stuckSince = now;
                else if (now - stuckSince > TimeUnit.MILLISECONDS.toNanos(rv.timeoutMillis())) {
                    f.interpreter().checkStop(op, f.process(), true); // a stop since the check above comes first
                    throw new InterpreterException(op.name() + ": nothing arrived on " + what
                            + " (every device blocked or finished for " + rv.timeoutMillis() + " ms)", op.location());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvaluationInterrupted.at(op, f.process(), true);
        } finally {
            rv.waitingForTransfer(f.process(), false);
        }
    }
}
