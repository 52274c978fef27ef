/** Test helpers the DSL's test packages share with each other; nothing here is a test. */
package io.hlo4j.dsltest.testing;
