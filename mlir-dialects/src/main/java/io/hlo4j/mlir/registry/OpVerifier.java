package io.hlo4j.mlir.registry;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;

/** The spec's constraints on one op. Throws {@link VerificationException} naming the rule broken. */
@FunctionalInterface
public interface OpVerifier {
    void verify(Operation op);
}
