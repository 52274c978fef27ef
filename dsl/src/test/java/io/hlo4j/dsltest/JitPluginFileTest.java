package io.hlo4j.dsltest;

import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.PjrtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A {@code hlo4j.pjrt.plugin} that is no shared library: jit refuses it by name, before the JVM's loader sees it. */
class JitPluginFileTest {
    @Test
    void aTextFileAsPluginIsRefusedByName(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("plugin.so"), "not a library\n");
        HostArray x = HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 1, 2);
        String old = System.getProperty("hlo4j.pjrt.plugin");
        System.setProperty("hlo4j.pjrt.plugin", text.toString());
        try {
            PjrtException e = catchThrowableOfType(PjrtException.class, () -> Jit.jit2((a, b) -> a.add(b)).call1(x, x));
            assertThat(e.call()).isEqualTo("dlopen");
            assertThat(e.pluginMessage()).startsWith("PJRT plugin " + text.toAbsolutePath().normalize()
                    + " is not a shared library (no ELF or Mach-O header)");
        } finally {
            if (old == null) System.clearProperty("hlo4j.pjrt.plugin");
            else System.setProperty("hlo4j.pjrt.plugin", old);
        }
    }
}
