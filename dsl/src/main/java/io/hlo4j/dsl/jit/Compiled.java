package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Spec;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.ArgumentMismatchException;
import io.hlo4j.runtime.backend.Executable;

import java.util.ArrayList;
import java.util.List;

/**
 * Stage 3: bound to a backend; {@link #call} runs it on host arrays. Thread-safe: concurrent calls of one instance are
 * allowed (each call has its own values), except a multi-process job's global calls, made one at a time in the same order
 * on every process, so from one thread ({@link Executable}: another order is refused). A program compiled on a {@code PjrtBackend} cannot be called once that backend
 * is closed: the call throws {@link io.hlo4j.runtime.backend.BackendClosedException} (an IllegalStateException).
 */
public record Compiled(Lowered lowered, Executable executable) {
    /**
     * Flat call: the leaves of the arguments in pytree order; returns the flat results. Checked by position against the
     * entry function, not by path: another count, a null or another type is the runtime's
     * {@link ArgumentMismatchException} (not a {@link CallArgumentException}, which {@link #callTree} throws), naming
     * this function and, as its location, the caller's line; both are Hlo4jExceptions and mean that nothing ran.
     */
    public List<HostArray> call(HostArray... args) {
        try {
            return executable.call(java.util.Arrays.asList(args.clone()));
        } catch (ArgumentMismatchException e) {   // the runtime knows only "the entry function": name it and the caller's line
            throw e.restated("call of " + functionName() + ": ", SourceLoc.here());
        }
    }

    /**
     * The program as the user named it: the module's {@code jit_<name>} without its prefix. Not the entry function's symbol,
     * which for a {@code ShardedJit} is always {@code @main} (what a partitioned run calls) whatever the jit's name.
     */
    private String functionName() {
        String module = lowered.module().name();
        if (module != null && module.startsWith("jit_") && module.length() > 4) return "@" + module.substring(4);
        return "@" + lowered.traced().function().attr("sym_name").toString().replace("\"", "");
    }

    /**
     * Pytree call: arguments shaped like the traced ones; the result has the traced output structure. Arguments of
     * another structure, a leaf that is not a {@code HostArray}, or one of another shape or dtype than traced are refused,
     * naming the leaf's path ({@code args[0].w1}: argument 0, its component or key {@code w1}), as a
     * {@link CallArgumentException} before anything runs.
     */
    public Object callTree(Object... args) {
        Traced t = lowered.traced();
        String fn = functionName();
        HostTrees.requireNoNulls("call", fn, args, "pass a HostArray or a pytree of them", SourceLoc.here());
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def;
        try {
            def = Pytree.flatten(List.of(args), leaves);
        } catch (IllegalArgumentException e) {
            throw new CallArgumentException("the arguments of " + fn + " are not a pytree of HostArrays: " + e.getMessage(), SourceLoc.here(), e);
        }
        String diff = Pytree.firstDifference(t.inputDef(), def, "args");
        if (diff != null) {
            throw new CallArgumentException("the arguments of " + fn + " do not have the traced structure: " + diff.replaceFirst("^args\\.(\\d+)", "args[$1]"),
                    SourceLoc.here());
        }
        List<String> paths = Pytree.paths(t.inputDef());
        List<HostArray> hs = new ArrayList<>();
        for (int i = 0; i < leaves.size(); i++) {
            String path = HostTrees.argPath(paths.get(i));
            if (!(leaves.get(i) instanceof HostArray h)) {
                throw new CallArgumentException("argument " + path + " of " + fn + " is " + HostTrees.describe(leaves.get(i)) + ", not a HostArray",
                        SourceLoc.here());
            }
            Spec want = t.argSpecs().get(i);
            if (!Spec.of(h.type()).equals(want)) {
                throw new CallArgumentException("argument " + path + " of " + fn + " is " + Spec.of(h.type()) + " but " + fn + " was traced for "
                        + want, SourceLoc.here());
            }
            hs.add(h);
        }
        HostTrees.checkRebuildable(t.outputDef(), "call");
        List<HostArray> results = executable.call(hs);
        try {
            return Pytree.unflatten(t.outputDef(), results.iterator());
        } catch (IllegalArgumentException e) {   // a result record's own constructor refused the host arrays
            throw new DslException("call", "cannot rebuild the result of " + fn + ": " + e.getMessage(), SourceLoc.here(), e);
        }
    }

    public List<Spec> resultSpecs() { return lowered.traced().resultSpecs(); }
}
