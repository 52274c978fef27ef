package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Spec;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Executable;

import java.util.ArrayList;
import java.util.List;

/** Stage 3: bound to a backend; {@link #call} runs it on host arrays. */
public record Compiled(Lowered lowered, Executable executable) {
    /** Flat call: the leaves of the arguments in pytree order; returns the flat results. */
    public List<HostArray> call(HostArray... args) { return executable.call(List.of(args)); }

    /** Pytree call: arguments shaped like the traced ones; the result has the traced output structure. */
    public Object callTree(Object... args) {
        List<Object> leaves = new ArrayList<>();
        Pytree.Def def = Pytree.flatten(List.of(args), leaves);
        Traced t = lowered.traced();
        if (!def.equals(t.inputDef())) {
            throw new IllegalArgumentException("arguments have structure " + def + " but the function was traced with " + t.inputDef());
        }
        List<HostArray> hs = new ArrayList<>();
        for (Object o : leaves) {
            if (!(o instanceof HostArray h)) throw new IllegalArgumentException("argument leaf is " + o.getClass().getSimpleName() + ", not a HostArray");
            hs.add(h);
        }
        HostTrees.checkRebuildable(t.outputDef(), "call");
        return Pytree.unflatten(t.outputDef(), executable.call(hs).iterator());
    }

    public List<Spec> resultSpecs() { return lowered.traced().resultSpecs(); }
}
