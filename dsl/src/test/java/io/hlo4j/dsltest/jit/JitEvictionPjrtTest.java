package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsltest.MockPlugin;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.PjrtBackend;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A program Jit's cache drops on the PJRT backend (the runtime's C mock): once nothing references it, a garbage collection
 * closes its executable (the mock's count of live loaded executables drops; the client's open objects go down to the one
 * still held), while a dropped program a caller holds stays callable. Values by hand (a + b).
 */
class JitEvictionPjrtTest {
    private static HostArray f32(double... v) { return HostArray.fromDoubles(Spec.of(DType.F32, v.length).tensorType(), v); }

    /** The mock's live loaded executables, every client of the process ({@code mock_pjrt_live(3)}). */
    private static long liveLoadedExecutables() throws Throwable {
        MethodHandle live = Linker.nativeLinker().downcallHandle(SymbolLookup.libraryLookup(MockPlugin.path(), Arena.global())
                .find("mock_pjrt_live").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        return (long) live.invokeExact(3);
    }

    @Test
    void aDroppedUnreferencedProgramsExecutableIsClosedAfterACollectionAndAHeldOneStaysCallable() throws Throwable {
        try (PjrtBackend backend = PjrtBackend.open(MockPlugin.path(), Map.of())) {
            Jit add = Jit.jit2((a, b) -> a.add(b)).withBackend(backend).withCacheSize(1);
            Compiled held = add.compile(f32(1, 2), f32(1, 2));
            assertThat(add.call1(f32(1, 2, 3), f32(10, 20, 30)).toDoubleArray()).containsExactly(11, 22, 33);   // drops `held`'s key
            assertThat(add.call1(f32(1, 2, 3, 4), f32(1, 1, 1, 1)).toDoubleArray()).containsExactly(2, 3, 4, 5);   // drops length 3's
            assertThat(add.cacheSize()).isEqualTo(1);
            assertThat(backend.client().openObjects()).as("three executables, none closed yet").isEqualTo(3);
            long before = liveLoadedExecutables();
            // length 3's program is referenced by nothing now: a collection makes its Compiled phantom-reachable and the
            // cleaner closes its executable (bounded wait; each round asks for a collection)
            for (long deadline = System.nanoTime() + 60_000_000_000L; backend.client().openObjects() > 2; Thread.sleep(10)) {
                assertThat(System.nanoTime()).as("the dropped program's executable was never closed").isLessThan(deadline);
                System.gc();
            }
            assertThat(backend.client().openObjects()).isEqualTo(2);
            assertThat(liveLoadedExecutables()).as("the mock freed it").isLessThanOrEqualTo(before - 1);
            // the held one, dropped from the cache too, is still open and callable
            assertThat(held.call(f32(1, 2), f32(3, 4)).get(0).toDoubleArray()).containsExactly(4, 6);
            assertThat(add.call1(f32(5, 6), f32(1, 1)).toDoubleArray()).as("its key traced again").containsExactly(6, 7);
        }
    }
}
