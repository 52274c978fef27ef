package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.JaxStyle;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.PjrtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    static Path mock() { return io.hlo4j.runtime.pjrt.MockPjrt.path(); }

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

    private static final String ADD4 = """
            module @sharded attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>) -> tensor<3xf32> {
                %0 = stablehlo.add %arg0, %arg1 : tensor<3xf32>
                return %0 : tensor<3xf32>
              }
            }
            """;

    @Test
    void anNPartitionModuleRunsOnNDevicesWithJaxsOptions() {
        Module m = MlirParser.parseModule(ADD4, "add4.mlir");
        assertThat(PjrtBackend.partitions(m)).isEqualTo(4);
        List<List<HostArray>> perDevice = new ArrayList<>();
        for (int d = 0; d < 4; d++)
            perDevice.add(List.of(f32(new long[] {3}, d, 10 * d, -d), f32(new long[] {3}, 0.5f, 1, 100 + d)));
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of("num_devices", 6L))) {
            PjrtBackend.Compiled exe = pjrt.compile(m);
            // The mock numbers its devices from 100: the first four addressable ones, in order.
            assertThat(exe.devices()).extracting(io.hlo4j.runtime.pjrt.PjrtDevice::id).containsExactly(100, 101, 102, 103);
            var ebo = exe.options().proto().getExecutableBuildOptions();
            assertThat(ebo.getNumPartitions()).isEqualTo(4);
            assertThat(ebo.getNumReplicas()).isEqualTo(1);
            assertThat(ebo.getUseSpmdPartitioning()).isTrue();
            assertThat(ebo.getUseShardyPartitioner()).isTrue();
            assertThat(ebo.getDeviceAssignment().getComputationDevicesList())
                    .extracting(c -> c.getReplicaDeviceIds(0)).containsExactly(100L, 101L, 102L, 103L);
            List<List<HostArray>> out = exe.callPerDevice(perDevice);
            assertThat(out).hasSize(4);
            for (int d = 0; d < 4; d++) {
                // Oracle: the same per-device program on the interpreter.
                double[] want = Backend.interpreter().compile(MlirParser.parseModule(ADD4, "add4.mlir")).call(perDevice.get(d)).getFirst().toDoubleArray();
                assertThat(out.get(d).getFirst().toDoubleArray()).as("device %d", d).containsExactly(want);
            }
            assertThat(out.get(3).getFirst().toDoubleArray()).containsExactly(3.5, 31, 100);
            assertThatThrownBy(() -> exe.call(perDevice.getFirst())).hasMessageContaining("runs on 4 devices");
            assertThatThrownBy(() -> exe.callPerDevice(perDevice.subList(0, 3))).hasMessageContaining("3 argument lists for a program on 4 devices");
            // The mock answers an SPMD compile with its 8-way fixture module: collectives come back decoded.
            var program = exe.executable().optimizedProgram();
            assertThat(io.hlo4j.runtime.hlo.HloProgram.decode(program.format(), program.code()).summary().collectives()).hasSize(4);
            assertThat(pjrt.client().openObjects()).isEqualTo(1);
        }
    }

    @Test
    void xlasRefusalOfAModuleUnderLocUnknownNamesWhereTheModuleWasParsed() {
        // a JAX-style module (loc(unknown)) keeps its parse place; the plugin's compile error is placed there
        Module m = MlirParser.parseModule(JaxStyle.RETURN.replace("tensor<8xf32>", "tensor<4xf32>"), "jax.mlir");
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of("mock_fail", "PJRT_Client_Compile"), (Path) null)) {
            assertThatThrownBy(() -> pjrt.compile(m)).isInstanceOfSatisfying(PjrtException.class, e -> {
                assertThat(e.call()).isEqualTo("PJRT_Client_Compile");
                assertThat(e.location().isPlaced()).isTrue();
                assertThat(e.format()).startsWith("jax.mlir:2:1: ");
            });
        }
    }

    @Test
    void refusesMorePartitionsThanDevicesNamingBoth() {
        Module m = MlirParser.parseModule(ADD4, "add4.mlir");
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of("num_devices", 2L))) {
            assertThatThrownBy(() -> pjrt.compile(m)).isInstanceOf(Hlo4jException.class)
                    .hasMessageContaining("needs 4 partitions").hasMessageContaining("has 2 addressable devices [100, 101]");
        }
    }

    @Test
    void thePluginComesFromThePropertyThenTheEnvironment() {
        String old = System.getProperty(PjrtBackend.PLUGIN_PROPERTY);
        try {
            System.setProperty(PjrtBackend.PLUGIN_PROPERTY, "/opt/x/pjrt.so");
            assertThat(PjrtBackend.configuredPlugin()).isEqualTo(Path.of("/opt/x/pjrt.so"));
            System.clearProperty(PjrtBackend.PLUGIN_PROPERTY);
            String env = System.getenv(PjrtBackend.PLUGIN_ENV);
            assertThat(PjrtBackend.configuredPlugin()).isEqualTo(env == null || env.isBlank() ? null : Path.of(env));
        } finally {
            if (old == null) System.clearProperty(PjrtBackend.PLUGIN_PROPERTY);
            else System.setProperty(PjrtBackend.PLUGIN_PROPERTY, old);
        }
    }

    @Test
    void shardingPropagationFlagsFollowTheEntrysAnnotationsAsJaxSetsThem() {
        Module m = MlirParser.parseModule("""
                module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func public @main(%arg0: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}, %arg1: tensor<4xf32>)
                      -> (tensor<4xf32>, tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) {
                    %0 = stablehlo.add %arg0, %arg1 : tensor<4xf32>
                    return %0, %0 : tensor<4xf32>, tensor<4xf32>
                  }
                }
                """, "flags.mlir");
        var entry = m.entryFunction();
        var ebo = PjrtBackend.spmdOptions(entry, io.hlo4j.mlir.dialect.func.FuncOps.signature(entry), new long[] {0, 1})
                .proto().getExecutableBuildOptions();
        // Given sharding: XLA keeps it (false); none given: XLA may choose (true).
        assertThat(ebo.getAllowSpmdShardingPropagationToParametersList()).containsExactly(false, true);
        assertThat(ebo.getAllowSpmdShardingPropagationToOutputList()).containsExactly(true, false);
        assertThat(ebo.getNumPartitions()).isEqualTo(2);
        assertThat(ebo.getUseShardyPartitioner()).isTrue();
        assertThat(ebo.getUseSpmdPartitioning()).isTrue();
    }

    @Test
    void anEightWayModuleGetsTheGoldenBuildOptions() throws Exception {
        Module m = MlirParser.parseModule("""
                module @m attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=8]>
                  func.func public @main(%arg0: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>},
                                         %arg1: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<8xf32> {
                    %0 = stablehlo.add %arg0, %arg1 : tensor<8xf32>
                    return %0 : tensor<8xf32>
                  }
                }
                """, "eight.mlir");
        byte[] golden;
        try (var in = PjrtBackendTest.class.getResourceAsStream("/io/hlo4j/runtime/pjrt/golden/compile-options-8dev-spmd.bin")) {
            golden = in.readAllBytes();
        }
        var entry = m.entryFunction();
        var ours = PjrtBackend.spmdOptions(entry, io.hlo4j.mlir.dialect.func.FuncOps.signature(entry), new long[] {0, 1, 2, 3, 4, 5, 6, 7});
        // The golden file adds two DebugOptions overrides by name; the build options are the same message.
        assertThat(ours.proto().getExecutableBuildOptions())
                .isEqualTo(io.hlo4j.runtime.pjrt.proto.CompileOptionsProto.parseFrom(golden).getExecutableBuildOptions());
    }

    /** A second process (here: a second client) loads what the first compiled, and gets the same numbers. */
    @Test
    void compilesThroughACacheFolderAcrossClients(@TempDir Path dir) {
        Module m = MlirParser.parseModule(DOT, "test.mlir");
        List<HostArray> args = List.of(f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), f32(new long[] {3, 2}, 7, 8, 9, 10, 11, 12));
        List<HostArray> expected = Backend.interpreter().compile(m).call(args);
        for (int round = 0; round < 2; round++) {
            try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of(), dir)) {
                assertThat(pjrt.cache().dir()).isEqualTo(dir);
                assertThat(pjrt.compile(m).call(args).getFirst().toDoubleArray()).containsExactly(expected.getFirst().toDoubleArray());
                assertThat(pjrt.cache().misses()).isEqualTo(round == 0 ? 1 : 0);
                assertThat(pjrt.cache().hits()).isEqualTo(round == 0 ? 0 : 1);
            }
        }
    }

    @Test
    void theCacheFolderComesFromThePropertyAndIsOffByDefault(@TempDir Path dir) {
        String old = System.getProperty(PjrtBackend.CACHE_PROPERTY);
        try {
            System.clearProperty(PjrtBackend.CACHE_PROPERTY);
            if (System.getenv(PjrtBackend.CACHE_ENV) == null) {
                try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of())) {
                    assertThat(pjrt.cache()).isNull();
                }
            }
            System.setProperty(PjrtBackend.CACHE_PROPERTY, dir.toString());
            try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of())) {
                pjrt.compile(MlirParser.parseModule(ADD, "test.mlir"));
                assertThat(pjrt.cache().misses()).isEqualTo(1);
            }
        } finally {
            if (old == null) System.clearProperty(PjrtBackend.CACHE_PROPERTY);
            else System.setProperty(PjrtBackend.CACHE_PROPERTY, old);
        }
    }

    /** The client is closed once and the reason survives (a second close used to replace it with "already closed"). */
    @Test
    void aPluginWithNoAddressableDeviceIsRefusedByName() {
        io.hlo4j.runtime.pjrt.MockPjrt.Hooks hooks = io.hlo4j.runtime.pjrt.MockPjrt.hooks();
        long[] before = hooks.reset();
        assertThatThrownBy(() -> PjrtBackend.open(mock(), Map.of("addressable_devices", 0L), null))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("libpjrt_mock.so has no addressable device");
        hooks.assertNothingLeaked(before); // the refused client is closed, once
    }

    /** XLA's (here the mock's) refusal keeps its code and call, and is placed at the program's own location. */
    @Test
    void aCompileRefusalIsLocatedAtTheProgram() {
        Module m = MlirParser.parseModule("""
                func.func public @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %arg0, %arg0 : tensor<2xf32>
                  %1 = stablehlo.multiply %0, %0 : tensor<2xf32>
                  return %1 : tensor<2xf32>
                }
                """, "two-ops.mlir");
        try (PjrtBackend pjrt = PjrtBackend.open(mock(), Map.of(), null)) {
            assertThatThrownBy(() -> pjrt.compile(m)).isInstanceOfSatisfying(PjrtException.class, e -> {
                assertThat(e.call()).isEqualTo("PJRT_Client_Compile");
                assertThat(e.code()).isEqualTo(io.hlo4j.runtime.pjrt.PjrtErrorCode.UNIMPLEMENTED);
                assertThat(e.location()).isEqualTo(m.op().location());
                assertThat(e.format()).startsWith(m.op().location().describe() + ": PJRT_Client_Compile failed with UNIMPLEMENTED");
            });
        }
    }
}
