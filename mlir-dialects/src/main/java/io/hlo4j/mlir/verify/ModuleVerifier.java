package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.ir.Module;

/**
 * Verifies a module: structure (values defined before use, terminators, symbols) and each op's own
 * verifier. Throws {@link io.hlo4j.mlir.ir.VerificationException} at the first error. (Stub.)
 */
public final class ModuleVerifier {
    private ModuleVerifier() {}

    public static void verify(Module module) {
        throw new UnsupportedOperationException("verifier not yet implemented");
    }
}
