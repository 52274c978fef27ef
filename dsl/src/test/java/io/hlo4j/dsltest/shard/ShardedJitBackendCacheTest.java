package io.hlo4j.dsltest.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import io.hlo4j.runtime.backend.Executable;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A ShardedJit without withBackend compiles on Backend.configured(), which Backend.with changes for a scope (the CLI's
 * plugin flags): the program compiled outside the scope must not be reused inside it (a review found the cache keyed
 * on the arguments only).
 */
class ShardedJitBackendCacheTest {

    @Test
    void aScopedBackendGetsItsOwnCompile() {
        ShardedJit j = ShardedJit.jit("three", ShardedJitOutShardingsTest.THREE, ShardedJitOutShardingsTest.IN);
        HostArray x = ShardedJitOutShardingsTest.arr(new long[] {8, 16}, i -> i), w = ShardedJitOutShardingsTest.arr(new long[] {16, 4}, i -> 1);
        AtomicInteger compiles = new AtomicInteger();
        Backend counting = new Backend() {
            public String name() { return "counting"; }
            public Executable compile(Module module) { compiles.incrementAndGet(); return Backend.interpreter().compile(module); }
        };
        var outside = j.compile(x, w);
        assertThat(compiles).hasValue(0);
        var inside = Backend.with(counting, () -> j.compile(x, w));
        assertThat(compiles).as("compiled on the scoped backend").hasValue(1);
        assertThat(inside).isNotSameAs(outside);
        assertThat(Backend.with(counting, () -> j.compile(x, w))).as("and cached there").isSameAs(inside);
        assertThat(j.compile(x, w)).isSameAs(outside);
        assertThat(compiles).hasValue(1);
    }
}
