package io.hlo4j.dsl.jit;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Spec;
import io.hlo4j.mlir.ir.Operation;

import java.util.List;

/** Stage 1: the traced {@code func.func}, with the argument specs and the input/output tree structure. */
public record Traced(Operation function, List<Spec> argSpecs, Pytree.Def inputDef, Pytree.Def outputDef, List<Spec> resultSpecs) {
    public Lowered lower() { return Lowered.of(this); }
}
