package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.List;

/**
 * The reverse-mode rule of one op, attached to its {@link io.hlo4j.mlir.registry.OpDef} with
 * {@code def.attach(VjpRule.class, rule)}. {@code op} is the forward op as re-emitted in the gradient function
 * (its operands and results are the residuals the rule may use); {@code cotangents} has one non-null entry per
 * result (zeros are filled in for results nobody used). The rule emits its backward ops through {@code b} and
 * returns one cotangent per operand, null where the operand gets none (indices, predicates, integer operands).
 */
@FunctionalInterface
public interface VjpRule {
    List<Value> vjp(Backward b, Operation op, List<Value> cotangents);
}
