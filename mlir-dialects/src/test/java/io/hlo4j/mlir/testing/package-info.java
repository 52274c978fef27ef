/**
 * Test helpers that later modules' tests share (through this module's test-jar): program texts and builders used by
 * more than one module's tests. Nothing here is a test; see DEVELOPERS.md, "Shared test helpers".
 */
package io.hlo4j.mlir.testing;
