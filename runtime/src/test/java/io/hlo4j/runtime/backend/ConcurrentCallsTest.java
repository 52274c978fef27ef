package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.PjrtErrorCode;
import io.hlo4j.runtime.pjrt.PjrtException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A service's use of an {@link Executable}: a module JAX wrote, compiled once, called from several threads at once (each
 * call's bits those of the values computed by hand), wrong arguments refused as {@link ArgumentMismatchException}, a
 * closed PJRT backend's executable refused (also when it is closed while other threads call), a plugin's failure carried as its {@link PjrtErrorCode}, and no device
 * buffer left behind by concurrent PJRT calls.
 */
class ConcurrentCallsTest {
    private static final int THREADS = 8, CALLS = 25;

    private static HostArray f32(long[] shape, float... v) { return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v); }

    private static Module jaxModule() throws IOException {
        try (InputStream in = ConcurrentCallsTest.class.getResourceAsStream("/jaxinterop/jit_relu_add.mlir")) {
            return MlirParser.parseModule(new String(in.readAllBytes(), StandardCharsets.UTF_8), "jit_relu_add.mlir");
        }
    }

    /** Every call of {@code exe} on {@code args} from {@link #THREADS} threads, {@link #CALLS} each. */
    private static List<List<HostArray>> concurrently(Executable exe, List<HostArray> args) throws Exception {
        List<List<HostArray>> out = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            List<Future<List<HostArray>>> fs = new ArrayList<>();
            for (int i = 0; i < THREADS * CALLS; i++) fs.add(pool.submit(() -> exe.call(args)));
            for (Future<List<HostArray>> f : fs) out.add(f.get());
        }
        return out;
    }

    @Test
    void aJaxModuleCalledFromSeveralThreadsGivesTheValuesByHand() throws Exception {
        Executable exe = Backend.interpreter().compile(jaxModule());   // relu(x) + broadcast(y)
        HostArray x = f32(new long[] {2, 3}, -1, 2, -3, 4, -5, 6);
        HostArray y = f32(new long[] {3}, 10, 20, 30);
        HostArray want = f32(new long[] {2, 3}, 10, 22, 30, 14, 20, 36);
        List<List<HostArray>> all = concurrently(exe, List.of(x, y));
        assertThat(all).hasSize(THREADS * CALLS).allSatisfy(r -> assertThat(r).containsExactly(want));
    }

    @Test
    void wrongArgumentsAreAnArgumentMismatchOnEitherBackend() throws Exception {
        HostArray x = f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        HostArray y = f32(new long[] {3}, 1, 2, 3);
        Executable interp = Backend.interpreter().compile(jaxModule());
        assertThatThrownBy(() -> interp.call(List.of(y, y))).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("argument #0 is tensor<3xf32> but the entry function expects tensor<2x3xf32>");
        assertThatThrownBy(() -> interp.call(List.of(x))).isInstanceOf(ArgumentMismatchException.class).isInstanceOf(Hlo4jException.class)
                .hasMessageStartingWith("entry function takes 2 arguments");
        try (PjrtBackend pjrt = PjrtBackend.open(PjrtBackendTest.mock(), Map.of())) {
            Executable exe = pjrt.compile(MlirParser.parseModule(ADD, "add.mlir"));
            assertThatThrownBy(() -> exe.call(List.of(x, x))).isInstanceOf(ArgumentMismatchException.class)
                    .hasMessage("argument #0 is tensor<2x3xf32> but the entry function expects tensor<3xf32>");
            assertThatThrownBy(() -> exe.call(List.of(y))).isInstanceOf(ArgumentMismatchException.class)
                    .hasMessageStartingWith("entry function takes 2 arguments");
        }
    }

    private static final String ADD = """
            func.func @main(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
              %0 = stablehlo.add %a, %b : tensor<3xf32>
              return %0 : tensor<3xf32>
            }
            """;

    @Test
    void pjrtCallsFromSeveralThreadsLeaveNoBufferAndAClosedBackendRefusesCalls() throws Exception {
        HostArray a = f32(new long[] {3}, 1.5f, -2, 4);
        HostArray b = f32(new long[] {3}, 0.25f, 7, -4);
        HostArray want = f32(new long[] {3}, 1.75f, 5, 0);
        Executable exe;
        try (PjrtBackend pjrt = PjrtBackend.open(PjrtBackendTest.mock(), Map.of())) {
            exe = pjrt.compile(MlirParser.parseModule(ADD, "add.mlir"));
            assertThat(concurrently(exe, List.of(a, b))).hasSize(THREADS * CALLS).allSatisfy(r -> assertThat(r).containsExactly(want));
            assertThat(liveBuffers()).isZero();
        }
        assertThatThrownBy(() -> exe.call(List.of(a, b))).isInstanceOf(BackendClosedException.class).isInstanceOf(IllegalStateException.class)
                .hasMessage("the PJRT backend pjrt:mock is closed; its executables cannot be called (open a new PjrtBackend)");
    }

    /**
     * A closed backend refuses compiles as {@link BackendClosedException} too; a second close is a plain IllegalStateException
     * (a mistake in the owner's shutdown, not a request on a closed backend); a null argument is a mismatch naming its position.
     */
    @Test
    void aClosedBackendRefusesCompilesAndASecondCloseAndNullsAreMismatches() {
        HostArray a = f32(new long[] {3}, 1, 2, 3);
        PjrtBackend pjrt = PjrtBackend.open(PjrtBackendTest.mock(), Map.of());
        PjrtBackend.Compiled exe = pjrt.compile(MlirParser.parseModule(ADD, "add.mlir"));
        assertThatThrownBy(() -> exe.call(java.util.Arrays.asList(a, null))).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("argument #1 is null; the entry function expects tensor<3xf32>");
        assertThatThrownBy(() -> exe.callPerDevice(List.of(java.util.Arrays.asList(null, a)))).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("device 0's argument #0 is null; the entry function expects tensor<3xf32>");
        assertThat(exe.call(List.of(a, a))).containsExactly(f32(new long[] {3}, 2, 4, 6));
        pjrt.close();
        assertThatThrownBy(() -> pjrt.compile(MlirParser.parseModule(ADD, "add.mlir"))).isInstanceOf(BackendClosedException.class)
                .hasMessage("the PJRT backend pjrt:mock is closed; it cannot compile (open a new PjrtBackend)");
        assertThatThrownBy(pjrt::close).isInstanceOf(IllegalStateException.class).isNotInstanceOf(BackendClosedException.class)
                .hasMessage("the PJRT backend pjrt:mock is already closed");
        assertThat(pjrt.name()).isEqualTo("pjrt:mock");
        assertThat(liveBuffers()).isZero();
    }

    /** The backend Backend.configured() shares with every caller cannot be closed by one of them; it keeps working. */
    @Test
    void theConfiguredBackendRefusesItsClose() {
        String old = System.getProperty(PjrtBackend.PLUGIN_PROPERTY);
        System.setProperty(PjrtBackend.PLUGIN_PROPERTY, PjrtBackendTest.mock().toString());
        try {
            PjrtBackend shared = (PjrtBackend) Backend.configured();
            assertThatThrownBy(shared::close).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the configured backend (Backend.configured(), pjrt:mock) is shared; its close is refused:"
                            + " open your own PjrtBackend (PjrtBackend.open) to close it");
            assertThat(Backend.configured()).isSameAs(shared);
            HostArray a = f32(new long[] {3}, 1, 2, 3);
            assertThat(shared.compile(MlirParser.parseModule(ADD, "add.mlir")).call(List.of(a, a))).containsExactly(f32(new long[] {3}, 2, 4, 6));
            try (PjrtBackend own = PjrtBackend.open(PjrtBackendTest.mock(), Map.of())) {
                assertThat(own).isNotSameAs(shared);   // one's own closes
            }
        } finally {
            if (old == null) System.clearProperty(PjrtBackend.PLUGIN_PROPERTY);
            else System.setProperty(PjrtBackend.PLUGIN_PROPERTY, old);
        }
    }

    /**
     * Shutdown while requests run: close waits for the calls in flight, and every later call is refused before it reaches
     * the plugin. Unguarded, a call handed the plugin the closed client (the mock then answers INVALID_ARGUMENT "not a live
     * client"; a real plugin would read freed memory).
     */
    @Test
    void closingWhileOtherThreadsCallWaitsForThemAndRefusesTheRest() throws Exception {
        HostArray a = f32(new long[] {3}, 1, 2, 3);
        HostArray want = f32(new long[] {3}, 2, 4, 6);
        for (int round = 0; round < 10; round++) {
            PjrtBackend pjrt = PjrtBackend.open(PjrtBackendTest.mock(), Map.of());
            Executable exe = pjrt.compile(MlirParser.parseModule(ADD, "add.mlir"));
            java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(THREADS);
            List<Future<String>> callers = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
                for (int t = 0; t < THREADS; t++) {
                    callers.add(pool.submit(() -> {
                        for (int i = 0; ; i++) {
                            try {
                                assertThat(exe.call(List.of(a, a))).containsExactly(want);
                            } catch (BackendClosedException closed) {
                                return "refused";
                            } catch (RuntimeException other) {
                                return "other: " + other;
                            }
                            if (i == 0) running.countDown();
                        }
                    }));
                }
                assertThat(running.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("every caller made a call").isTrue();
                pjrt.close();
                for (Future<String> c : callers) assertThat(c.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("refused");
            }
            assertThat(liveBuffers()).isZero();
        }
    }

    @Test
    void aPluginFailureCarriesItsCode() {
        try (PjrtBackend pjrt = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("mock_fail", "PJRT_LoadedExecutable_Execute"))) {
            Executable exe = pjrt.compile(MlirParser.parseModule(ADD, "add.mlir"));
            HostArray a = f32(new long[] {3}, 1, 2, 3);
            assertThatThrownBy(() -> exe.call(List.of(a, a))).isInstanceOfSatisfying(PjrtException.class, e -> {
                assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
                assertThat(e.call()).isEqualTo("PJRT_LoadedExecutable_Execute");
            });
            assertThat(liveBuffers()).isZero();
        }
    }

    /** Buffers alive in the mock (kind 5). */
    private static long liveBuffers() {
        MethodHandle live = Linker.nativeLinker().downcallHandle(SymbolLookup.libraryLookup(PjrtBackendTest.mock(), Arena.global())
                .find("mock_pjrt_live").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        try {
            return (long) live.invokeExact(5);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
