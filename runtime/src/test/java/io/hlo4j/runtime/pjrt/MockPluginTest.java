package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the tests that drive the C mock plugin: each test starts with the mock's hooks reset and ends
 * with every kind of live mock object back at its starting count (a test that leaves objects alive on
 * purpose moves {@link #before} to account for them).
 */
abstract class MockPluginTest {
    final MockPjrt.Hooks mock = MockPjrt.hooks();
    long[] before;

    @BeforeEach
    void countLiveObjects() { before = mock.reset(); }

    @AfterEach
    void nothingLeaked() { mock.assertNothingLeaked(before); }

    static PjrtPlugin plugin() { return PjrtPlugin.load(MockPjrt.path()); }
}
