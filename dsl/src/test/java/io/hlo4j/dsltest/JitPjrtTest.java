package io.hlo4j.dsltest;

import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code jit} picks the PJRT backend when {@code hlo4j.pjrt.plugin} names a plugin (here the runtime's C mock). */
class JitPjrtTest {
    static Path mock() { return MockPlugin.path(); }

    @Test
    void jitRunsOnTheConfiguredPluginAndAgreesWithTheInterpreter() {
        HostArray x = HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 1, 2, 3, 4, 5, 6);
        HostArray y = HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 0.5f, -2, 10, 0, 1e3f, -6);
        Jit onInterpreter = Jit.jit2((a, b) -> a.add(b));
        assertThat(onInterpreter.compile(x, y).executable().backend().name()).isEqualTo("interpreter");
        String old = System.getProperty("hlo4j.pjrt.plugin");
        System.setProperty("hlo4j.pjrt.plugin", mock().toString());
        try {
            Jit onPjrt = Jit.jit2((a, b) -> a.add(b));
            assertThat(onPjrt.compile(x, y).executable().backend().name()).isEqualTo("pjrt:mock");
            double[] got = onPjrt.call1(x, y).toDoubleArray();
            assertThat(got).containsExactly(1.5, 0, 13, 4, 1005, 0);
            assertThat(got).containsExactly(onInterpreter.call1(x, y).toDoubleArray());
            // A program the mock cannot run is refused by the plugin, by name.
            Jit mul = Jit.jit2((a, b) -> a.add(b).add(a));
            assertThatThrownBy(() -> mul.call1(x, y)).hasMessageContaining("PJRT_Client_Compile").hasMessageContaining("UNIMPLEMENTED");
        } finally {
            if (old == null) System.clearProperty("hlo4j.pjrt.plugin");
            else System.setProperty("hlo4j.pjrt.plugin", old);
        }
        assertThat(Jit.jit2((a, b) -> a.add(b)).compile(x, y).executable().backend().name()).isEqualTo("interpreter");
    }

    @Test
    void loweredCompilePicksTheConfiguredBackendAndAnExplicitOneWins() {
        HostArray x = HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 1, 2, 3, 4, 5, 6);
        HostArray y = HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 0.5f, -2, 10, 0, 1e3f, -6);
        Jit add = Jit.jit2((a, b) -> a.add(b));
        assertThat(add.lower(x, y).compile().executable().backend().name()).isEqualTo("interpreter");
        String old = System.getProperty("hlo4j.pjrt.plugin");
        System.setProperty("hlo4j.pjrt.plugin", mock().toString());
        try {
            Lowered lowered = add.lower(x, y);
            Compiled onPjrt = lowered.compile();
            assertThat(onPjrt.executable().backend().name()).isEqualTo("pjrt:mock");
            assertThat(onPjrt.call(x, y).get(0).toDoubleArray()).containsExactly(1.5, 0, 13, 4, 1005, 0);
            Compiled explicit = lowered.compile(Backend.interpreter());
            assertThat(explicit.executable().backend().name()).isEqualTo("interpreter");
            assertThat(explicit.call(x, y).get(0).toDoubleArray()).containsExactly(1.5, 0, 13, 4, 1005, 0);
        } finally {
            if (old == null) System.clearProperty("hlo4j.pjrt.plugin");
            else System.setProperty("hlo4j.pjrt.plugin", old);
        }
    }
}
