package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.PjrtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The PJRT backend over the C mock plugin against the interpreter backend on the same programs. */
class PjrtBackendTest {
    private static final String ADD = """
            func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> tensor<2x3xf32> {
              %0 = stablehlo.add %arg0, %arg1 : tensor<2x3xf32>
              return %0 : tensor<2x3xf32>
            }
            """;
    private static final String DOT = """
            func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<2x2xf32> {
              %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
              return %0 : tensor<2x2xf32>
            }
            """;

    static Path mock() {
        String p = System.getProperty("hlo4j.pjrt.mock");
        Path path = p != null ? Path.of(p) : Path.of("target/mock-pjrt/libpjrt_mock.so");
        if (!Files.isRegularFile(path)) throw new IllegalStateException("mock PJRT plugin not built at " + path.toAbsolutePath());
        return path.toAbsolutePath().normalize();
    }

    private static HostArray f32(long[] shape, float... v) { return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v); }

    /** Runs {@code text} on both backends; the interpreter's results go to {@code interpOut}. */
    private static List<HostArray> both(String text, List<HostArray> args, List<HostArray> interpOut) {
        Module m = MlirParser.parseModule(text, "test.mlir");
        interpOut.addAll(Backend.interpreter().compile(m).call(args));
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of())) {
            assertThat(pjrt.name()).isEqualTo("pjrt:mock");
            List<HostArray> r = pjrt.compile(m).call(args);
            assertThat(pjrt.client().openObjects()).as("only the executable is left open after a call").isEqualTo(1);
            return r;
        }
    }

    @Test
    void addMatchesTheInterpreter() {
        List<HostArray> args = List.of(f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), f32(new long[] {2, 3}, 0.5f, -2, 10, 0, 1e3f, -6));
        List<HostArray> interp = new ArrayList<>();
        List<HostArray> pjrt = both(ADD, args, interp);
        assertThat(pjrt).hasSize(1);
        assertThat(pjrt.getFirst().type()).isEqualTo(TensorType.of(FloatType.F32, 2, 3));
        assertThat(pjrt.getFirst().toDoubleArray()).containsExactly(1.5, 0, 13, 4, 1005, 0);
        assertThat(pjrt.getFirst().toDoubleArray()).containsExactly(interp.getFirst().toDoubleArray());
    }

    @Test
    void dotMatchesTheInterpreter() {
        List<HostArray> args = List.of(f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), f32(new long[] {3, 2}, 7, 8, 9, 10, 11, 12));
        List<HostArray> interp = new ArrayList<>();
        List<HostArray> pjrt = both(DOT, args, interp);
        // [[1,2,3],[4,5,6]] . [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
        assertThat(pjrt.getFirst().type()).isEqualTo(TensorType.of(FloatType.F32, 2, 2));
        assertThat(pjrt.getFirst().toDoubleArray()).containsExactly(58, 64, 139, 154);
        assertThat(pjrt.getFirst().toDoubleArray()).containsExactly(interp.getFirst().toDoubleArray());
    }

    @Test
    void refusesWrongArgumentsByPositionBeforeTouchingTheDevice() {
        Module m = MlirParser.parseModule(ADD, "test.mlir");
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of())) {
            Executable exe = pjrt.compile(m);
            assertThatThrownBy(() -> exe.call(List.of(f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))))
                    .isInstanceOf(Hlo4jException.class).hasMessageContaining("takes 2 arguments");
            assertThatThrownBy(() -> exe.call(List.of(f32(new long[] {3, 2}, 1, 2, 3, 4, 5, 6), f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))))
                    .hasMessageContaining("argument #0 is tensor<3x2xf32> but the entry function expects tensor<2x3xf32>");
            assertThat(pjrt.client().openObjects()).isEqualTo(1);
        }
    }

    @Test
    void aMissingPluginAndAnUnknownCreateOptionAreRefusedByName(@TempDir Path dir) {
        assertThatThrownBy(() -> PjrtBackend.open(dir.resolve("nope.so"), Map.of())).isInstanceOf(PjrtException.class)
                .hasMessageContaining("nope.so");
        assertThatThrownBy(() -> PjrtBackend.open(mock(), Map.of("bogus", 1L))).isInstanceOf(PjrtException.class)
                .hasMessageContaining("bogus");
    }
}
