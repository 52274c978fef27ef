/**
 * Test helpers that later modules' tests share (through this module's test-jar): measures and host-side array
 * operations on {@code HostArray}s that several modules' oracles use. Nothing here is a test; see DEVELOPERS.md,
 * "Shared test helpers".
 */
package io.hlo4j.runtime.testing;
